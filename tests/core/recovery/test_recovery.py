"""Recovery on a real incident: clean everything, lose nothing, restore exactly."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from agenttui.core import journal, recovery
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths
from tests.support.incidents import make_incident, refs, tree_state
from tests.support.repos import git, make_repo, run_cli


def test_clean_whole_incident_then_restore_everything(tmp_path: Path) -> None:
    r, wt = make_incident(tmp_path)
    paths = gitrepo.open_repo(r)
    stashes_before = [(s.sha, s.message) for s in gitrepo.list_stashes(paths)]
    branches_before = refs(r, "refs/heads")
    wt_files_before = tree_state(wt)
    wt_head_before = git(wt, "rev-parse", "HEAD").strip()

    inc = recovery.find_incident(paths)
    assert len(inc.stashes) == 10 and len(inc.worktrees) == 1
    assert set(inc.branches) == {"agent-a-tmp", "agent-b-tmp", "wip-unmerged-1", "wip-unmerged-2", "self-isolated"}
    assert set(inc.unmerged) == {"wip-unmerged-1", "wip-unmerged-2"}

    outcomes = recovery.clean_incident(paths, inc, force_unmerged=True)
    assert all(o.ok for o in outcomes), [o.message for o in outcomes if not o.ok]
    assert gitrepo.list_stashes(paths) == []
    assert set(refs(r, "refs/heads")) == {"refs/heads/main"}
    assert [w.path for w in gitrepo.list_worktrees(paths)] == [r.resolve()]
    assert not wt.exists()
    trash = recovery.list_trash(paths)
    assert sorted(e.kind for e in trash).count("stash") == 10 and len(trash) == 16

    assert all(o.ok for o in recovery.restore_many(paths, [e.id for e in trash]))
    assert recovery.list_trash(paths) == []
    # stashes: same shas and messages, in the same order
    assert [(s.sha, s.message) for s in gitrepo.list_stashes(paths)] == stashes_before
    assert refs(r, "refs/heads") == branches_before
    assert git(r, "config", "branch.wip-unmerged-1.description").strip() == "agent one's half-done work"
    # worktree: same files (tracked edits, deletions, untracked and ignored), same HEAD, index untouched
    assert tree_state(wt) == wt_files_before
    assert git(wt, "rev-parse", "HEAD").strip() == wt_head_before
    assert git(wt, "diff", "--cached", "--name-only") == ""
    status = git(wt, "status", "--porcelain", "--ignored")
    assert " M file0.txt" in status and " D file1.txt" in status and '?? "new dir/"' in status
    assert "!! build.log" in status


def test_stash_drop_races_a_concurrent_push(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    for i in range(4):
        (r / "file0.txt").write_text(f"v{i}")
        git(r, "stash", "push", "-q", "-m", f"s{i}")
    paths = gitrepo.open_repo(r)
    listed = [(s.index, s.sha) for s in gitrepo.list_stashes(paths)]
    targets = [t for t in listed if t[0] in (1, 3)]  # drop s2 and s0 (by their listed indexes)
    pushed: list[str] = []

    def agent_pushes_a_stash() -> None:  # an agent pushes meanwhile: every index shifts by one
        (r / "file1.txt").write_text(f"agent {len(pushed)}")
        git(r, "stash", "push", "-q", "-m", f"agent-{len(pushed)}")
        pushed.append(git(r, "rev-parse", "stash@{0}").strip())

    outcomes = recovery.drop_stashes(paths, targets, between=agent_pushes_a_stash)
    assert all(o.ok for o in outcomes)
    left = {s.sha for s in gitrepo.list_stashes(paths)}
    dropped = {sha for _, sha in targets}
    assert not (left & dropped)  # exactly the listed ones went...
    assert set(pushed) <= left  # ...and the agent's stashes survived
    assert {sha for _, sha in listed} - dropped <= left
    assert {e.sha for e in recovery.list_trash(paths)} == dropped


def test_stash_gone_already_is_reported_not_guessed(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    (r / "file0.txt").write_text("x")
    git(r, "stash", "push", "-q")
    paths = gitrepo.open_repo(r)
    (s,) = gitrepo.list_stashes(paths)
    git(r, "stash", "drop", "-q")
    (o,) = recovery.drop_stashes(paths, [(s.index, s.sha)])
    assert not o.ok and "gone already" in o.message


def test_unmerged_branch_needs_force(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    git(r, "checkout", "-q", "-b", "feature")
    git(r, "commit", "-q", "--allow-empty", "-m", "unmerged work")
    git(r, "checkout", "-q", "main")
    paths = gitrepo.open_repo(r)
    with pytest.raises(recovery.RecoveryError, match="not fully merged"):
        recovery.delete_branch(paths, "feature")
    assert "refs/heads/feature" in refs(r, "refs/heads")
    assert refs(r, recovery.TRASH) == {}  # the refused attempt left no backup behind
    assert recovery.delete_branch(paths, "feature", force=True).ok


def test_refusals(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    paths = gitrepo.open_repo(r)
    wt = tmp_path / "wt"
    git(r, "worktree", "add", "-q", "-b", "busy", str(wt))
    with pytest.raises(recovery.RecoveryError, match="checked out in"):
        recovery.delete_branch(paths, "busy")
    with pytest.raises(recovery.RecoveryError, match="does not exist"):
        recovery.delete_branch(paths, "nope")
    # a process with its cwd in the worktree
    proc = subprocess.Popen(["sleep", "30"], cwd=wt)
    try:
        with pytest.raises(recovery.RecoveryError, match=rf"sleep \(pid {proc.pid}\)"):
            recovery.archive_worktree(paths, wt)
    finally:
        proc.kill()
        proc.wait()
    # a held index.lock
    lock = Path(git(wt, "rev-parse", "--path-format=absolute", "--git-dir").strip()) / "index.lock"
    lock.write_text("")
    with pytest.raises(recovery.RecoveryError, match="index.lock is held"):
        recovery.archive_worktree(paths, wt)
    lock.unlink()
    # locked
    git(r, "worktree", "lock", "--reason", "agent at work", str(wt))
    with pytest.raises(recovery.RecoveryError, match="locked \\(agent at work\\)"):
        recovery.archive_worktree(paths, wt)
    assert recovery.unlock_worktree(paths, wt).ok
    # remove refuses a dirty worktree and offers archive
    (wt / "scratch.txt").write_text("x")
    with pytest.raises(recovery.RecoveryError, match="archive it instead"):
        recovery.archive_worktree(paths, wt, require_clean=True)
    assert wt.exists()
    (wt / "scratch.txt").unlink()
    assert recovery.archive_worktree(paths, wt, require_clean=True).ok
    with pytest.raises(recovery.RecoveryError, match="main checkout"):
        recovery.archive_worktree(paths, r)


def test_moved_branch_is_not_deleted(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    git(r, "branch", "x")
    paths = gitrepo.open_repo(r)
    old = git(r, "rev-parse", "x").strip()
    git(r, "update-ref", "refs/heads/x", git(r, "rev-parse", "HEAD~1").strip())
    with pytest.raises(recovery.RecoveryError, match="moved since it was listed"):
        recovery.trash._backup(paths, "t1", "branch", old, verify=("refs/heads/x", old))
    assert refs(r, recovery.TRASH) == {}


def test_prune_backs_up_stale_worktree_head(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    wt = tmp_path / "gone"
    git(r, "worktree", "add", "-q", "--detach", str(wt))
    git(wt, "commit", "-q", "--allow-empty", "-m", "only reachable from the stale worktree")
    head = git(wt, "rev-parse", "HEAD").strip()
    subprocess.run(["rm", "-rf", str(wt)], check=True)
    paths = gitrepo.open_repo(r)
    (o,) = recovery.prune_worktrees(paths)
    assert o.ok and len(gitrepo.list_worktrees(paths)) == 1
    (e,) = recovery.list_trash(paths)
    assert e.sha == head and e.kind == "worktree"


def test_stash_to_branch_and_apply_pop(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    (r / "file0.txt").write_text("stashed change\n")
    git(r, "stash", "push", "-q", "-m", "keep me")
    paths = gitrepo.open_repo(r)
    (s,) = gitrepo.list_stashes(paths)
    assert recovery.stash_to_branch(paths, s, "rescued/keep-me").ok
    assert git(r, "show", "rescued/keep-me:file0.txt") == "stashed change\n"
    assert git(r, "status", "--porcelain") == ""  # no checkout touched
    o = recovery.apply_stash(paths, s, pop=True)
    assert o.ok and (r / "file0.txt").read_text() == "stashed change\n"
    assert gitrepo.list_stashes(paths) == [] and recovery.list_trash(paths)[0].sha == s.sha


def test_incident_since_last_announcement(tmp_path: Path) -> None:

    r = make_repo(tmp_path / "r")
    git(r, "branch", "old-branch")
    paths = gitrepo.open_repo(r)
    journal.append(paths, "announce", baseline=recovery.baseline(paths))
    git(r, "branch", "new-stray")
    journal.append(paths, "worktree-add", agent="a", path=str(tmp_path / "a"), branch="agents/a")
    git(r, "worktree", "add", "-q", "-b", "agents/a", str(tmp_path / "a"))
    inc = recovery.find_incident(paths)
    assert inc.source == "announcement" and inc.branches == ("new-stray",) and inc.worktrees == ()


def _paths(r: Path) -> RepoPaths:
    return gitrepo.open_repo(r)


def test_cli_trash_and_restore(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    git(r, "branch", "doomed")
    sha = git(r, "rev-parse", "doomed").strip()
    o = recovery.delete_branch(_paths(r), "doomed")
    res = run_cli("trash", str(r), "--json")
    assert res.returncode == 0
    (entry,) = json.loads(res.stdout)
    assert entry["id"] == o.trash_id and entry["kind"] == "branch" and entry["sha"] == sha
    assert entry["description"] == "branch doomed" and entry["time"] > 0
    res = run_cli("restore", o.trash_id or "", cwd=r)
    assert res.returncode == 0, res.stderr
    assert git(r, "rev-parse", "doomed").strip() == sha
    bad = run_cli("restore", str(r), "no-such-id")
    assert bad.returncode == 2 and "no trash entry" in bad.stderr and "Traceback" not in bad.stderr
    assert "the trash is empty" in run_cli("trash", str(r)).stdout


def test_no_baseline_takes_nothing_as_stray_and_never_offers_the_trunk(tmp_path: Path) -> None:
    """The real incident: agents outside agenttui, no announcement, HEAD left on an agent branch.
    Without a baseline nothing is stray (the clean-up once deleted `main`); with --since the trunk
    is protected and the agents' branches are offered."""
    import time as _time

    r = make_repo(tmp_path / "repo")
    since = _time.time()
    _time.sleep(1.1)  # reflog times have a one-second resolution
    git(r, "checkout", "-q", "-b", "agent-4-work")
    (r / "wip.txt").write_text("agent 4\n")
    git(r, "add", "wip.txt")
    git(r, "commit", "-qm", "agent 4 wip")
    git(r, "branch", "agent-2-tmp")
    paths = gitrepo.open_repo(r)
    inc = recovery.find_incident(paths)
    assert inc.source == "none" and inc.empty and "--since" in inc.summary
    assert recovery.clean_incident(paths, inc)[0].ok is False  # nothing to do, and it says why
    assert "refs/heads/main" in refs(r, "refs/heads")
    timed = recovery.find_incident(paths, since=since)
    assert timed.source == "since"
    assert "main" not in timed.branches and "main" in timed.protected  # control: it is a branch HEAD is not on
    assert timed.before_branch == "main"
    assert set(timed.branches) == {"agent-2-tmp"}  # agent-4-work is checked out: git keeps it anyway
