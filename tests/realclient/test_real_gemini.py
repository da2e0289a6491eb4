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

from tests.realclient.test_real_claude import ROOT, namespace_prefix
from tests.support.repos import git, make_repo


def find_gemini() -> str | None:
    pinned = ROOT / ".ci" / "gemini" / "node_modules" / ".bin" / "gemini"
    for candidate in (os.environ.get("AGENTTUI_GEMINI"), str(pinned), shutil.which("gemini")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


GEMINI = find_gemini()
if GEMINI is None and os.environ.get("CI"):
    raise RuntimeError("the real Gemini CLI is missing: .ci/run installs it with npm")
pytestmark = pytest.mark.skipif(
    GEMINI is None,
    reason="the real Gemini CLI is not installed (npm install --prefix .ci/gemini @google/gemini-cli@0.61.0)",
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def run_gemini(tmp_path: Path, work: Path, prompt: str, *, hooks: bool) -> Path:
    out = tmp_path / "out"
    home = out / "home"
    (home / ".gemini").mkdir(parents=True)
    if hooks:
        res = subprocess.run(
            [sys.executable, "-m", "agenttui", "hook", "gemini", "install"],
            env=dict(os.environ, HOME=str(home)),
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0 and "installed in" in res.stdout, res.stdout + res.stderr
    assert GEMINI is not None
    subprocess.run(
        [
            *namespace_prefix(),
            sys.executable,
            "-m",
            "tests.realclient.drive_gemini",
            str(out),
            str(work),
            GEMINI,
            prompt,
        ],
        cwd=ROOT,
        check=True,
        timeout=300,
    )
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
    # its state as agenttui shows it, from Gemini's own hook events (AfterAgent: the turn ended)
    res = subprocess.run(
        [sys.executable, "-m", "agenttui", "status", "--json", str(repo)], capture_output=True, text=True, check=False
    )
    (agent,) = [a for a in json.loads(res.stdout)["agents"] if a["worktree"] == str(wt)]
    assert agent["state"] == "idle" and agent["reason"] == "finished its turn", agent


def test_two_gemini_sessions_racing_in_one_checkout_are_reconstructed(tmp_path: Path) -> None:
    """Two `gemini -p` sessions at once in the main checkout: their chats join the timeline, and each
    git change is named with the session that made it."""
    repo = make_repo(tmp_path / "repo")
    baseline = git(repo, "rev-parse", "HEAD").strip()
    # (Gemini refuses command substitution in a shell command: the waits are loops of their own)
    a = (
        "timeout 20 sh -c 'until [ -e .go ]; do sleep 0.05; done'; "
        "git checkout -q -b gemini-a && echo a > a.txt && git add a.txt && "
        "git -c user.name=g -c user.email=g@g commit -q -m 'gemini a work'"
    )
    b = (
        "touch .go; timeout 20 sh -c 'until git log -1 --format=%s gemini-a -- 2>/dev/null | grep -qx "
        '"gemini a work"; do sleep 0.05; done\'; echo b > b.txt && '
        "git -c user.name=g -c user.email=g@g stash push -u -q -m gemini-b-stash"
    )
    procs = []
    for name, cmd in (("a", a), ("b", b)):
        out = tmp_path / f"out-{name}"
        (out / "home").mkdir(parents=True)
        procs.append(
            (
                out,
                subprocess.Popen(
                    [
                        *namespace_prefix(),
                        sys.executable,
                        "-m",
                        "tests.realclient.drive_gemini",
                        str(out),
                        str(repo),
                        str(GEMINI),
                        "AGENTTUI-BASH " + b64(cmd),
                    ],
                    cwd=ROOT,
                ),
            )
        )
    for out, p in procs:
        assert p.wait(timeout=300) == 0 and (out / "rc").read_text() == "0", (out / "stderr.txt").read_text()
    home = tmp_path / "home"
    for out, _ in procs:  # both sessions' chats under one HOME for the reading
        shutil.copytree(out / "home" / ".gemini", home / ".gemini", dirs_exist_ok=True)
    res = subprocess.run(
        [sys.executable, "-m", "agenttui", "incident", "--json"],
        cwd=repo,
        env=dict(os.environ, HOME=str(home)),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    assert rep["source"] == "dispatch" and rep["before"]["sha"] == baseline
    by = {m["reason"]: m["actor"] for m in rep["mutations"] if m.get("ref")}
    who = {x["agent_id"]: base64.b64decode(x["prompt"].split()[1]).decode() for x in rep["agents"]}
    assert "gemini a work" in who[by["commit: gemini a work"]["agent_id"]]
    assert "gemini-b-stash" in who[by["On gemini-a: gemini-b-stash"]["agent_id"]]
    unnamed = [(m["ref"], m["reason"]) for m in rep["mutations"] if m.get("ref") and m["actor"]["client"] != "gemini"]
    assert not unnamed
