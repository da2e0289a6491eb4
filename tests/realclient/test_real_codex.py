"""The gate and the tool-call guard in the real OpenAI Codex CLI (`@openai/codex`, pinned in .ci/run),
against a local Responses mock (codex_mock.py) inside a network namespace of its own.

Controls without agenttui's hooks show what the hooks prevent: a Codex sub-agent writing into the
checkout its parent works in, and a session in a linked worktree writing into the main checkout.  A
third control shows why `install` talks about trust: untrusted hooks are skipped silently.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, make_repo
from tests.realclient.test_real_claude import ROOT, namespace_prefix


def find_codex() -> str | None:
    pinned = ROOT / ".ci" / "codex" / "node_modules" / ".bin" / "codex"
    for candidate in (os.environ.get("AGENTTUI_CODEX"), str(pinned), shutil.which("codex")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


CODEX = find_codex()
if CODEX is None and os.environ.get("CI"):
    raise RuntimeError("the real Codex CLI is missing: .ci/run installs it with npm")
pytestmark = pytest.mark.skipif(CODEX is None, reason="the real Codex CLI is not installed "
                                "(npm install --prefix .ci/codex @openai/codex@0.171.0)")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def run_codex(tmp_path: Path, work: Path, prompt: str, *, hooks: bool, trusted: bool = True) -> Path:
    out = tmp_path / "out"
    home = out / "home"
    (home / ".codex").mkdir(parents=True)
    if hooks:
        res = subprocess.run([sys.executable, "-m", "agenttui", "hook", "codex", "install"],
                             env=dict(os.environ, HOME=str(home), CODEX_HOME=str(home / ".codex")),
                             capture_output=True, text=True, check=False)
        assert res.returncode == 0 and "trusted" in res.stdout, res.stdout + res.stderr
    assert CODEX is not None
    args = [str(out), str(work), CODEX, prompt] + (["--bypass-hook-trust"] if hooks and trusted else [])
    subprocess.run([*namespace_prefix(), sys.executable, "-m", "tests.realclient.drive_codex", *args], cwd=ROOT,
                   check=True, timeout=300)
    assert (out / "rc").read_text() == "0", (out / "stderr.txt").read_text()[-2000:]
    return out


def outputs(out: Path) -> list[str]:
    """What the client sent back to the model for each tool call."""
    texts = []
    for line in (out / "requests.jsonl").read_text().splitlines():
        for item in json.loads(line)["body"].get("input") or []:
            if isinstance(item, dict) and item.get("type") == "function_call_output":
                texts.append(str(item.get("output")))
    return texts


SPAWN = "AGENTTUI-SPAWN " + b64("AGENTTUI-BASH " + b64("echo child > child.txt"))


@pytest.mark.parametrize("hooked", [False, True], ids=["control-without-hooks", "gated"])
def test_a_codex_sub_agent_sharing_the_checkout_is_refused(tmp_path: Path, hooked: bool) -> None:
    repo = make_repo(tmp_path / "repo")
    out = run_codex(tmp_path, repo, SPAWN, hooks=hooked)
    if not hooked:
        assert (repo / "child.txt").exists()  # the incident: a sub-agent writing in its parent's checkout
        return
    assert not (repo / "child.txt").exists()
    said = outputs(out)
    assert any("blocked by PreToolUse hook" in t and "agenttui: Codex sub-agents" in t for t in said), said
    journal = (repo / ".git" / "agenttui" / "journal.jsonl").read_text()
    assert '"decision": "deny"' in journal and '"subagent_type": "codex"' in journal


@pytest.mark.parametrize("case", ["control-without-hooks", "guarded", "control-untrusted-hooks"])
def test_a_codex_session_in_a_worktree_cannot_write_into_the_main_checkout(tmp_path: Path, case: str) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "agents/codex", str(wt))
    prompt = "AGENTTUI-BASH " + b64(f"echo mine > mine.txt; echo stolen > {repo}/stolen.txt")
    out = run_codex(tmp_path, wt, prompt, hooks=case != "control-without-hooks", trusted=case == "guarded")
    if case != "guarded":
        assert (repo / "stolen.txt").exists()  # written into the shared checkout: nothing stopped it
        return
    assert not (repo / "stolen.txt").exists() and not (wt / "mine.txt").exists()  # refused before it ran
    said = outputs(out)
    assert any("outside its worktree" in t and f"{repo}/stolen.txt" in t for t in said), said
    journal = (repo / ".git" / "agenttui" / "journal.jsonl").read_text()
    records = [json.loads(line) for line in journal.splitlines()]
    assert any(r.get("event") == "claude-code-tool-denied" for r in records)
    assert any(r.get("client") == "codex" and r.get("hook") == "SessionStart" for r in records)
