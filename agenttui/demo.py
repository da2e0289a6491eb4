"""``agenttui demo``: a small throwaway repository with four scripted agents in its plan."""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from agenttui.core.errors import AgentTuiError

AGENTS = [
    ("auth", "src/auth", "adds login checks"),
    ("api", "src/api", "grows the REST handlers"),
    ("docs", "docs", "writes the guide"),
    ("tests", "tests", "adds test cases"),
]

FILES = {
    "README.md": "# demo shop\n\nA tiny project for agenttui's demo agents to work on.\n",
    "src/auth/__init__.py": "def login(user, password):\n    return bool(user and password)\n",
    "src/api/__init__.py": "ROUTES = {}\n",
    "src/shop.py": "PRICES = {'apple': 3, 'pear': 4}\n",
    "docs/index.md": "# Guide\n",
    "tests/test_shop.py": "from src.shop import PRICES\n\ndef test_prices():\n    assert PRICES\n",
}


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
    res = subprocess.run(
        [
            "git",
            "-c",
            "user.name=agenttui demo",
            "-c",
            "user.email=demo@agenttui.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if res.returncode != 0:
        raise AgentTuiError(f"demo: git {args[0]} failed: {res.stderr.strip()[:200]}")


def plan_text(seconds: float, *, incident: bool = False, python: str | None = None) -> str:
    py = python or sys.executable
    if incident:
        out = [
            "# agenttui INCIDENT demo: four scripted agents in ONE shared checkout (isolation = none).",
            "# They switch branches, stash each other's work and isolate themselves: watch the guard.",
            "",
        ]
    else:
        out = [
            "# agenttui demo plan: four scripted agents that edit, create, delete and commit files.",
            "# Press a (announce), y (confirm), f (fire).",
            "",
        ]
    isolation = "none" if incident else "worktree"
    for name, area, what in AGENTS:
        cmd = [py, "-m", "agenttui.demo_agent", "--area", area, "--seconds", f"{seconds:g}"]
        if incident:
            cmd.append("--chaos")
        out += [
            "[[agent]]",
            f'name = "{name}"  # {what}',
            "command = [" + ", ".join(f'"{c}"' for c in cmd) + "]",
        ]
        if isolation != "worktree":
            out.append(f'isolation = "{isolation}"')
        out.append("")
    return "\n".join(out)


def make_demo(
    path: Path | None = None,
    *,
    seconds: float = 90.0,
    fixed_dates: bool = False,
    incident: bool = False,
    python: str | None = None,
) -> Path:
    """Create the demo repository and return its path.

    *fixed_dates* pins author and committer dates and *python* the interpreter written into the
    plan, so commit shas are the same on every machine (snapshot tests rely on it).
    """
    env = None
    if fixed_dates:
        import os

        env = dict(os.environ, GIT_AUTHOR_DATE="2026-01-01T12:00:00Z", GIT_COMMITTER_DATE="2026-01-01T12:00:00Z")
    root = Path(tempfile.mkdtemp(prefix="agenttui-demo-")) / "shop" if path is None else path
    root = root.expanduser().resolve()
    if root.exists() and any(root.iterdir()):
        raise AgentTuiError(f"{root}: exists and is not empty: pick a new folder for the demo")
    root.mkdir(parents=True, exist_ok=True)
    _git(root, "init", "-q", "-b", "main")
    for i, (rel, text) in enumerate(FILES.items()):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        if i % 2:
            _git(root, "add", "-A")
            _git(root, "commit", "-q", "-m", f"add {rel}", env=env)
    (root / "agenttui.toml").write_text(plan_text(seconds, incident=incident, python=python))
    (root / ".gitignore").write_text("*.pyc\n__pycache__/\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "agenttui plan", env=env)
    return root


if __name__ == "__main__":  # pragma: no cover
    print(shlex.quote(str(make_demo())))
