"""The incident after the fact, played by the real Claude Code client and recovered as a new user would.

The mock API plays an orchestrator that dispatches four unisolated subagents in one turn; their tool
calls race in ONE checkout in a fixed order (``incident_race.py``): branch switches, a `stash push -u`
sweeping two other agents' files, a commit on `main`, a self-made worktree, an agent whose newest file
lives only in a stash.  Then `agenttui incident` and `agenttui salvage --all --yes` run without a time,
and everything is checked against the mock's own log of the calls it issued: every git change named
with the right agent, every agent's latest revision on its own branch and nothing older, the prompts
in the re-dispatch, the checkout back at its baseline.  Once with nothing of agenttui installed, once
with its recording hooks (no gate: the gate would have refused these dispatches).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.realclient.incident_race import AGENTS, EXPECTED, HANDLERS, race
from tests.realclient.test_real_claude import CLAUDE, ROOT, run_client
from tests.support.repos import git, make_repo

pytestmark = pytest.mark.skipif(CLAUDE is None, reason="the real Claude Code client is not installed")


def agenttui(home: Path, repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(home))
    env.pop("CLAUDE_CONFIG_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "agenttui", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def no_gate(settings: dict[str, Any]) -> dict[str, Any]:
    """The recording hooks only: the gate (PreToolUse) would refuse these unisolated dispatches."""
    settings.get("hooks", {}).pop("PreToolUse", None)
    return settings


def issued(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "issued.jsonl").read_text().splitlines()]


@pytest.fixture(params=["nothing-installed", "recording-hooks"])
def incident(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path, str, Path]:
    repo = make_repo(tmp_path / "repo", files={"src/handlers.py": HANDLERS})
    baseline = git(repo, "rev-parse", "HEAD").strip()
    dispatches, plan = race(repo, tmp_path)
    hooked = request.param == "recording-hooks"
    out = run_client(tmp_path, repo, dispatches, hook=hooked, edit=no_gate if hooked else None, race=plan)
    assert len(issued(out)) == sum(len(v) for v in plan["steps"].values())  # every step of the race ran
    assert git(repo, "stash", "list").count("stash@") == 2  # the race really happened in the one checkout
    if hooked:
        journal = (repo / ".git" / "agenttui" / "journal.jsonl").read_text()
        assert '"hook": "PostToolUse"' in journal and '"prompt": "AGENTTUI-STEPS auth' in journal
    return repo, out, baseline, out / "home"


def test_incident_names_every_git_change_with_the_agent_that_made_it(incident: tuple[Path, Path, str, Path]) -> None:
    repo, out, baseline, home = incident
    res = agenttui(home, repo, "incident", "--json")  # no --since: the baseline is found
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    assert rep["source"] == "dispatch" and rep["before"] == {"branch": "main", "sha": baseline}
    agents = {a["name"]: a for a in rep["agents"] if not a["main_thread"]}
    assert set(agents) == set(AGENTS.values())
    assert len({a["agent_id"] for a in agents.values()}) == 4 and all(a["shared_checkout"] for a in agents.values())
    for label, desc in AGENTS.items():
        assert agents[desc]["prompt"].startswith(f"AGENTTUI-STEPS {label}")
    # the truth: which agent the mock made run each git command
    by_command = {c["input"]["command"]: AGENTS[c["label"]] for c in issued(out) if c["name"] == "Bash"}
    muts = [m for m in rep["mutations"] if m.get("ref")]
    assert len(muts) == 22  # 12 HEAD moves, 5 branch entries, 2 stashes, 3 in the self-made worktree
    for m in muts:
        actor = m["actor"]
        assert actor["via"] in ("transcript", "hook"), m
        assert actor["agent"] == by_command[actor["command"]], m  # the agent the mock issued it for
        assert actor["agent_id"] == agents[actor["agent"]]["agent_id"]
    assert {s["by"]["agent"] for s in rep["stashes"]} == {"impl api"}
    assert {b["name"]: b["by"]["agent"] for b in rep["branches"]} == {
        "agent-auth-work": "impl auth",
        "agent-api-work": "impl api",
        "docs-iso": "write docs",
    }
    assert [(c["subject"], c["by"]["agent"]) for c in rep["commits"]] == [("db fix", "fix db")]
    assert [w["by"]["agent"] for w in rep["worktrees"]] == ["write docs"]
    (popped,) = rep["dropped_stashes"]  # gone from the list, still a commit: found, and who took it
    assert popped["message"] == "On main: db-tmp" and popped["by"]["agent"] == "fix db"
    assert popped["files"] == ["src/db_notes.md"] and popped["how"] == "popped"
    untracked = {s["message"]: s["untracked"] for s in rep["stashes"]}
    assert untracked["On agent-auth-work: others-work-again"] == 2  # two agents' new files: not "empty"


def test_salvage_puts_each_agents_latest_work_on_its_own_branch_and_restores_the_checkout(
    incident: tuple[Path, Path, str, Path],
) -> None:
    repo, _out, baseline, home = incident
    stashes_before = git(repo, "stash", "list", "--format=%H").split()
    res = agenttui(home, repo, "salvage", "--all", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    branches = git(repo, "for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads/salvage/").split()
    assert sorted(branches) == sorted(f"salvage/{desc.replace(' ', '-')}" for desc in EXPECTED)  # no unattributed
    for desc, files in EXPECTED.items():
        branch = f"salvage/{desc.replace(' ', '-')}"
        changed = git(repo, "diff", "--name-only", baseline, branch).split()
        assert sorted(changed) == sorted(files), branch  # its files, nobody else's
        for path, content in files.items():
            assert git(repo, "show", f"{branch}:{path}") == content, (branch, path)  # the newest, never older
    # the checkout at the baseline found without --since, clean; nothing lost (the stashes in the trash)
    assert git(repo, "rev-parse", "HEAD").strip() == baseline
    assert git(repo, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert git(repo, "status", "--porcelain") == "" and git(repo, "stash", "list") == ""
    trash = json.loads(agenttui(home, repo, "trash", "--json").stdout)
    assert set(stashes_before) <= {e["sha"] for e in trash}
    # the re-dispatch carries each original prompt, isolated, ready to announce
    root = repo.parent / "repo.salvage"
    text = (root / "redispatch.md").read_text()
    assert "All 4 dispatches use isolation: worktree — verified" in text
    calls = json.loads(text.split("```json\n", 1)[1].split("```", 1)[0])
    assert {c["description"] for c in calls} == set(AGENTS.values())
    assert all(c["isolation"] == "worktree" for c in calls)
    for label, desc in AGENTS.items():
        (call,) = [c for c in calls if c["description"] == desc]
        assert call["prompt"].startswith(f"AGENTTUI-STEPS {label} — the {desc} task")
    plan = tomllib.loads((root / "agenttui.salvage.toml").read_text())
    assert all(a["command"][0] == "claude" and a["command"][1].startswith("AGENTTUI-STEPS") for a in plan["agent"])
    chk = agenttui(home, repo, "check", "--plan", str(root / "agenttui.salvage.toml"))
    assert chk.returncode == 0 and chk.stdout.strip().endswith("All 4 dispatches use isolation: worktree — verified")


def test_control_without_the_transcripts_nothing_can_be_named(tmp_path: Path) -> None:
    """The same race read with nobody's transcripts (another HOME): no start is known and no agent
    can be named — what agenttui gave before it read the client's transcripts."""
    repo = make_repo(tmp_path / "repo", files={"src/handlers.py": HANDLERS})
    dispatches, plan = race(repo, tmp_path)
    run_client(tmp_path, repo, dispatches, hook=False, race=plan)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    res = agenttui(elsewhere, repo, "incident", "--json")
    assert res.returncode == 2 and "--since" in res.stderr  # the whole history is one burst: nothing to go on
    res = agenttui(elsewhere, repo, "incident", "--json", "--since", "1m")
    rep = json.loads(res.stdout)
    assert rep["mutations"] and all(m["actor"]["agent"] is None for m in rep["mutations"])
    assert ROOT.exists()
