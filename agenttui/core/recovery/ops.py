"""Destructive recovery operations, each backed up to the trash first: stashes, branches, worktrees."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agenttui.core.errors import GitError, first_line
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths, Stash, Worktree
from agenttui.core.recovery.lock import locked
from agenttui.core.recovery.trash import TRASH, Outcome, RecoveryError, _backup, _cwd, _record, _unbackup, new_id

DROP_ATTEMPTS = 5  # re-reads of the list when agents keep pushing stashes during a drop


# ------------------------------------------------------------------------ stashes
@locked
def drop_stashes(
    paths: RepoPaths,
    targets: list[tuple[int, str]],
    *,
    between: Callable[[], None] | None = None,
    gap: Callable[[], None] | None = None,
) -> list[Outcome]:
    """Drop stashes given as (index, sha), highest index first, each backed up first.

    git has no drop-by-SHA, and ``git stash drop stash@{n}`` resolves the SHA and later picks the
    reflog line to delete with no lock between: a push in that gap (an agent's) makes git delete
    a newer stash while it prints the expected SHA.  So git's word is not taken: the list is read
    before and after each drop, and whatever vanished that was not the target is stored back at
    once (and kept in the trash whatever happens: nothing is ever unreachable).  *between* runs
    before each drop, *gap* between the listing and git's drop (tests race a real ``git stash push``
    against both: the second is the gap git itself loses).
    """
    outcomes: list[Outcome] = []
    for index, sha in sorted(targets, key=lambda t: -t[0]):
        if between is not None:
            between()
        outcomes.append(_drop_sha(paths, sha, index, gap))
    return outcomes


def _drop_sha(paths: RepoPaths, sha: str, index: int, gap: Callable[[], None] | None) -> Outcome:
    for _attempt in range(DROP_ATTEMPTS):
        listing = gitrepo.list_stashes(paths)
        current = {s.sha: s for s in listing}
        stash = current.get(sha)
        if stash is None:
            return Outcome(False, f"stash {sha[:10]} (was stash@{{{index}}}) is gone already")
        below = listing[stash.index + 1].sha if stash.index + 1 < len(listing) else None
        outcome = _drop_one(paths, stash, [s.sha for s in listing], below, gap)
        gap = None  # (a test's race happens once)
        if outcome is not None:
            return outcome
    return Outcome(
        False,
        f"stash {sha[:10]} kept moving while agents pushed stashes: nothing of it was "
        "dropped (every stash is still listed or in the trash); try again",
    )


def _drop_one(
    paths: RepoPaths, stash: Stash, before: list[str], below: str | None, gap: Callable[[], None] | None = None
) -> Outcome | None:
    """One drop, checked by the list after it.  None: the target moved, try again."""
    entry = new_id()
    # "below" (the next older entry) and "seq" let restore_many rebuild the stack order
    meta = {
        "message": stash.message,
        "branch": stash.branch,
        "index": stash.index,
        "files": stash.files,
        "date": stash.date,
        "below": below,
        "seq": time.time_ns(),
    }
    _record(paths, "trash-before", id=entry, kind="stash", sha=stash.sha, op="stash drop", meta=meta)
    ref = _backup(paths, entry, "stash", stash.sha)
    if gap is not None:
        gap()  # (tests: a push right here is the race git itself loses)
    if gitrepo.ref_format(paths) == "files":
        status, err = drop_by_sha(paths, stash.sha)
    else:  # reftable: git's own drop, checked below
        status, _out, err = gitcmd.run(_cwd(paths), ["stash", "drop", "--end-of-options", stash.ref], check=False)
    after = [s.sha for s in gitrepo.list_stashes(paths)]
    vanished = [x for x in dict.fromkeys(before) if x not in after]
    wrong = [x for x in vanished if x != stash.sha]
    for lost in wrong:  # git dropped another agent's stash: it goes back on top, and stays in the trash
        _keep_lost_stash(paths, lost, entry)
    if stash.sha not in vanished:
        _unbackup(paths, ref)  # it is still listed: a backup would duplicate it on restore
        if status != 0 and not wrong:
            first = first_line(err, "failed")
            return Outcome(False, f"git stash drop {stash.ref} failed: {first}")
        return None
    _record(paths, "trash", id=entry, kind="stash", sha=stash.sha, description=f"stash {stash.message}", meta=meta)
    note = f" (git also dropped {len(wrong)} other stash(es): stored back)" if wrong else ""
    return Outcome(True, f"dropped {stash.ref} ({stash.message}); backed up as {entry}{note}", entry)


LOCK_WAIT = 3.0  # s to wait for refs/stash.lock while an agent's `git stash push` holds it


def drop_by_sha(paths: RepoPaths, sha: str) -> tuple[int, str]:
    """Drop the stash entry whose commit is *sha* — that entry and no other, whatever the index is now.

    ``git stash drop stash@{n}`` turns n into an entry and deletes it with no lock between: a push in
    the gap shifts the indexes and git deletes the pusher's stash (for ``stash@{0}``: the newest, which
    no list read before the drop can even have seen).  Here git's own lock on the ref is held
    (``refs/stash.lock``, created exclusively, as git does) for the whole edit, so a concurrent
    ``git stash push`` waits or fails ("cannot lock ref") with its changes still in its working tree
    — nothing is lost either way; the entry with that SHA is taken out of the stash's reflog the way
    ``git reflog delete --rewrite`` takes it (the next entry's old value becomes the removed one's),
    and the ref moves to the new top when the top went.  (status, error): 0 when dropped."""
    import tempfile

    common = paths.common_dir
    lock = common / "refs" / "stash.lock"
    log = common / "logs" / "refs" / "stash"
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            if time.monotonic() > deadline:
                return 1, "refs/stash is locked (a stash being pushed?): try again"
            time.sleep(0.005)
    committed = False
    try:
        try:
            lines = [ln for ln in log.read_bytes().split(b"\n") if ln]
        except OSError as exc:
            return 1, f"cannot read the stash's reflog: {exc.strerror or exc}"
        want = sha.encode()
        at = [i for i, ln in enumerate(lines) if ln.split(b" ", 2)[1:2] == [want]]
        if not at:
            return 1, f"no stash entry {sha[:10]}"
        i = at[-1]
        old = lines[i].split(b" ", 1)[0]
        del lines[i]
        if i < len(lines):  # the newer entry now follows the removed one's predecessor
            lines[i] = old + b" " + lines[i].split(b" ", 1)[1]
        if not lines:
            os.close(fd)
            fd = -1
            os.unlink(lock)
            log.unlink()
            st, _, err = gitcmd.run(
                paths.common_dir, ["update-ref", "--no-deref", "-d", "refs/stash", sha], check=False
            )
            return (0, "") if st == 0 else (st, err)
        tmp_fd, tmp = tempfile.mkstemp(prefix=".stash-", dir=log.parent)
        with os.fdopen(tmp_fd, "wb") as fh:
            fh.write(b"\n".join(lines) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, log)
        if i == len(lines):  # the top went: the ref to the new top, by committing the lock as git does
            os.write(fd, lines[-1].split(b" ", 2)[1] + b"\n")
            os.fsync(fd)
            os.close(fd)
            fd = -1
            os.replace(lock, common / "refs" / "stash")
            committed = True
        return 0, ""
    finally:
        if fd >= 0:
            os.close(fd)
        if not committed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock)


def _keep_lost_stash(paths: RepoPaths, sha: str, beside: str) -> None:
    """A stash git dropped by mistake: into the trash first (so it can never be lost), then back into
    the stash list; the store is checked, and a failed one leaves the trash entry to restore from."""
    lost_id = new_id()
    _, subject, _ = gitcmd.run(paths.common_dir, ["log", "-1", "--format=%s", sha, "--"], check=False)
    subject = subject.strip() or "restored by agenttui"
    _backup(paths, lost_id, "stash", sha)
    status, _, err = gitcmd.run(_cwd(paths), ["stash", "store", "-m", subject, sha], check=False)
    back = status == 0 and sha in {s.sha for s in gitrepo.list_stashes(paths)}
    _record(
        paths,
        "trash-mismatch",
        id=beside,
        dropped=sha,
        stored_back=back,
        error=None if back else first_line(err, "stash store failed"),
    )
    if back:
        _unbackup(paths, f"{TRASH}/{lost_id}/stash")
    else:
        _record(
            paths,
            "trash",
            id=lost_id,
            kind="stash",
            sha=sha,
            description=f"stash {subject} (dropped by git in a race; restore it from here)",
            meta={"message": subject},
        )


@locked
def stash_to_branch(paths: RepoPaths, stash: Stash, name: str) -> Outcome:
    """Make a branch holding the stash's changes as one commit on its base; no checkout touched."""
    if not gitcmd.check_ref_format(f"refs/heads/{name}"):
        raise RecoveryError(f"{name!r} is not a valid branch name")
    base = gitcmd.out(paths.common_dir, "rev-parse", f"{stash.sha}^1").strip()
    tree = gitcmd.out(paths.common_dir, "rev-parse", f"{stash.sha}^{{tree}}").strip()
    commit = gitcmd.out(paths.common_dir, "commit-tree", tree, "-p", base, "-m", stash.message).strip()
    status, _, err = gitcmd.run(paths.common_dir, ["update-ref", f"refs/heads/{name}", commit, ""], check=False)
    if status != 0:
        raise RecoveryError(f"cannot create branch {name}: {err.strip().splitlines()[-1] if err.strip() else ''}")
    _record(paths, "stash-branch", stash=stash.sha, branch=name, commit=commit)
    return Outcome(True, f"branch {name} now holds {stash.ref} as commit {commit[:10]}")


