"""Restoring trash entries: stashes back in their old positions, branches with their config, worktrees
and checkouts with their files, a landing undone with every checkout of its base (``checkouts.py``)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from agenttui.core.errors import AgentTuiError, first_line
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths
from agenttui.core.recovery.checkouts import move_branch, prune_stale_landings
from agenttui.core.recovery.lock import locked
from agenttui.core.recovery.ops import snapshot_worktree
from agenttui.core.recovery.trash import (
    TRASH,
    Outcome,
    RecoveryError,
    TrashEntry,
    _cwd,
    _record,
    _unbackup,
    backup_into_trash,
    get_entry,
    list_trash,
    new_id,
)


@locked
def restore(paths: RepoPaths, entry_id: str) -> Outcome:
    """Bring back exactly what was removed; the trash ref goes once the restore succeeded."""
    e = get_entry(paths, entry_id)
    if e.kind == "stash":
        msg = str(e.meta.get("message") or "restored by agenttui")
        if e.sha in {s.sha for s in gitrepo.list_stashes(paths)}:
            done = f"stash {msg!r} is in the stash list already (its drop never happened): trash entry removed"
        else:
            status, _, err = gitcmd.run(_cwd(paths), ["stash", "store", "-m", msg, e.sha], check=False)
            if status != 0:
                raise RecoveryError(f"cannot restore stash {msg!r}: {first_line(err, 'stash store failed')}")
            done = f"restored stash {msg!r} as stash@{{0}}"
    elif e.kind == "branch" and e.meta.get("landing"):
        name, landed = str(e.meta.get("name")), str(e.meta.get("new") or "")
        _, tip, _ = gitcmd.run(paths.common_dir, ["rev-parse", "-q", "--verify", f"refs/heads/{name}"], check=False)
        if tip.strip() != landed:
            raise RecoveryError(
                f"cannot undo the landing: {name} has moved on since it (it is not at "
                f"{landed[:10]} any more); nothing was changed"
            )
        try:  # the branch and every checkout of it back, their own uncommitted changes kept
            move_branch(paths, name, landed, e.sha, f"undo the landing of {e.meta.get('landed')}")
        except RecoveryError as exc:
            raise RecoveryError(f"cannot undo the landing: {exc.message}") from None
        done = f"undid the landing of {e.meta.get('landed')}: {name} is back at {e.sha[:10]}"
    elif e.kind == "branch":
        name = str(e.meta.get("name") or f"restored-{e.id}")
        status, _, err = gitcmd.run(paths.common_dir, ["update-ref", f"refs/heads/{name}", e.sha, ""], check=False)
        if status != 0:
            raise RecoveryError(f"cannot restore branch {name}: it exists again; rename or delete it first")
        for key, value in e.meta.get("config") or []:
            gitcmd.run(paths.common_dir, ["config", "--add", "--end-of-options", key, value], check=False)
        done = f"restored branch {name} at {e.sha[:10]}"
    else:
        done = _restore_worktree(paths, e)
    _unbackup(paths, e.ref)
    _record(paths, "restore", id=e.id, kind=e.kind, sha=e.sha)
    return Outcome(True, done, e.id)


@locked
def restore_many(paths: RepoPaths, ids: list[str]) -> list[Outcome]:
    """Restore several entries.  Stashes go back where they were: each above the stash that was
    just below it when it was dropped (else at its old index), among the stashes that remain."""
    prune_stale_landings(paths)  # (a landing killed half-way left its temporary worktree registered)
    by_id = {e.id: e for e in list_trash(paths)}
    stashes = [by_id[i] for i in ids if i in by_id and by_id[i].kind == "stash"]
    others = [i for i in ids if i not in by_id or by_id[i].kind != "stash"]
    others.sort(key=lambda i: i in by_id and by_id[i].kind != "branch")  # branches before the checkouts on them
    ordered = _stack_order(stashes)
    outcomes: list[Outcome] = []
    for e in ordered:
        try:
            outcomes.append(restore(paths, e.id))
        except AgentTuiError as exc:
            outcomes.append(Outcome(False, exc.message))
    if ordered:
        outcomes += _reposition(paths, ordered)
    for i in others:
        try:
            outcomes.append(restore(paths, i))
        except AgentTuiError as exc:
            outcomes.append(Outcome(False, exc.message))
    return outcomes


def _desired(current: list[str], restored: list[TrashEntry]) -> list[str]:
    """The stash list (top first) with each restored entry back in its old place: right above the
    stash that was just below it when it was dropped (else at the bottom), and above the restored
    entries that were dropped before it from there (they were between the two then)."""
    mine = {e.sha for e in restored}
    seq = {e.sha: int(e.meta.get("seq", 0) or 0) for e in restored}
    order = [sha for sha in current if sha not in mine]  # what remained, in its order
    for e in restored:
        below = e.meta.get("below")
        idx = order.index(below) if isinstance(below, str) and below in order else len(order)
        while idx > 0 and order[idx - 1] in seq and seq[order[idx - 1]] < seq[e.sha]:
            idx -= 1
        order.insert(idx, e.sha)
    return order


def _reposition(paths: RepoPaths, restored: list[TrashEntry]) -> list[Outcome]:
    """Rebuild the stash list in the desired order (git can only push on top).  Every stash is
    pinned by a ref first, so an agent's push in the middle loses nothing: the list is compared
    after, and the pins stay (as trash entries) when it does not match."""
    listing = gitrepo.list_stashes(paths)
    current = [s.sha for s in listing]
    desired = _desired(current, restored)
    if desired == current:
        return []
    subject = {s.sha: s.message for s in listing}
    pins = f"{TRASH}-reorder/{new_id()}"
    lines = "".join(f"create {pins}/{i} {sha}\n" for i, sha in enumerate(current))
    gitcmd.run(paths.common_dir, ["update-ref", "--stdin"], input=lines)
    gitcmd.run(_cwd(paths), ["stash", "clear"])
    for sha in reversed(desired):
        gitcmd.run(_cwd(paths), ["stash", "store", "-m", subject.get(sha, "restored by agenttui"), sha])
    now = [s.sha for s in gitrepo.list_stashes(paths)]
    if sorted(now) == sorted(desired) or set(desired) <= set(now):
        for i in range(len(current)):
            gitcmd.run(paths.common_dir, ["update-ref", "-d", f"{pins}/{i}"], check=False)
        if now == desired:
            return [
                Outcome(
                    True,
                    f"stashes back in their old places ({len(restored)} restored among {len(current) - len(restored)})",
                )
            ]
        return [Outcome(True, "stashes restored; another stash was pushed meanwhile, so the order is approximate")]
    _record(paths, "reorder-mismatch", pins=pins, expected=desired, found=now)
    return [Outcome(False, f"the stash list changed while it was rebuilt: every stash is pinned under {pins}")]


def _stack_order(entries: list[TrashEntry]) -> list[TrashEntry]:
    """Oldest first: an entry comes after the one that was just below it when it was dropped;
    otherwise by stash date, then by drop order (drops go highest index, i.e. oldest, first)."""
    import heapq

    by_sha = {e.sha: e for e in entries}
    after: dict[str, list[TrashEntry]] = {}
    blocked: dict[str, int] = {}
    for e in entries:
        below = e.meta.get("below")
        if isinstance(below, str) and below in by_sha and below != e.sha:
            after.setdefault(below, []).append(e)
            blocked[e.sha] = 1

    def key(e: TrashEntry) -> tuple[float, int, str]:
        return (float(e.meta.get("date", 0)), int(e.meta.get("seq", 0)), e.id)

    ready = [(key(e), e.sha) for e in entries if e.sha not in blocked]
    heapq.heapify(ready)
    out: list[TrashEntry] = []
    while ready:
        _, sha = heapq.heappop(ready)
        out.append(by_sha[sha])
        for nxt in after.get(sha, []):
            heapq.heappush(ready, (key(nxt), nxt.sha))
    seen = {e.sha for e in out}
    out += [e for e in entries if e.sha not in seen]  # a cycle cannot happen; be safe anyway
    return out


def _restore_checkout(paths: RepoPaths, e: TrashEntry) -> str:
    """A checkout's own state put back (the main checkout's dirty state salvage backed up before it
    restored the baseline): its branch checked out again and its files as they were — deleted ones
    deleted, untracked ones untracked.  What the checkout holds now is backed up first."""
    path = Path(str(e.meta.get("path") or ""))
    if not path.is_dir():
        raise RecoveryError(f"cannot restore the checkout at {path}: it is gone")
    if gitrepo.status_entries(path):
        wt = next(
            (w for w in gitrepo.list_worktrees(paths) if os.path.normpath(w.path) == os.path.normpath(path)), None
        )
        if wt is None:
            raise RecoveryError(f"cannot restore the checkout at {path}: it is not a checkout of this repository")
        now = snapshot_worktree(wt)
        what = f"the checkout's state before restoring {e.id} ({wt.branch or 'detached'})"
        meta = {"path": str(path), "branch": wt.branch, "head": wt.head, "detached": wt.detached, "checkout": True}
        backup_into_trash(paths, "worktree", now, what, meta)
    branch, head = e.meta.get("branch"), str(e.meta.get("head") or "")
    _, tip, _ = gitcmd.run(paths.common_dir, ["rev-parse", "-q", "--verify", f"refs/heads/{branch}"], check=False)
    taken = {w.branch for w in gitrepo.list_worktrees(paths) if os.path.normpath(w.path) != os.path.normpath(path)}
    if branch and tip.strip() == head and branch not in taken:
        gitcmd.out(path, "checkout", "-q", "-f", str(branch), "--")
        where = f"on {branch}"
    else:
        gitcmd.out(path, "checkout", "-q", "-f", "--detach", head, "--")
        where = f"detached at {head[:10]}" + (f" ({branch} is elsewhere now)" if branch else "")
    gitcmd.out(path, "clean", "-q", "-f", "-d")
    gitcmd.out(path, "checkout", e.sha, "--", ".")
    deleted = gitcmd.out(path, "diff", "--name-only", "-z", "--diff-filter=D", "HEAD", e.sha)
    for rel in filter(None, deleted.split("\0")):
        (path / rel).unlink(missing_ok=True)
    gitcmd.out(path, "reset", "-q")
    return f"restored the checkout {path} {where} with its uncommitted changes"


def _restore_worktree(paths: RepoPaths, e: TrashEntry) -> str:
    if e.meta.get("checkout"):
        return _restore_checkout(paths, e)
    path = Path(str(e.meta.get("path") or ""))
    if not str(path) or path.exists() and any(path.iterdir()):
        raise RecoveryError(f"cannot restore worktree at {path}: the folder exists and is not empty")
    branch = e.meta.get("branch")
    head = str(e.meta.get("head") or "")
    cwd = _cwd(paths)
    taken = {w.branch for w in gitrepo.list_worktrees(paths)}
    _, tip, _ = gitcmd.run(paths.common_dir, ["rev-parse", "-q", "--verify", f"refs/heads/{branch}"], check=False)
    exists = bool(branch) and bool(tip.strip())
    moved = exists and head and tip.strip() != head
    if branch and exists and branch not in taken and not moved:
        gitcmd.out(cwd, "worktree", "add", "--quiet", "--end-of-options", str(path), str(branch))
    elif branch and not exists:
        gitcmd.out(cwd, "worktree", "add", "--quiet", "-b", str(branch), "--end-of-options", str(path), head)
    else:
        gitcmd.out(cwd, "worktree", "add", "--quiet", "--detach", "--end-of-options", str(path), head)
    if e.meta.get("pruned"):
        return f"restored worktree {path} at {head[:10]}"
    # put back the archived state: files from the snapshot, deletions too; index back to HEAD
    gitcmd.out(path, "checkout", e.sha, "--", ".")
    deleted = gitcmd.out(path, "diff", "--name-only", "-z", "--diff-filter=D", "HEAD", e.sha)
    for rel in filter(None, deleted.split("\0")):
        (path / rel).unlink(missing_ok=True)
    gitcmd.out(path, "reset", "-q")
    for rel in e.meta.get("empty_dirs") or []:
        (path / rel).mkdir(parents=True, exist_ok=True)
    for rel, mode in (e.meta.get("modes") or {}).items():
        with contextlib.suppress(OSError):
            os.chmod(path / rel, int(mode))
    if moved:
        return (
            f"restored worktree {path} with its archived files, detached at {head[:10]}: branch {branch} "
            f"has moved on to {tip.strip()[:10]} since (check it out there when the work is merged)"
        )
    return f"restored worktree {path} with its archived files"
