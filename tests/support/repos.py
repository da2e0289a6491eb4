"""Test helpers: real git repositories in temp dirs, plans, the CLI as a subprocess, waiting on conditions."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def git(cwd: Path | str, *args: str, input: str | None = None) -> str:
    """Run real git; fail the test on error."""
    res = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {res.stderr}")
    return res.stdout


def make_repo(path: Path, *, commits: int = 2, files: dict[str, str] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for i in range(commits):
        (path / f"file{i}.txt").write_text(f"content {i}\n")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", f"commit {i}")
    for name, text in (files or {}).items():
        p = path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    if files:
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "files")
    return path


def write_plan(repo: Path, text: str) -> Path:
    p = repo / "agenttui.toml"
    p.write_text(text)
    return p


PLAN_TWO = """
[[agent]]
name = "auth"
command = ["sleep", "30"]

[[agent]]
name = "api"
command = "sleep 30"
"""


def wait_for(cond: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> object:
    """Poll *cond* until truthy; fail with *what* after *timeout* seconds (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``agenttui`` entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "agenttui", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