@locked
def apply_stash(paths: RepoPaths, stash: Stash, *, pop: bool = False) -> Outcome:
    """``git stash apply`` into the main checkout; with *pop*, then drop it (backed up)."""
    cwd = _cwd(paths)
    if gitrepo.head_state(cwd).index_locked:
        raise RecoveryError("index.lock is held in the main checkout: another git command is running")
    status, _, err = gitcmd.run(cwd, ["stash", "apply", "--end-of-options", stash.ref], check=False)
    if status != 0:
        first = first_line(err, "failed")
        raise RecoveryError(f"git stash apply {stash.ref} failed: {first}")
    _record(paths, "stash-apply", sha=stash.sha, pop=pop)
    if pop:
        (dropped,) = drop_stashes(paths, [(stash.index, stash.sha)])
        return Outcome(dropped.ok, f"applied and {dropped.message}", dropped.trash_id)
    return Outcome(True, f"applied {stash.ref} to the main checkout")


# ------------------------------------------------------------------------ branches
@locked
def delete_branch(paths: RepoPaths, name: str, *, force: bool = False) -> Outcome:
    """``git branch -d`` (``-D`` only with *force*), backed up with its config first."""
    status, sha, _ = gitcmd.run(paths.common_dir, ["rev-parse", "-q", "--verify", f"refs/heads/{name}"], check=False)
    sha = sha.strip()
    if status != 0 or not sha:
        raise RecoveryError(f"branch {name} does not exist")
    for w in gitrepo.list_worktrees(paths):
        if w.branch == name:
            raise RecoveryError(f"branch {name} is checked out in {w.path}: archive that worktree first")
    _, cfg, _ = gitcmd.run(
        paths.common_dir, ["config", "--null", "--get-regexp", "^branch\\." + re.escape(name) + "\\."], check=False
    )
    config = [item.split("\n", 1) for item in cfg.split("\0") if item]
    entry = new_id()
    meta = {"name": name, "config": config, "force": force}
    _record(paths, "trash-before", id=entry, kind="branch", sha=sha, op="branch delete", meta=meta)
    ref = _backup(paths, entry, "branch", sha, verify=(f"refs/heads/{name}", sha))
    status, out, err = gitcmd.run(
        _cwd(paths), ["branch", "-D" if force else "-d", "--end-of-options", name], check=False
    )
    m = re.search(r"Deleted branch .+ \(was ([0-9a-f]+)\)", out + err)
    if status != 0 or m is None:
        _unbackup(paths, ref)
        if "not fully merged" in err:
            raise RecoveryError(
                f"branch {name} is not fully merged: deleting it needs a second, explicit confirmation (force)"
            )
        first = first_line(err, "failed")
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
        from agenttui.core.host.procs import describe, processes_in

        users = processes_in([wt.path], exclude={os.getpid()}).get(wt.path, [])
        if users:
            problems.append(
                "processes have their working directory in it: " + ", ".join(describe(p) for p in users[:5])
            )
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


