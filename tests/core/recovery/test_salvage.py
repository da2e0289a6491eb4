"""The incident as it really happens (agents outside agenttui, no announcement, the user arriving
afterwards): reconstructed with `incident`, untangled with `salvage`, undone with `restore --all`."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from agenttui.core import journal, recovery
from agenttui.core.git import repo as gitrepo
from agenttui.core.recovery.salvage import salvage
from tests.support.repos import git, make_repo, run_cli


def seed(tmp_path: Path) -> tuple[Path, float, Path]:
    """Four agents in one checkout: commits on an agent branch and on main, a stash with untracked
    files, a self-made worktree, dirty and untracked files; HEAD left on an agent branch."""
    r = make_repo(tmp_path / "repo", files={"a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n"})
    since = time.time()
    time.sleep(1.05)  # reflog times have a one-second resolution
    git(r, "checkout", "-q", "-b", "agent-4-work")
    (r / "a.txt").write_text("a\nagent 4\n")
    git(r, "commit", "-qam", "agent 4 on its branch")
    (r / "new1.txt").write_text("stashed away\n")
    git(r, "stash", "push", "-q", "-u", "-m", "others-work-again")
    git(r, "checkout", "-q", "main")
    (r / "b.txt").write_text("b\nagent 2\n")
    git(r, "commit", "-qam", "agent 2 landed on main")
    git(r, "checkout", "-q", "agent-4-work")
    (r / "c.txt").write_text("c\ndirty\n")
    (r / "untracked.txt").write_text("u\n")
    wt = tmp_path / "self-made"
    git(r, "worktree", "add", "-q", "-b", "self-iso", str(wt))
    (wt / "wt.txt").write_text("in the self-made worktree\n")
    return r, since, wt


def reachable_objects(r: Path) -> set[str]:
    out = git(r, "rev-list", "--objects", "--all", "--reflog").split("\n")
    return {line.split()[0] for line in out if line.strip()}


def content_blobs(root: Path) -> set[str]:
    files = [p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]
    if not files:
        return set()
    res = subprocess.run(
        ["git", "hash-object", "--stdin-paths"],
        input="\n".join(map(str, files)),
        capture_output=True,
        text=True,
        check=True,
    )
    return set(res.stdout.split())


def test_incident_report_names_the_damage(tmp_path: Path) -> None:
    r, since, wt = seed(tmp_path)
    res = run_cli("incident", str(r), "--since", str(int(since)), "--json")
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    assert rep["before"]["branch"] == "main" and rep["now"]["branch"] == "agent-4-work"
    assert [s["message"] for s in rep["stashes"]] == ["On agent-4-work: others-work-again"]
    assert rep["stashes"][0]["files"] == ["new1.txt"] and rep["stashes"][0]["unique"] is True
    assert {b["name"] for b in rep["branches"]} == {"agent-4-work", "self-iso"}
    assert [c["subject"] for c in rep["commits"]] == ["agent 2 landed on main"]
    assert {d["path"] for d in rep["dirty"]} == {"c.txt", "untracked.txt"}
    assert [w["path"] for w in rep["worktrees"]] == [str(wt)]
    heads = [m for m in rep["mutations"] if m["kind"] == "head"]
    assert len(heads) >= 5  # and nobody named: no guess
    assert all(m["actor"]["via"] == "unknown" and m["actor"]["agent"] is None for m in heads)
    # control: without a baseline it asks for one instead of taking everything as stray
    none = run_cli("incident", str(r))
    assert none.returncode == 2 and "--since" in none.stderr


def test_salvage_untangles_restores_the_trunk_and_loses_nothing(tmp_path: Path) -> None:
    r, since, wt = seed(tmp_path)
    paths = gitrepo.open_repo(r)
    base = git(r, "rev-parse", "main~1").strip()  # main before the agent's commit landed on it
    before = reachable_objects(r) | content_blobs(r) | content_blobs(wt)
    t0 = time.perf_counter()
    result = salvage(paths, since=since)
    took = time.perf_counter() - t0
    assert all(o.ok for o in result.outcomes), [o.message for o in result.outcomes if not o.ok]
    # the trunk at its baseline, on its branch, clean; the agents' work on its own branch
    assert git(r, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert git(r, "rev-parse", "HEAD").strip() == base
    assert git(r, "status", "--porcelain") == ""
    salvaged = result.agents["unattributed"]
    assert set(salvaged["files"]) == {"a.txt", "b.txt", "c.txt", "new1.txt", "untracked.txt", "wt.txt"}
    sw = Path(salvaged["worktree"])
    assert (sw / "b.txt").read_text() == "b\nagent 2\n" and (sw / "c.txt").read_text() == "c\ndirty\n"
    assert (sw / "new1.txt").read_text() == "stashed away\n" and (sw / "wt.txt").exists()
    assert git(r, "stash", "list") == "" and not wt.exists()
    assert set(git(r, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()) == {
        "main",
        "salvage/unattributed",
    }
    # nothing lost: every object and every file's content from before is reachable from a ref
    after = reachable_objects(r)
    assert before <= after, len(before - after)
    assert Path(result.plan or "").is_file() and "salvage/unattributed" in Path(result.plan or "").read_text()
    assert took < 10  # (the seed incident takes one command and seconds; bench/ has the numbers)


def test_salvage_names_agents_from_the_ledger(tmp_path: Path) -> None:
    """Stashes the ledger attributed go to their agent's branch."""
    r = make_repo(tmp_path / "repo")
    paths = gitrepo.open_repo(r)
    journal.append(paths, "guard-arm", by_fire=False, baseline=recovery.baseline(paths))
    for agent in ("auth", "api"):
        (r / f"{agent}.txt").write_text(f"{agent} work\n")
        git(r, "stash", "push", "-q", "-u", "-m", f"{agent} wip")
        sha = git(r, "rev-parse", "stash@{0}").strip()
        journal.append(
            paths,
            "mutation",
            kind="stash-push",
            sha=sha,
            actor={"agent": agent, "pid": 1, "ancestry": [1], "cmdline": ["git"], "via": "process"},
        )
    result = salvage(paths)
    assert set(result.agents) == {"auth", "api"}
    assert result.agents["auth"]["files"] == ["auth.txt"] and result.agents["api"]["files"] == ["api.txt"]


