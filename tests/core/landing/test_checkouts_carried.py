"""Landing like git's own merge: into a branch checked out (the main checkout or another worktree),
the user's uncommitted changes carried forward where they do not overlap, an overlap refused with
its paths and nothing moved, undo putting branch and checkouts back, and the landing defects a fault
battery found (each with the case that showed it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from agenttui.core import recovery
from agenttui.core.git import repo as gitrepo
from agenttui.core.landing import land as landing
from tests.support.incidents import agent
from tests.support.repos import ROOT, git, make_repo, run_cli, wait_for


@pytest.fixture
def r(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", files={"shared.txt": "one\ntwo\nthree\n", "mine.txt": "mine\n"})


def user_edits(r: Path) -> None:
    (r / "mine.txt").write_text("my own uncommitted edit\n")
    (r / "notes.txt").write_text("my untracked notes\n")
    git(r, "add", "notes.txt")  # staged, too


@pytest.mark.parametrize("mode", ["ff", "squash", "rebase", "merge"])
def test_non_overlapping_user_edits_are_carried_through_every_mode(r: Path, tmp_path: Path, mode: str) -> None:
    agent(r, tmp_path, "a", {"a.txt": "agent"})
    user_edits(r)
    paths = gitrepo.open_repo(r)
    old = git(r, "rev-parse", "main").strip()
    res = landing.land(paths, "agents/a", mode=mode, cleanup=False)
    assert res.ok, res.message
    assert git(r, "rev-parse", "main").strip() == res.new != old
    assert (r / "a.txt").read_text() == "agent\n"  # the landing is in the checkout
    assert (r / "mine.txt").read_text() == "my own uncommitted edit\n"  # and the user's work is still there,
    status = git(r, "status", "--porcelain")
    assert " M mine.txt" in status and "A  notes.txt" in status and "a.txt" not in status  # uncommitted as before
    # before the checkout was touched its state went to the trash
    assert any(e.kind == "worktree" and e.meta.get("checkout") for e in recovery.list_trash(paths))


def test_an_overlap_refuses_naming_the_path_and_nothing_moves(r: Path, tmp_path: Path) -> None:
    agent(r, tmp_path, "s", {"shared.txt": "the agent's version"})
    (r / "shared.txt").write_text("the user's version\n")
    paths = gitrepo.open_repo(r)
    old = git(r, "rev-parse", "main").strip()
    with pytest.raises(landing.LandingError, match=r"overlap it \(shared\.txt\)"):
        landing.land(paths, "agents/s")
    assert git(r, "rev-parse", "main").strip() == old and (r / "shared.txt").read_text() == "the user's version\n"
    assert "agents/s" in git(r, "branch")  # nothing cleaned either
    # the control: git's own merge refuses the same
    res = subprocess.run(["git", "merge", "--ff-only", "agents/s"], cwd=r, capture_output=True, text=True, check=False)
    assert res.returncode != 0 and "shared.txt" in res.stderr


def test_undo_puts_the_branch_and_its_checkout_back_keeping_the_users_edits(r: Path, tmp_path: Path) -> None:
    agent(r, tmp_path, "u", {"u.txt": "u"})
    user_edits(r)
    paths = gitrepo.open_repo(r)
    old = git(r, "rev-parse", "main").strip()
    res = landing.land(paths, "agents/u", cleanup=False)
    assert res.ok and res.trash_id and (r / "u.txt").exists()
    out = recovery.restore(paths, res.trash_id)
    assert out.ok, out.message
    assert git(r, "rev-parse", "main").strip() == old
    status = git(r, "status", "--porcelain")
    assert not (r / "u.txt").exists() and "u.txt" not in status  # not left behind, not staged
    assert " M mine.txt" in status and "A  notes.txt" in status


def test_into_a_branch_checked_out_in_another_worktree_that_worktree_moves_too(r: Path, tmp_path: Path) -> None:
    agent(r, tmp_path, "x", {"x.txt": "x"})
    rel = tmp_path / "release-wt"
    git(r, "worktree", "add", "-q", "-b", "release", str(rel))
    (rel / "mine.txt").write_text("edited in the release worktree\n")
    paths = gitrepo.open_repo(r)
    res = landing.land(paths, "agents/x", into="release", cleanup=False)
    assert res.ok, res.message
    assert (rel / "x.txt").read_text() == "x\n" and git(rel, "status", "--porcelain").strip() == "M mine.txt"
    # its next commit keeps the landing (the fault: the worktree's stale index reverted it)
    git(rel, "commit", "-qam", "the user's commit")
    assert git(rel, "show", "HEAD:x.txt") == "x\n"
    assert "x.txt" not in git(rel, "show", "--stat", "--format=", "HEAD")


def test_a_refused_clean_up_after_a_landing_is_a_warning_not_an_error(r: Path, tmp_path: Path) -> None:
    wt = agent(r, tmp_path, "c", {"c.txt": "c"})
    busy = subprocess.Popen(["sleep", "60"], cwd=wt)  # a process in the worktree: its archive is refused
    try:
        res = run_cli("land", str(r), "c-wt", "--yes")
    finally:
        busy.kill()
        busy.wait()
    assert res.returncode == 0, res.stdout + res.stderr
    assert "landed agents/c into main" in res.stdout and "warning: the landing happened" in res.stdout
    assert git(r, "show", "main:c.txt") == "c\n"


def test_a_landing_killed_half_way_leaves_nothing_registered_after_restore(r: Path, tmp_path: Path) -> None:
    agent(r, tmp_path, "k", {"k.txt": "k"})
    old = git(r, "rev-parse", "main").strip()
    marker = tmp_path / "check-started"
    proc = subprocess.Popen(
        [sys.executable, "-m", "agenttui", "land", str(r), "agents/k", "--yes", "--check", f"touch {marker}; sleep 60"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(marker.exists, timeout=30, what="the landing's check running")
        assert "agenttui/landing/" in git(r, "worktree", "list")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    subprocess.run(["pkill", "-f", f"touch {marker}"], check=False)
    res = run_cli("restore", str(r), "--all")
    assert res.returncode == 0, res.stderr
    assert "agenttui/landing/" not in git(r, "worktree", "list")
    assert git(r, "rev-parse", "main").strip() == old  # nothing landed


def test_the_conflict_note_neither_blocks_nor_gets_committed_nor_follows_a_symlink(r: Path, tmp_path: Path) -> None:
    wt = agent(r, tmp_path, "n", {"shared.txt": "agent"})
    (r / "shared.txt").write_text("main's own\n")
    git(r, "commit", "-qam", "main changed it too")
    paths = gitrepo.open_repo(r)
    res = landing.land(paths, "agents/n")
    assert res.conflicts == ["shared.txt"] and (wt / "AGENTTUI-CONFLICTS.md").exists()
    assert git(wt, "status", "--porcelain") == ""  # the note is no uncommitted change of the agent's
    git(wt, "add", "-A")  # what land --commit runs: the note is not taken
    assert "AGENTTUI-CONFLICTS.md" not in git(wt, "ls-files")
    # a committed symlink of that name: its target is never written
    other = make_repo(tmp_path / "other")
    wt2 = agent(other, tmp_path, "s", {"shared.txt": "agent"})
    target = tmp_path / "victim.txt"
    target.write_text("precious\n")
    (wt2 / "AGENTTUI-CONFLICTS.md").symlink_to(target)
    git(wt2, "add", "AGENTTUI-CONFLICTS.md")
    git(wt2, "commit", "-qm", "a symlink")
    (other / "shared.txt").write_text("main\n")
    git(other, "add", "shared.txt")
    git(other, "commit", "-qm", "main")
    res = landing.land(gitrepo.open_repo(other), "agents/s")
    assert res.conflicts and target.read_text() == "precious\n"


def test_nonsense_targets_are_refused_with_their_reason(r: Path, tmp_path: Path) -> None:
    paths = gitrepo.open_repo(r)
    with pytest.raises(landing.LandingError, match="the base itself"):
        landing.land(paths, "main", into="main")
    assert "main" in git(r, "branch")  # (it once went to the trash)
    agent(r, tmp_path, "z", {"z.txt": "z"})
    with pytest.raises(landing.LandingError, match="is not a branch"):
        landing.land(paths, "agents/z", into="main~1")
    # a plan agent whose branch was deleted: said so (it was reported as a conflict)
    (r / "agenttui.toml").write_text('[[agent]]\nname = "p"\ncommand = ["true"]\n')
    with pytest.raises(landing.LandingError, match="branch agents/p does not exist"):
        landing.land(paths, "p")


def test_after_a_landing_the_others_are_offered_a_rebase_forecast_first(r: Path, tmp_path: Path) -> None:
    agent(r, tmp_path, "a", {"shared.txt": "a's version"})
    b = agent(r, tmp_path, "b", {"b.txt": "b"})
    c = agent(r, tmp_path, "c", {"shared.txt": "c's version"})
    res = run_cli("land", str(r), "agents/a", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "b-wt (agents/b) on the new main: rebases cleanly" in res.stdout
    assert "c-wt (agents/c) on the new main: would conflict in shared.txt" in res.stdout
    main = git(r, "rev-parse", "main").strip()
    assert git(r, "merge-base", "main", "agents/b").strip() != main  # only offered: nothing moved yet
    # the offer taken: the clean one rebased in its worktree, the conflicting one left exactly as it was
    tip_c = git(r, "rev-parse", "agents/c").strip()
    agent(r, tmp_path, "d", {"d.txt": "d"})
    res = run_cli("land", str(r), "agents/d", "--yes", "--rebase-rest")
    assert res.returncode == 0, res.stdout + res.stderr
    main = git(r, "rev-parse", "main").strip()
    assert git(b, "merge-base", "HEAD", "main").strip() == main and (b / "d.txt").exists()
    assert git(r, "rev-parse", "agents/c").strip() == tip_c and git(c, "status", "--porcelain") == ""
    paths = gitrepo.open_repo(r)
    assert any(e.meta.get("name") == "agents/b-before-rebase" for e in recovery.list_trash(paths))


def test_a_move_killed_between_the_checkout_and_the_branch_is_put_back(r: Path, tmp_path: Path) -> None:
    """What SIGKILL between a checkout's move and its branch's leaves — the checkout at the landed tree,
    the branch at the old tip — is put back by the next restore, the user's edit kept."""
    from agenttui.core import journal
    from agenttui.core.recovery.checkouts import move_checkouts

    agent(r, tmp_path, "h", {"h.txt": "h"})
    user_edits(r)
    paths = gitrepo.open_repo(r)
    old, new = git(r, "rev-parse", "main").strip(), git(r, "rev-parse", "agents/h").strip()
    journal.append(paths, "checkout-move", branch="main", old=old, new=new, checkouts=[str(r)])
    move_checkouts([r], old, new)  # ... and killed here
    assert "A  h.txt" in git(r, "status", "--porcelain")  # the half-done state (the control)
    res = run_cli("restore", str(r), "--all")
    assert res.returncode == 0, res.stderr
    status = git(r, "status", "--porcelain")
    assert "h.txt" not in status and not (r / "h.txt").exists()
    assert " M mine.txt" in status and "A  notes.txt" in status
