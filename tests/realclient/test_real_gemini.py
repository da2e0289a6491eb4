"""The gate and the tool-call guard in the real Google Gemini CLI (`@google/gemini-cli`, pinned in
.ci/run), against a local Gemini API mock (gemini_mock.py) inside a network namespace of its own.

Controls without agenttui's hooks show what they prevent: a Gemini sub-agent writing into the checkout
its parent works in, and a session in a linked worktree writing into the main checkout.
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


def find_gemini() -> str | None:
    pinned = ROOT / ".ci" / "gemini" / "node_modules" / ".bin" / "gemini"
    for candidate in (os.environ.get("AGENTTUI_GEMINI"), str(pinned), shutil.which("gemini")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


GEMINI = find_gemini()
if GEMINI is None and os.environ.get("CI"):
    raise RuntimeError("the real Gemini CLI is missing: .ci/run installs it with npm")
pytestmark = pytest.mark.skipif(GEMINI is None, reason="the real Gemini CLI is not installed "
                                "(npm install --prefix .ci/gemini @google/gemini-cli@0.61.0)")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def run_gemini(tmp_path: Path, work: Path, prompt: str, *, hooks: bool) -> Path:
    out = tmp_path / "out"
    home = out / "home"
    (home / ".gemini").mkdir(parents=True)
    if hooks:
        res = subprocess.run([sys.executable, "-m", "agenttui", "hook", "gemini", "install"],
                             env=dict(os.environ, HOME=str(home)), capture_output=True, text=True, check=False)
        assert res.returncode == 0 and "installed in" in res.stdout, res.stdout + res.stderr
    assert GEMINI is not None
    subprocess.run([*namespace_prefix(), sys.executable, "-m", "tests.realclient.drive_gemini", str(out), str(work),
                    GEMINI, prompt], cwd=ROOT, check=True, timeout=300)
    assert (out / "rc").read_text() == "0", (out / "stderr.txt").read_text()[-2000:]
    return out


def results(out: Path) -> list[str]:
    """What the client sent back to the model for each tool call."""
    texts = []
    for line in (out / "requests.jsonl").read_text().splitlines():
        for content in json.loads(line)["body"].get("contents") or []:
            for part in content.get("parts") or []:
                if isinstance(part, dict) and "functionResponse" in part:
                    texts.append(json.dumps(part["functionResponse"].get("response")))
    return texts


SPAWN = "AGENTTUI-SPAWN " + b64("AGENTTUI-BASH " + b64("echo child > child.txt"))


@pytest.mark.parametrize("hooked", [False, True], ids=["control-without-hooks", "gated"])
def test_a_gemini_sub_agent_sharing_the_checkout_is_refused(tmp_path: Path, hooked: bool) -> None:
    repo = make_repo(tmp_path / "repo")
    out = run_gemini(tmp_path, repo, SPAWN, hooks=hooked)
    if not hooked:
        assert (repo / "child.txt").exists()  # the incident: a sub-agent writing in its parent's checkout
        return
    assert not (repo / "child.txt").exists()
    said = results(out)
    assert any("Tool execution blocked: agenttui: Gemini sub-agents" in t for t in said), said
    journal = (repo / ".git" / "agenttui" / "journal.jsonl").read_text()
    assert '"decision": "deny"' in journal and '"subagent_type": "gemini"' in journal


@pytest.mark.parametrize("hooked", [False, True], ids=["control-without-hooks", "guarded"])
def test_a_gemini_session_in_a_worktree_cannot_write_into_the_main_checkout(tmp_path: Path, hooked: bool) -> None:
    repo = make_repo(tmp_path / "repo")
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "agents/gemini", str(wt))
    prompt = "AGENTTUI-BASH " + b64(f"echo mine > mine.txt; echo stolen > {repo}/stolen.txt")
    out = run_gemini(tmp_path, wt, prompt, hooks=hooked)
    if not hooked:
        assert (repo / "stolen.txt").exists()  # written into the shared checkout: nothing stopped it
        return
    assert not (repo / "stolen.txt").exists() and not (wt / "mine.txt").exists()
    said = results(out)
    assert any("outside its worktree" in t and f"{repo}/stolen.txt" in t for t in said), said
    records = [json.loads(line) for line in (repo / ".git" / "agenttui" / "journal.jsonl").read_text().splitlines()]
    assert any(r.get("event") == "claude-code-tool-denied" for r in records)
    assert any(r.get("client") == "gemini" and r.get("hook") == "UserPromptSubmit" for r in records)
