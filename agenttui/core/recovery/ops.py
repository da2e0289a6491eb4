"""Destructive recovery operations, each backed up to the trash first: stashes, branches, worktrees."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .. import gitcmd
from .. import repo as gitrepo
from ..errors import GitError
from ..models import RepoPaths, Stash, Worktree
from .trash import TRASH, Outcome, RecoveryError, _backup, _cwd, _record, _unbackup, new_id

# ------------------------------------------------------------------------ stashes
_DROPPED = re.compile(r"Dropped (\S+) \(([0-9a-f]+)\)")


def drop_stashes(paths: RepoPaths, targets: list[tuple[int, str]],
                 *, between: Callable[[], None] | None = None) -> list[Outcome]:
    """Drop stashes given as (index, sha), highest index first, each backed up first.

    git has no drop-by-SHA: before each drop the entry is re-found by its SHA (an agent may
    have pushed or dropped a stash meanwhile, shifting indexes), and the SHA git reports as
    dropped is compared; a wrong drop is stored back at once.  *between* runs before each drop
    (tests use it to race a real ``git stash push`` against the loop).
    """
    outcomes: list[Outcome] = []
    for index, sha in sorted(targets, key=lambda t: -t[0]):
        if between is not None:
            between()
        listing = gitrepo.list_stashes(paths)
        current = {s.sha: s for s in listing}
        stash = current.get(sha)
        if stash is None:
            outcomes.append(Outcome(False, f"stash {sha[:10]} (was stash@{{{index}}}) is gone already"))
            continue
        below = listing[stash.index + 1].sha if stash.index + 1 < len(listing) else None
        outcomes.append(_drop_one(paths, stash, below))
    return outcomes


def _drop_one(paths: RepoPaths, stash: Stash, below: str | None = None) -> Outcome:
    entry = new_id()
    # "below" (the next older entry) and "seq" let restore_many rebuild the stack order
    meta = {"message": stash.message, "branch": stash.branch, "index": stash.index,
            "files": stash.files, "date": stash.date, "below": below, "seq": time.time_ns()}
    _record(paths, "trash-before", id=entry, kind="stash", sha=stash.sha, op="stash drop", meta=meta)
    ref = _backup(paths, entry, "stash", stash.sha)
    # re-check right before the drop: the index must still name this sha
    status, now_sha, _ = gitcmd.run(_cwd(paths), ["rev-parse", "-q", "--verify", stash.ref], check=False)
    if status != 0 or now_sha.strip() != stash.sha:
        _unbackup(paths, ref)
        return Outcome(False, f"{stash.ref} moved before the drop; nothing dropped, reload and retry")
    status, out, err = gitcmd.run(_cwd(paths), ["stash", "drop", "--end-of-options", stash.ref], check=False)
    m = _DROPPED.search(out + err)
    if status != 0 or m is None:
        _unbackup(paths, ref)
        first = gitcmd.first_line(err, "failed")
        return Outcome(False, f"git stash drop {stash.ref} failed: {first}")
    dropped = m.group(2)
    if not stash.sha.startswith(dropped):
        # git dropped another entry: store it back at once (it is in the trash too)
        full = gitcmd.out(paths.common_dir, "rev-parse", dropped).strip()
        gitcmd.run(_cwd(paths), ["stash", "store", "-m", "restored by agenttui", full], check=False)
        _record(paths, "trash-mismatch", id=entry, expected=stash.sha, dropped=full)
        return Outcome(False, f"git dropped {full[:10]} instead of {stash.sha[:10]}; stored it back")
    _record(paths, "trash", id=entry, kind="stash", sha=stash.sha,
            description=f"stash {stash.message}", meta=meta)
    return Outcome(True, f"dropped {stash.ref} ({stash.message}); backed up as {entry}", entry)


def stash_to_branch(paths: RepoPaths, stash: Stash, name: str) -> Outcome:
    """Make a branch holding the stash's changes as one commit on its base; no checkout touched."""
    if not gitcmd.check_ref_format(f"refs/heads/{name}"):
        raise RecoveryError(f"{name!r} is not a valid branch name")
    base = gitcmd.out(paths.common_dir, "rev-parse", f"{stash.sha}^1").strip()
    tree = gitcmd.out(paths.common_dir, "rev-parse", f"{stash.sha}^{{tree}}").strip()
    commit = gitcmd.out(paths.common_dir, "commit-tree", tree, "-p", base, "-m", stash.message).strip()
    status, _, err = gitcmd.run(paths.common_dir, ["update-ref", f"refs/heads/{name}", commit, ""],
                                check=False)
    if status != 0:
        raise RecoveryError(f"cannot create branch {name}: {err.strip().splitlines()[-1] if err.strip() else ''}")
    _record(paths, "stash-branch", stash=stash.sha, branch=name, commit=commit)
    return Outcome(True, f"branch {name} now holds {stash.ref} as commit {commit[:10]}")


