"""The recovery data-safety defects the fault battery found (git 2.39), each with its control."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agenttui.core import journal, recovery
from agenttui.core.git import repo as gitrepo
from agenttui.core.recovery.lock import RecoveryBusy, recovery_lock
from tests.support.repos import ROOT, git, make_repo


def stashes(r: Path, n: int) -> list[str]:
    for i in range(n):
        (r / "file0.txt").write_text(f"v{i}\n")
        git(r, "stash", "push", "-q", "-m", f"s{i}")
    return [line.split()[0] for line in git(r, "stash", "list", "--format=%H").splitlines()]


def test_control_git_stash_drop_deletes_a_newer_stash_when_a_push_lands_in_the_gap(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    shas = stashes(r, 3)
    target = shas[1]  # stash@{1}
    (r / "file1.txt").write_text("agent\n")
    git(r, "stash", "push", "-q", "-m", "agent")  # the agent's push: stash@{1} now names another
    agent = git(r, "rev-parse", "stash@{0}").strip()
    git(r, "stash", "drop", "-q", "stash@{1}")  # what a naive tool does with the index it listed
    left = git(r, "stash", "list", "--format=%H").split()
    assert target in left  # the chosen stash is still there...
    assert shas[0] not in left  # ...and a different one is gone
    assert agent in left


def test_a_push_in_the_drop_gap_loses_nothing(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    shas = stashes(r, 3)
    paths = gitrepo.open_repo(r)
    target = shas[1]
    pushed: list[str] = []

    def push() -> None:
        (r / "file1.txt").write_text("agent\n")
        git(r, "stash", "push", "-q", "-m", "agent")
        pushed.append(git(r, "rev-parse", "stash@{0}").strip())

    (out,) = recovery.drop_stashes(paths, [(1, target)], gap=push)
    assert out.ok, out.message
    left = git(r, "stash", "list", "--format=%H").split()
    assert target not in left
    assert set(pushed) | {shas[0], shas[2]} <= set(left)  # everything else is still a stash
    trash = recovery.list_trash(paths)
    assert [e.sha for e in trash if e.kind == "stash"] == [target]  # only the target is in the trash


def test_concurrent_recovery_processes_wait_for_each_other(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    paths = gitrepo.open_repo(r)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time; sys.path.insert(0, sys.argv[1])\n"
            "from agenttui.core.git import repo\nfrom agenttui.core.recovery.lock import recovery_lock\n"
            "with recovery_lock(repo.open_repo(sys.argv[2])):\n print('held', flush=True); time.sleep(30)",
            str(ROOT),
            str(r),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RecoveryBusy), recovery_lock(paths, wait=0.3):
            pass
    finally:
        holder.kill()
        holder.wait()
    with recovery_lock(paths, wait=0.3):  # control: free once the other process is gone
        pass


def _undeletable(path: Path) -> tuple[list[str], list[str]] | None:
    """Make *path* impossible to delete: chattr +i as root (root ignores modes), else a read-only
    parent.  Returns the command that undoes it, or None when neither works here."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode == 0:
            return (["chattr", "-i", str(path)], [])
        return None
    os.chmod(path.parent, 0o555)
    return (["chmod", "755", str(path.parent)], [])


