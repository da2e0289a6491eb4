"""Git model on real repositories: worktrees, branches, stashes, HEAD state."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agenttui.core.errors import NotARepository
from agenttui.core.git import repo as gitrepo
from tests.support.repos import git, make_repo


def test_core_never_imports_textual() -> None:
    code = (
        "import sys, agenttui.core.git.repo, agenttui.core.dispatch.check, agenttui.core.dispatch.plan, "
        "agenttui.core.dispatch.supervisor, agenttui.core.dispatch.gate, agenttui.core.host.procs, "
        "agenttui.core.journal, agenttui.core.agents.activity, agenttui.core.recovery, agenttui.cli; "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_open_repo_from_subdirectory(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r", files={"src/a.py": "x\n"})
    paths = gitrepo.open_repo(r / "src")
    assert paths.toplevel == r.resolve()
    assert paths.common_dir == (r / ".git").resolve()
    assert not paths.bare


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(NotARepository, match="not a git repository"):
        gitrepo.open_repo(tmp_path)


def test_bare_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "b.git")
    paths = gitrepo.open_repo(tmp_path / "b.git")
    assert paths.bare and paths.toplevel is None
    assert gitrepo.list_branches(paths) == []
    assert gitrepo.list_stashes(paths) == []
    assert gitrepo.list_worktrees(paths)[0].bare


@pytest.mark.parametrize("name", ["with space", "ünïcödé ☃", "tab\there"])
def test_worktrees_with_odd_paths(tmp_path: Path, name: str) -> None:
    r = make_repo(tmp_path / name)
    wt = tmp_path / f"{name} wt"
    git(r, "worktree", "add", "-q", "-b", "feature x".replace(" ", "-"), str(wt))
    git(r, "worktree", "add", "-q", "--detach", str(tmp_path / "det"))
    git(r, "worktree", "lock", "--reason", "agent busy", str(wt))
    (wt / "new file.txt").write_text("x")
    (wt / "file0.txt").write_text("changed")
    paths = gitrepo.open_repo(r)
    trees = gitrepo.list_worktrees(paths, dirty=True)
    assert trees[0].path == r.resolve()
    assert {t.path for t in trees[1:]} == {wt.resolve(), (tmp_path / "det").resolve()}
    main = trees[0]
    linked = next(t for t in trees if t.path == wt.resolve())
    det = next(t for t in trees if t.path == (tmp_path / "det").resolve())
    assert main.is_main and main.branch == "main" and main.dirty == 0
    assert linked.branch == "feature-x" and linked.locked and linked.locked_reason == "agent busy"
    assert linked.dirty == 2
    assert det.detached and det.branch is None and det.head == main.head


def test_prunable_worktree(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    wt = tmp_path / "gone"
    git(r, "worktree", "add", "-q", "-b", "x", str(wt))
    subprocess.run(["rm", "-rf", str(wt)], check=True)
    trees = gitrepo.list_worktrees(gitrepo.open_repo(r))
    assert trees[1].prunable and "gitdir file points to non-existent location" in (trees[1].prunable_reason or "")


def test_branches_one_listing(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    git(r, "branch", "merged-one")
    git(r, "checkout", "-q", "-b", "agents/auth")
    (r / "a.txt").write_text("a")
    git(r, "add", "a.txt")
    git(r, "commit", "-q", "-m", "auth work [wip]")
    git(r, "checkout", "-q", "main")
    wt = tmp_path / "wt"
    git(r, "worktree", "add", "-q", str(wt), "agents/auth")
    paths = gitrepo.open_repo(r)
    branches = {b.name: b for b in gitrepo.list_branches(paths, merged_into="main")}
    assert set(branches) == {"main", "merged-one", "agents/auth"}
    auth = branches["agents/auth"]
    assert auth.subject == "auth work [wip]"
    assert auth.worktree == wt.resolve()
    assert auth.merged is False and branches["merged-one"].merged is True
    assert auth.sha == git(r, "rev-parse", "agents/auth").strip()
    assert auth.date > 0


def test_branch_upstream_and_track(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    git(r, "branch", "up")
    git(r, "branch", "--set-upstream-to=up", "main")
    git(r, "commit", "-q", "--allow-empty", "-m", "ahead")
    b = {b.name: b for b in gitrepo.list_branches(gitrepo.open_repo(r))}["main"]
    assert b.upstream == "up" and b.track == "[ahead 1]"


def test_stashes(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    (r / "file0.txt").write_text("changed 0")
    (r / "file1.txt").write_text("changed 1")
    git(r, "stash", "push", "-q", "-m", "others-work-again")
    git(r, "checkout", "-q", "-b", "side")
    (r / "file0.txt").write_text("changed again")
    git(r, "stash", "push", "-q")
    stashes = gitrepo.list_stashes(gitrepo.open_repo(r))
    assert [s.index for s in stashes] == [0, 1]
    assert stashes[0].branch == "side" and stashes[0].message.startswith("WIP on side:")
    assert stashes[0].files == 1
    assert stashes[1].message == "On main: others-work-again"
    assert stashes[1].branch == "main" and stashes[1].files == 2
    assert stashes[1].sha == git(r, "rev-parse", "stash@{1}").strip()
    # only the newest (`agenttui recover`'s first frame): the same entries, files counted alike
    (r / "new.txt").write_text("untracked only")
    git(r, "stash", "push", "-q", "-u", "-m", "new file")
    newest = gitrepo.list_stashes(gitrepo.open_repo(r), 2)
    everything = gitrepo.list_stashes(gitrepo.open_repo(r))
    assert len(everything) == 3 and newest == everything[:2]  # (control: all three without a limit)
    assert newest[0].files == 1 and newest[0].untracked == 1


def test_head_detached_and_unborn(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    git(r, "checkout", "-q", "--detach")
    h = gitrepo.head_state(r)
    assert h.detached and h.branch is None and h.sha == git(r, "rev-parse", "HEAD").strip()
    u = tmp_path / "u"
    git(tmp_path, "init", "-q", "-b", "trunk", str(u))
    hu = gitrepo.head_state(u)
    assert hu.branch == "trunk" and hu.sha is None and not hu.detached
    assert not gitrepo.has_commits(gitrepo.open_repo(u))


def _conflict(r: Path) -> None:
    git(r, "checkout", "-q", "-b", "other")
    (r / "file0.txt").write_text("other\n")
    git(r, "commit", "-qam", "other")
    git(r, "checkout", "-q", "main")
    (r / "file0.txt").write_text("mine\n")
    git(r, "commit", "-qam", "mine")


@pytest.mark.parametrize(
    ("cmd", "op"),
    [
        (["merge", "other"], "merge"),
        (["rebase", "other"], "rebase"),
        (["cherry-pick", "other"], "cherry-pick"),
    ],
)
def test_operation_in_progress(tmp_path: Path, cmd: list[str], op: str) -> None:
    r = make_repo(tmp_path / "r")
    _conflict(r)
    res = subprocess.run(["git", *cmd], cwd=r, capture_output=True, text=True, check=False)
    assert res.returncode != 0  # stopped on the conflict
    assert gitrepo.head_state(r).operation == op


def test_revert_and_bisect_in_progress(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    _conflict(r)
    (r / "file0.txt").write_text("third\n")
    git(r, "commit", "-qam", "third")
    subprocess.run(["git", "revert", "--no-edit", "HEAD~1"], cwd=r, capture_output=True, check=False)
    assert gitrepo.head_state(r).operation == "revert"
    git(r, "revert", "--abort")
    git(r, "bisect", "start")
    assert gitrepo.head_state(r).operation == "bisect"


def test_index_lock_seen_and_never_taken(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    (r / "file0.txt").write_text("dirty")
    (r / ".git" / "index.lock").write_text("")
    paths = gitrepo.open_repo(r)
    assert gitrepo.head_state(r).index_locked
    snap = gitrepo.snapshot(paths)  # reads work while another process holds the lock
    assert snap.worktrees[0].dirty == 1


def test_reads_never_write_the_index(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    (r / "file0.txt").write_text("dirty")
    idx = r / ".git" / "index"
    before = idx.stat().st_mtime_ns
    gitrepo.snapshot(gitrepo.open_repo(r))
    assert idx.stat().st_mtime_ns == before


def test_reftable_repository(tmp_path: Path) -> None:
    res = subprocess.run(
        ["git", "init", "-q", "--ref-format=reftable", str(tmp_path / "rt")],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        pytest.skip(f"this git cannot make a reftable repository: {res.stderr.strip()}")
    r = tmp_path / "rt"
    (r / "a").write_text("a")
    git(r, "add", "a")
    git(r, "commit", "-qm", "one")
    git(r, "branch", "agents/x")
    paths = gitrepo.open_repo(r)
    assert gitrepo.ref_format(paths) == "reftable"
    assert {b.name for b in gitrepo.list_branches(paths)} >= {"agents/x"}
    assert gitrepo.head_state(r).sha


def test_resolve_commits_one_call(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    got = gitrepo.resolve_commits(gitrepo.open_repo(r), ["HEAD", "nope", "main~1", "HEAD"])
    assert got["HEAD"] == git(r, "rev-parse", "HEAD").strip()
    assert got["main~1"] == git(r, "rev-parse", "HEAD~1").strip()
    assert got["nope"] is None