def apply_stash(paths: RepoPaths, stash: Stash, *, pop: bool = False) -> Outcome:
    """``git stash apply`` into the main checkout; with *pop*, then drop it (backed up)."""
    cwd = _cwd(paths)
    if gitrepo.head_state(cwd).index_locked:
        raise RecoveryError("index.lock is held in the main checkout: another git command is running")
    status, _, err = gitcmd.run(cwd, ["stash", "apply", "--end-of-options", stash.ref], check=False)
    if status != 0:
        first = gitcmd.first_line(err, "failed")
        raise RecoveryError(f"git stash apply {stash.ref} failed: {first}")
    _record(paths, "stash-apply", sha=stash.sha, pop=pop)
    if pop:
        (dropped,) = drop_stashes(paths, [(stash.index, stash.sha)])
        return Outcome(dropped.ok, f"applied and {dropped.message}", dropped.trash_id)
    return Outcome(True, f"applied {stash.ref} to the main checkout")


# ------------------------------------------------------------------------ branches
def delete_branch(paths: RepoPaths, name: str, *, force: bool = False) -> Outcome:
    """``git branch -d`` (``-D`` only with *force*), backed up with its config first."""
    status, sha, _ = gitcmd.run(paths.common_dir, ["rev-parse", "-q", "--verify", f"refs/heads/{name}"],
                                check=False)
    sha = sha.strip()
    if status != 0 or not sha:
        raise RecoveryError(f"branch {name} does not exist")
    for w in gitrepo.list_worktrees(paths):
        if w.branch == name:
            raise RecoveryError(f"branch {name} is checked out in {w.path}: archive that worktree first")
    _, cfg, _ = gitcmd.run(paths.common_dir, ["config", "--null", "--get-regexp",
                                              "^branch\\." + re.escape(name) + "\\."], check=False)
    config = [item.split("\n", 1) for item in cfg.split("\0") if item]
    entry = new_id()
    meta = {"name": name, "config": config, "force": force}
    _record(paths, "trash-before", id=entry, kind="branch", sha=sha, op="branch delete", meta=meta)
    ref = _backup(paths, entry, "branch", sha, verify=(f"refs/heads/{name}", sha))
    status, out, err = gitcmd.run(_cwd(paths), ["branch", "-D" if force else "-d", "--end-of-options", name],
                                  check=False)
    m = re.search(r"Deleted branch .+ \(was ([0-9a-f]+)\)", out + err)
    if status != 0 or m is None:
        _unbackup(paths, ref)
        if "not fully merged" in err:
            raise RecoveryError(f"branch {name} is not fully merged: deleting it needs a second, "
                                "explicit confirmation (force)")
        first = gitcmd.first_line(err, "failed")
        raise RecoveryError(f"git branch -d {name} failed: {first}")
    if not sha.startswith(m.group(1)):
        # someone moved it between our verify and git's delete: the backup still has ours,
        # and git said what it deleted: keep that too
        gitcmd.run(paths.common_dir, ["update-ref", f"{TRASH}/{entry}/moved", m.group(1)], check=False)
    _record(paths, "trash", id=entry, kind="branch", sha=sha, description=f"branch {name}", meta=meta)
    return Outcome(True, f"deleted branch {name} (was {sha[:10]}); backed up as {entry}", entry)


# ------------------------------------------------------------------------ worktrees
def worktree_blockers(paths: RepoPaths, wt: Worktree) -> list[str]:
    """Why agenttui refuses to touch a worktree right now (empty: it may)."""
    problems: list[str] = []
    if wt.is_main:
        problems.append("it is the main checkout")
    if wt.locked:
        problems.append(f"it is locked ({wt.locked_reason or 'no reason given'}): unlock it first")
    if os.path.isdir(wt.path):
        try:
            git_dir = Path(gitcmd.out(wt.path, "rev-parse", "--path-format=absolute", "--git-dir").strip())
        except GitError:
            git_dir = None
        if git_dir is not None and (git_dir / "index.lock").exists():
            problems.append("its index.lock is held: a git command is running in it")
        from ..procs import describe, processes_in

        users = processes_in([wt.path], exclude={os.getpid()}).get(wt.path, [])
        if users:
            problems.append("processes have their working directory in it: "
                            + ", ".join(describe(p) for p in users[:5]))
    return problems


def find_worktree(paths: RepoPaths, path: Path) -> Worktree:
    key = os.path.normpath(path)
    for w in gitrepo.list_worktrees(paths):
        if os.path.normpath(w.path) == key:
            return w
    raise RecoveryError(f"{path} is not a worktree of this repository")