def test_archive_keeps_its_backup_when_removal_fails_part_way(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    wt = tmp_path / "wt"
    git(r, "worktree", "add", "-q", "-b", "w", str(wt))
    (wt / "keep").mkdir()
    (wt / "keep" / "a.txt").write_text("precious\n")
    (wt / "b.txt").write_text("also precious\n")
    undo = _undeletable(wt / "keep" / "a.txt")  # git deletes b.txt, then fails on keep/a.txt
    if undo is None:
        pytest.skip("no way to make a file undeletable here (chattr)")
    try:
        with pytest.raises(recovery.RecoveryError, match="stays in the trash"):
            recovery.archive_worktree(gitrepo.open_repo(r), wt)
    finally:
        subprocess.run(undo[0], check=False)
    assert not (wt / "b.txt").exists()  # control: git had deleted files before it failed
    entry = recovery.list_trash(gitrepo.open_repo(r))[0]
    assert git(r, "show", f"{entry.sha}:b.txt") == "also precious\n"  # ...and the snapshot still has them
    assert "removal failed part-way" in entry.description


def test_archive_refuses_a_nested_repository(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    wt = tmp_path / "wt"
    git(r, "worktree", "add", "-q", "-b", "w", str(wt))
    inner = make_repo(wt / "vendor" / "lib")
    (inner / "edit.txt").write_text("uncommitted inner work\n")
    with pytest.raises(recovery.RecoveryError, match="nested repository"):
        recovery.archive_worktree(gitrepo.open_repo(r), wt)
    assert (inner / "edit.txt").exists() and wt.is_dir()  # nothing was touched


def test_archive_restores_empty_folders_and_modes(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    wt = tmp_path / "wt"
    git(r, "worktree", "add", "-q", "-b", "w", str(wt))
    (wt / "empty" / "deeper").mkdir(parents=True)
    (wt / "secret.txt").write_text("s\n")
    os.chmod(wt / "secret.txt", 0o600)
    paths = gitrepo.open_repo(r)
    out = recovery.archive_worktree(paths, wt)
    assert not wt.exists()
    recovery.restore(paths, out.trash_id or "")
    assert (wt / "empty" / "deeper").is_dir()
    assert (os.stat(wt / "secret.txt").st_mode & 0o777) == 0o600


def test_restore_after_a_crash_between_removal_and_the_journal_line(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    wt = tmp_path / "wt"
    git(r, "worktree", "add", "-q", "-b", "w", str(wt))
    (wt / "work.txt").write_text("w\n")
    paths = gitrepo.open_repo(r)
    out = recovery.archive_worktree(paths, wt)
    # the crash: the last journal line ("trash") never made it to disk
    jp = journal.journal_path(paths)
    lines = jp.read_text().splitlines()
    assert '"event": "trash"' in lines[-1]
    jp.write_text("\n".join(lines[:-1]) + "\n")
    assert recovery.restore(paths, out.trash_id or "").ok  # once failed: "cannot restore worktree at ."
    assert (wt / "work.txt").read_text() == "w\n"


def test_a_backup_whose_drop_never_happened_is_not_restored_twice(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    (sha,) = stashes(r, 1)
    paths = gitrepo.open_repo(r)
    recovery.trash._backup(paths, "20260101-000000-aaaaaa", "stash", sha)  # backed up, then a crash
    out = recovery.restore(paths, "20260101-000000-aaaaaa")
    assert out.ok and "already" in out.message
    assert git(r, "stash", "list", "--format=%H").split() == [sha]


def test_restoring_a_worktree_whose_branch_moved_keeps_the_archived_files(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    wt = tmp_path / "wt"
    git(r, "worktree", "add", "-q", "-b", "w", str(wt))
    (wt / "mine.txt").write_text("archived\n")
    paths = gitrepo.open_repo(r)
    out = recovery.archive_worktree(paths, wt)
    git(r, "commit", "-q", "--allow-empty", "-m", "elsewhere")
    git(r, "branch", "-f", "w", "HEAD")  # the branch moved on meanwhile
    done = recovery.restore(paths, out.trash_id or "")
    assert "detached" in done.message
    assert (wt / "mine.txt").read_text() == "archived\n"
    assert git(wt, "status", "--porcelain").splitlines() == ["?? mine.txt"]  # nothing shows as deleted


def test_dropping_the_newest_stash_while_an_agent_pushes_takes_only_the_target(tmp_path: Path) -> None:
    """stash@{0}: a push lands between agenttui's listing and the drop.  git's `stash drop stash@{0}`
    then takes the agent's new stash — one no listing before the drop could have seen (the control) —
    and agenttui, dropping by SHA under git's own lock on refs/stash, takes only its target."""
    r = make_repo(tmp_path / "r")
    shas = stashes(r, 2)
    (r / "file1.txt").write_text("agent\n")
    git(r, "stash", "push", "-q", "-m", "agent")
    agent = git(r, "rev-parse", "stash@{0}").strip()
    git(r, "stash", "drop", "-q", "stash@{0}")  # the control: the newest was meant to be shas[0]...
    assert agent not in git(r, "stash", "list", "--format=%H").split()
    assert shas[0] in git(r, "stash", "list", "--format=%H").split()
    paths = gitrepo.open_repo(r)
    pushed: list[str] = []

    def push() -> None:
        (r / "file1.txt").write_text("agent again\n")
        git(r, "stash", "push", "-q", "-m", "agent again")
        pushed.append(git(r, "rev-parse", "stash@{0}").strip())

    (out,) = recovery.drop_stashes(paths, [(0, shas[0])], gap=push)
    assert out.ok, out.message
    left = git(r, "stash", "list", "--format=%H").split()
    assert shas[0] not in left and pushed[0] in left and shas[1] in left
    assert git(r, "stash", "list", "--format=%gs").splitlines()[0].endswith("agent again")


def test_drops_racing_a_real_pusher_lose_nothing(tmp_path: Path) -> None:
    """A process pushing stashes while agenttui drops, 25 randomized trials (bench/bench_stash_race.py
    runs 1,000, and its --naive control loses stashes)."""
    import random

    from bench.bench_stash_race import trial

    rng = random.Random(7)
    for n in range(25):
        lost, kept = trial(tmp_path, n, rng, naive=False)
        assert (lost, kept) == (0, 0), n