def test_restore_all_puts_stashes_back_in_their_order_among_others(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "repo")
    for i in range(5):
        (r / "file0.txt").write_text(f"v{i}\n")
        git(r, "stash", "push", "-q", "-m", f"s{i}")
    order = git(r, "stash", "list", "--format=%H").split()
    paths = gitrepo.open_repo(r)
    listed = [(s.index, s.sha) for s in gitrepo.list_stashes(paths)]
    recovery.drop_stashes(paths, [t for t in listed if t[0] in (0, 2, 4)])
    res = run_cli("restore", str(r), "--all")
    assert res.returncode == 0, res.stderr
    back = git(r, "stash", "list", "--format=%H").split()
    assert back == order  # the same order and positions, also with stashes that stayed
    messages = git(r, "stash", "list", "--format=%gs").splitlines()
    assert messages == [f"On main: s{i}" for i in reversed(range(5))]
    assert recovery.list_trash(paths) == []


def test_claude_code_hook_records_name_the_writer_of_dirty_files(tmp_path: Path) -> None:
    """A subagent's Write (its PostToolUse record) names it as the last writer of a dirty file."""
    r = make_repo(tmp_path / "repo")
    paths = gitrepo.open_repo(r)
    journal.append(paths, "guard-arm", by_fire=False, baseline=recovery.baseline(paths))
    (r / "auth.py").write_text("written by a subagent\n")
    journal.append_many(
        paths,
        [
            (
                "claude-code-hook",
                {
                    "hook": "PostToolUse",
                    "agent_type": "impl-auth",
                    "agent_id": "a-77",
                    "session_id": "s",
                    "tool_name": "Write",
                    "paths": [str(r / "auth.py")],
                },
            )
        ],
    )
    (r / "other.py").write_text("nobody said\n")
    rep = json.loads(run_cli("incident", str(r), "--json").stdout)
    writers = {d["path"]: d["writer"] for d in rep["dirty"]}
    assert writers["auth.py"]["agent"] == "impl-auth" and writers["auth.py"]["via"] == "hook"
    assert writers["other.py"]["agent"] is None  # nothing knows: no name is guessed
    result = salvage(paths)
    assert result.agents["impl-auth"]["files"] == ["auth.py"]
    assert result.agents["unattributed"]["files"] == ["other.py"]