def untracked_ignored(path: Path) -> tuple[int, int]:
    """(untracked, ignored) files in a worktree, one git call, counted file by file: what an
    archive stores and what ``worktree remove`` would delete.  The recovery screen and the
    archive use this one count (they once used different flags and disagreed)."""
    text = gitcmd.out(path, "status", "--porcelain", "--ignored=matching", "--untracked-files=all", "-z")
    items = text.split("\0")
    return (sum(1 for i in items if i.startswith("?? ")), sum(1 for i in items if i.startswith("!! ")))


def ignored_count(path: Path) -> int:
    return untracked_ignored(path)[1]


def snapshot_worktree(wt: Worktree) -> str:
    """Commit the worktree's full state (tracked, untracked and ignored files) without touching
    its index: a temporary GIT_INDEX_FILE, ``add -A -f``, ``write-tree``, ``commit-tree -p HEAD``."""
    with tempfile.TemporaryDirectory(prefix="agenttui-idx-") as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        if wt.head:
            gitcmd.run(wt.path, ["read-tree", wt.head], env=env)
        gitcmd.run(wt.path, ["add", "-A", "-f", "--", "."], env=env)
        _, tree, _ = gitcmd.run(wt.path, ["write-tree"], env=env)
    parents = ["-p", wt.head] if wt.head else []
    msg = f"agenttui archive of {wt.path} ({wt.branch or 'detached'})"
    return gitcmd.out(wt.path, "commit-tree", tree.strip(), *parents, "-m", msg).strip()


def archive_worktree(paths: RepoPaths, path: Path, *, require_clean: bool = False) -> Outcome:
    """Snapshot the worktree's whole state into the trash, then ``worktree remove`` + ``prune``."""
    wt = find_worktree(paths, path)
    blockers = worktree_blockers(paths, wt)
    if blockers:
        raise RecoveryError(f"refusing to touch {wt.path}: " + "; ".join(blockers))
    if wt.prunable or not os.path.isdir(wt.path):
        raise RecoveryError(f"{wt.path} is gone from disk: prune stale worktrees instead")
    if require_clean:
        dirty = gitrepo.status_entries(wt.path)
        ignored = ignored_count(wt.path)
        if dirty or ignored:
            raise RecoveryError(f"{wt.path} has {len(dirty)} changed/untracked and {ignored} ignored "
                                "files: archive it instead (keeps everything in the trash)")
    commit = snapshot_worktree(wt)
    entry = new_id()
    meta = {"path": str(wt.path), "branch": wt.branch, "head": wt.head, "detached": wt.detached}
    _record(paths, "trash-before", id=entry, kind="worktree", sha=commit, op="worktree archive", meta=meta)
    ref = _backup(paths, entry, "worktree", commit)
    status, _, err = gitcmd.run(_cwd(paths), ["worktree", "remove", "--force", "--end-of-options", str(wt.path)],
                                check=False)
    if status != 0:
        _unbackup(paths, ref)
        first = gitcmd.first_line(err, "failed")
        raise RecoveryError(f"git worktree remove {wt.path} failed: {first}")
    gitcmd.run(_cwd(paths), ["worktree", "prune"], check=False)
    _record(paths, "trash", id=entry, kind="worktree", sha=commit,
            description=f"worktree {wt.path} ({wt.branch or 'detached'})", meta=meta)
    verb = "removed" if require_clean else "archived"
    return Outcome(True, f"{verb} worktree {wt.path}; snapshot {commit[:10]} backed up as {entry}", entry)


def prune_worktrees(paths: RepoPaths) -> list[Outcome]:
    """``git worktree prune``: stale entries only; each one's HEAD is backed up first."""
    outcomes: list[Outcome] = []
    for w in gitrepo.list_worktrees(paths):
        if not w.prunable or not w.head:
            continue
        entry = new_id()
        meta = {"path": str(w.path), "branch": w.branch, "head": w.head, "detached": w.detached,
                "pruned": True}
        _backup(paths, entry, "worktree", w.head)
        _record(paths, "trash", id=entry, kind="worktree", sha=w.head,
                description=f"stale worktree {w.path} ({w.branch or 'detached'})", meta=meta)
        outcomes.append(Outcome(True, f"pruned stale worktree {w.path}; HEAD backed up as {entry}", entry))
    gitcmd.run(_cwd(paths), ["worktree", "prune"], check=False)
    return outcomes or [Outcome(True, "no stale worktrees to prune")]


def unlock_worktree(paths: RepoPaths, path: Path) -> Outcome:
    gitcmd.out(_cwd(paths), "worktree", "unlock", "--end-of-options", str(path))
    _record(paths, "worktree-unlock", path=str(path))
    return Outcome(True, f"unlocked {path}")