def inner_repositories(path: Path) -> list[str]:
    """Nested git repositories and submodules inside a worktree (relative paths).  git stores them
    as gitlinks: an archive would keep a commit id, not their files, history or edits."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(path):
        if dirpath != str(path) and (".git" in dirnames or ".git" in filenames):
            found.append(os.path.relpath(dirpath, path))
            dirnames[:] = []
            continue
        if dirpath == str(path):
            dirnames[:] = [d for d in dirnames if d != ".git"]
    return found


def _odd_entries(path: Path) -> tuple[list[str], dict[str, int]]:
    """What git cannot store and the archive must remember: empty folders, and file modes other
    than 644/755 (git keeps only the executable bit)."""
    empty: list[str] = []
    modes: dict[str, int] = {}
    for dirpath, dirnames, filenames in os.walk(path):
        if dirpath == str(path):
            dirnames[:] = [d for d in dirnames if d != ".git"]
        rel = os.path.relpath(dirpath, path)
        if not dirnames and not filenames and rel != ".":
            empty.append(rel)
        if rel != ".":  # a folder's mode too (2775: setgid for a group's files; git keeps none of it)
            try:
                dmode = os.lstat(dirpath).st_mode & 0o7777
            except OSError:
                dmode = 0o755
            if dmode != 0o755:
                modes[os.path.normpath(rel)] = dmode
        for f in filenames:
            full = os.path.join(dirpath, f)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            mode = st.st_mode & 0o7777
            if not os.path.islink(full) and mode not in (0o644, 0o755):
                modes[os.path.normpath(os.path.join(rel, f))] = mode
    return empty, modes


@locked
def archive_worktree(paths: RepoPaths, path: Path, *, require_clean: bool = False) -> Outcome:
    """Snapshot the worktree's whole state into the trash, then ``worktree remove`` + ``prune``.
    Once removal has started the backup is never dropped: ``worktree remove --force`` that fails
    part-way has already deleted files and unregistered the worktree."""
    wt = find_worktree(paths, path)
    blockers = worktree_blockers(paths, wt)
    if blockers:
        raise RecoveryError(f"refusing to touch {wt.path}: " + "; ".join(blockers))
    if wt.prunable or not os.path.isdir(wt.path):
        raise RecoveryError(f"{wt.path} is gone from disk: prune stale worktrees instead")
    nested = inner_repositories(wt.path)
    if nested:
        raise RecoveryError(
            f"refusing to archive {wt.path}: it holds a nested repository or submodule at "
            f"{', '.join(nested[:3])} (an archive keeps only its commit id): move it out or "
            "back it up first"
        )
    if require_clean:
        dirty = gitrepo.status_entries(wt.path)
        ignored = ignored_count(wt.path)
        if dirty or ignored:
            raise RecoveryError(
                f"{wt.path} has {len(dirty)} changed/untracked and {ignored} ignored "
                "files: archive it instead (keeps everything in the trash)"
            )
    commit = snapshot_worktree(wt)
    empty, modes = _odd_entries(wt.path)
    entry = new_id()
    meta = {
        "path": str(wt.path),
        "branch": wt.branch,
        "head": wt.head,
        "detached": wt.detached,
        "empty_dirs": empty,
        "modes": modes,
    }
    _record(paths, "trash-before", id=entry, kind="worktree", sha=commit, op="worktree archive", meta=meta)
    _backup(paths, entry, "worktree", commit)
    description = f"worktree {wt.path} ({wt.branch or 'detached'})"
    status, _, err = gitcmd.run(
        _cwd(paths), ["worktree", "remove", "--force", "--end-of-options", str(wt.path)], check=False
    )
    if status != 0:
        first = first_line(err, "failed")
        _record(
            paths,
            "trash",
            id=entry,
            kind="worktree",
            sha=commit,
            meta=meta,
            description=f"{description} — removal failed part-way: {first}",
        )
        raise RecoveryError(
            f"git worktree remove {wt.path} failed: {first}; its snapshot {commit[:10]} stays in "
            f"the trash as {entry} (agenttui restore {entry})"
        )
    gitcmd.run(_cwd(paths), ["worktree", "prune"], check=False)
    _record(paths, "trash", id=entry, kind="worktree", sha=commit, description=description, meta=meta)
    verb = "removed" if require_clean else "archived"
    return Outcome(True, f"{verb} worktree {wt.path}; snapshot {commit[:10]} backed up as {entry}", entry)


@locked
def prune_worktrees(paths: RepoPaths) -> list[Outcome]:
    """``git worktree prune``: stale entries only; each one's HEAD is backed up first."""
    outcomes: list[Outcome] = []
    for w in gitrepo.list_worktrees(paths):
        if not w.prunable or not w.head:
            continue
        entry = new_id()
        meta = {"path": str(w.path), "branch": w.branch, "head": w.head, "detached": w.detached, "pruned": True}
        _backup(paths, entry, "worktree", w.head)
        _record(
            paths,
            "trash",
            id=entry,
            kind="worktree",
            sha=w.head,
            description=f"stale worktree {w.path} ({w.branch or 'detached'})",
            meta=meta,
        )
        outcomes.append(Outcome(True, f"pruned stale worktree {w.path}; HEAD backed up as {entry}", entry))
    gitcmd.run(_cwd(paths), ["worktree", "prune"], check=False)
    return outcomes or [Outcome(True, "no stale worktrees to prune")]


@locked
def unlock_worktree(paths: RepoPaths, path: Path) -> Outcome:
    gitcmd.out(_cwd(paths), "worktree", "unlock", "--end-of-options", str(path))
    _record(paths, "worktree-unlock", path=str(path))
    return Outcome(True, f"unlocked {path}")
