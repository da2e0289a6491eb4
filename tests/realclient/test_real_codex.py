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

from tests.realclient.test_real_claude import ROOT, namespace_prefix
from tests.support.repos import git, make_repo


def find_codex() -> str | None:
    pinned = ROOT / ".ci" / "codex" / "node_modules" / ".bin" / "codex"
    for candidate in (os.environ.get("AGENTTUI_CODEX"), str(pinned), shutil.which("codex")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


CODEX = find_codex()
if CODEX is None and os.environ.get("CI"):
    raise RuntimeError("the real Codex CLI is missing: .ci/run installs it with npm")
pytestmark = pytest.mark.skipif(
    CODEX is None, reason="the real Codex CLI is not installed (npm install --prefix .ci/codex @openai/codex@0.171.0)"
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def run_codex(tmp_path: Path, work: Path, prompt: str, *, hooks: bool, trusted: bool = True) -> Path:
    out = tmp_path / "out"
    home = out / "home"
    (home / ".codex").mkdir(parents=True)
    if hooks:
        res = subprocess.run(
            [sys.executable, "-m", "agenttui", "hook", "codex", "install"],
            env=dict(os.environ, HOME=str(home), CODEX_HOME=str(home / ".codex")),
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0 and "trusted" in res.stdout, res.stdout + res.stderr
    assert CODEX is not None
    args = [str(out), str(work), CODEX, prompt] + (["--bypass-hook-trust"] if hooks and trusted else [])
    subprocess.run(
        [*namespace_prefix(), sys.executable, "-m", "tests.realclient.drive_codex", *args],
        cwd=ROOT,
        check=True,
        timeout=300,
    )
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
    # its state as agenttui shows it, from Codex's own hook events (the session ended its turn)
    res = subprocess.run(
        [sys.executable, "-m", "agenttui", "status", "--json", str(repo)], capture_output=True, text=True, check=False
    )
    (agent,) = [a for a in json.loads(res.stdout)["agents"] if a["worktree"] == str(wt)]
    assert agent["state"] == "idle" and agent["reason"] == "finished its turn", agent


def test_two_codex_sessions_racing_in_one_checkout_are_reconstructed(tmp_path: Path) -> None:
    """Two `codex exec` sessions at once in the main checkout (the incident, as Codex users have it):
    their rollouts join the timeline, each git change is named with the session that made it, and
    salvage puts each one's work on its own branch."""
    repo = make_repo(tmp_path / "repo")
    baseline = git(repo, "rev-parse", "HEAD").strip()
    wait = "for i in $(seq 200); do [ -e .go ] && break; sleep 0.05; done; "
    a = wait + "git checkout -q -b codex-a && echo a > a.txt && git add a.txt && git commit -q -m 'codex a work'"
    b = (
        'touch .go; for i in $(seq 400); do [ "$(git log -1 --format=%s codex-a -- 2>/dev/null)" = '
        "'codex a work' ] && break; sleep 0.05; done; echo b > b.txt && git stash push -u -q -m codex-b-stash"
    )
    home = tmp_path / "home"
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
                        "tests.realclient.drive_codex",
                        str(out),
                        str(repo),
                        str(CODEX),
                        "AGENTTUI-BASH " + b64(cmd),
                    ],
                    cwd=ROOT,
                ),
            )
        )
    for out, p in procs:
        assert p.wait(timeout=300) == 0 and (out / "rc").read_text() == "0", (out / "stderr.txt").read_text()
    # both sessions' rollouts, under one CODEX_HOME for the reading
    sessions = home / ".codex" / "sessions"
    for out, _ in procs:
        shutil.copytree(out / "home" / ".codex" / "sessions", sessions, dirs_exist_ok=True)
    assert git(repo, "stash", "list", "--format=%gs").strip().endswith("codex-b-stash")
    env = dict(os.environ, HOME=str(home), CODEX_HOME=str(home / ".codex"))
    res = subprocess.run(
        [sys.executable, "-m", "agenttui", "incident", "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    assert rep["source"] == "dispatch" and rep["before"]["sha"] == baseline
    assert [b["name"] for b in rep["branches"]] == ["codex-a"]  # main existed before (set up in that second)
    by = {m["reason"]: m["actor"] for m in rep["mutations"] if m.get("ref")}
    who = {a["agent_id"]: base64.b64decode(a["prompt"].split()[1]).decode() for a in rep["agents"]}
    assert "codex a work" in who[by["commit: codex a work"]["agent_id"]]
    assert "codex-b-stash" in who[by["On codex-a: codex-b-stash"]["agent_id"]]
    unnamed = [
        (m["ref"], m["reason"], m["actor"].get("why"))
        for m in rep["mutations"]
        if m.get("ref") and m["actor"]["client"] != "codex"
    ]
    assert not unnamed
