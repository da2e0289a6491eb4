"""The main checkout's git state as the guard reads it, and what two readings' difference means.

:func:`take_snapshot` reads (parts of) it with no locks taken; :func:`diff_snapshots` — pure —
turns two snapshots into alerts; :func:`record_diff` into the ledger's records.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from agenttui.base.stashmsg import stash_branch
from agenttui.core.errors import GitError
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths
from agenttui.core.guard.actors import Actor
from agenttui.core.guard.alerts import Alert, new_alert
from agenttui.core.guard.ledger import Ledger

PARTS = frozenset({"refs", "stash", "worktrees"})


@dataclass(frozen=True)
class CheckoutSnapshot:
    head_sha: str | None
    head_ref: str | None  # refs/heads/x, or None when detached
    reflog_top: tuple[str, str] | None  # (sha, subject) of HEAD's newest reflog entry
    branches: tuple[tuple[str, str], ...]  # (name, sha), sorted
    stashes: tuple[tuple[str, str], ...]  # (sha, subject), newest first
    worktrees: tuple[str, ...]  # paths, main first
    operation: str | None
    index_stat: tuple[int, int] | None  # (mtime_ns, size)
    index_locked: bool


def take_snapshot(paths: RepoPaths, main: Path, parts: frozenset[str] = PARTS,
                  previous: CheckoutSnapshot | None = None) -> CheckoutSnapshot:
    """Read the main checkout's git state, no locks taken.  Only the *parts* an event touched
    are re-read (a branch switch costs two git calls); the rest is taken from *previous*."""
    if previous is None:
        parts = PARTS
    if "refs" in parts:
        _, refs, _ = gitcmd.run(main, ["for-each-ref", "--format=%(HEAD)%00%(refname:lstrip=2)%00%(objectname)",
                                       "refs/heads"], check=False)
        rows = [ln.split("\0") for ln in refs.splitlines() if ln.count("\0") == 2]
        branches = tuple(sorted((name, sha) for _, name, sha in rows))
        current = next(((name, sha) for mark, name, sha in rows if mark == "*"), None)
        _, top, _ = gitcmd.run(main, ["reflog", "-1", "--format=%H%x00%gs", "HEAD"], check=False)
        reflog_top = tuple(top.strip().split("\0", 1)) if "\0" in top else None
        if current is not None:
            head_ref: str | None = f"refs/heads/{current[0]}"
            head_sha: str | None = current[1]
        else:  # detached, or an unborn branch
            _, sha, _ = gitcmd.run(main, ["rev-parse", "-q", "--verify", "HEAD"], check=False)
            head_sha = sha.strip() or None
            head_ref = None
            if head_sha is None:
                _, ref, _ = gitcmd.run(main, ["symbolic-ref", "-q", "HEAD"], check=False)
                head_ref = ref.strip() or None
    else:
        assert previous is not None
        head_sha, head_ref, reflog_top = previous.head_sha, previous.head_ref, previous.reflog_top
        branches = previous.branches
    if "stash" in parts:
        _, st_out, _ = gitcmd.run(paths.common_dir, ["log", "-g", "--format=%H%x00%gs", "refs/stash", "--"],
                                  check=False)
        stashes = tuple(tuple(ln.split("\0", 1)) for ln in st_out.splitlines() if "\0" in ln)
    else:
        assert previous is not None
        stashes = previous.stashes
    if "worktrees" in parts:
        try:
            trees = tuple(str(w.path) for w in gitrepo.list_worktrees(paths))
        except GitError:
            trees = ()
    else:
        assert previous is not None
        trees = previous.worktrees
    git_dir = paths.git_dir
    try:
        s = os.stat(git_dir / "index")
        index_stat: tuple[int, int] | None = (s.st_mtime_ns, s.st_size)
    except OSError:
        index_stat = None
    return CheckoutSnapshot(
        head_sha=head_sha, head_ref=head_ref,
        reflog_top=reflog_top,  # type: ignore[arg-type]
        branches=branches,  # type: ignore[arg-type]
        stashes=stashes,  # type: ignore[arg-type]
        worktrees=trees, operation=gitrepo.operation_in_progress(git_dir),
        index_stat=index_stat, index_locked=(git_dir / "index.lock").exists(),
    )


def _short(ref: str | None, sha: str | None) -> str:
    if ref:
        return ref.removeprefix("refs/heads/")
    return f"detached {sha[:8]}" if sha else "(unborn)"


def diff_snapshots(old: CheckoutSnapshot, new: CheckoutSnapshot, *,
                   plan_branches: frozenset[str] = frozenset(),
                   plan_worktrees: frozenset[str] = frozenset(),
                   branch_owners: Mapping[str, str] | None = None) -> list[Alert]:
    """Classify what changed between two snapshots of the main checkout.  Pure.  *branch_owners*
    (branch -> agent) names whose stash went when one made on an agent's branch is dropped."""
    alerts: list[Alert] = []
    subject = new.reflog_top[1] if new.reflog_top and new.reflog_top != old.reflog_top else ""
    if (old.head_ref, old.head_sha) != (new.head_ref, new.head_sha):
        before, after = _short(old.head_ref, old.head_sha), _short(new.head_ref, new.head_sha)
        if old.head_ref != new.head_ref:
            alerts.append(new_alert("switch", f"branch switched {before} → {after}"
                                    + (f" ({subject})" if subject else "")))
        elif subject.startswith("commit"):
            alerts.append(new_alert("commit", f"commit made on {after}: {subject.split(': ', 1)[-1]}"))
        elif subject.startswith("reset"):
            alerts.append(new_alert("reset", f"{after} reset: {subject}"))
        elif subject.startswith("merge") or subject.startswith("pull"):
            alerts.append(new_alert("merge", f"merge into {after}: {subject}"))
        elif subject.startswith("rebase"):
            alerts.append(new_alert("rebase", f"rebase on {after}: {subject}"))
        else:
            alerts.append(new_alert("head", f"HEAD of {after} moved {(old.head_sha or '')[:8]} → "
                                    f"{(new.head_sha or '')[:8]}" + (f" ({subject})" if subject else "")))
    if new.operation and new.operation != old.operation:
        alerts.append(new_alert("operation", f"{new.operation} started in the main checkout"))
    old_st = {sha for sha, _ in old.stashes}
    new_st = {sha for sha, _ in new.stashes}
    for sha, msg in new.stashes:
        if sha not in old_st:
            alerts.append(new_alert("stash-push", f"stash pushed: {msg}"))
    for sha, msg in old.stashes:
        if sha not in new_st:
            branch = stash_branch(msg)
            owner = (branch_owners or {}).get(branch or "")
            if owner:
                alerts.append(new_alert("stash-drop", f"stash dropped or popped: {msg} — made in agent "
                                        f"'{owner}''s worktree (branch {branch})", agents=(owner,)))
            else:
                alerts.append(new_alert("stash-drop", f"stash dropped or popped: {msg}"))
    ob, nb = dict(old.branches), dict(new.branches)
    for name in sorted(set(nb) - set(ob)):
        if name not in plan_branches:
            alerts.append(new_alert("branch-create", f"branch {name} created outside the plan"))
    for name in sorted(set(ob) - set(nb)):
        if name not in plan_branches:
            alerts.append(new_alert("branch-delete", f"branch {name} deleted"))
    for path in new.worktrees:
        if path not in old.worktrees and os.path.normpath(path) not in plan_worktrees:
            alerts.append(new_alert("worktree-add", f"worktree added that no plan dispatch owns: {path}",
                                    paths=(path,)))
    for path in old.worktrees:
        if path not in new.worktrees and os.path.normpath(path) not in plan_worktrees:
            alerts.append(new_alert("worktree-remove", f"worktree removed: {path}", paths=(path,)))
    return alerts


def record_diff(ledger: Ledger, old: CheckoutSnapshot, new: CheckoutSnapshot,
                actor: Callable[[tuple[str, ...]], Actor] | None) -> None:
    """The ledger's records for what a snapshot diff shows (HEAD's entries come from its reflog).
    *actor(words)* names who did it from the processes caught at work (see actors.py)."""

    def who(*words: str) -> Actor | None:
        return actor(words) if actor is not None else None

    old_st, new_st = dict(old.stashes), dict(new.stashes)
    for sha in new_st:
        if sha not in old_st:
            ledger.add("stash-push", who("stash", new_st[sha].split(": ", 1)[-1]), sha=sha, message=new_st[sha])
    for sha in old_st:
        if sha not in new_st:
            ledger.add("stash-drop", who("stash"), sha=sha, message=old_st[sha])
    ob, nb = dict(old.branches), dict(new.branches)
    for name in sorted(set(nb) - set(ob)):
        ledger.add("branch-create", who(name.rsplit("/", 1)[-1]), ref=f"refs/heads/{name}", old_sha=None, sha=nb[name])
    for name in sorted(set(ob) - set(nb)):
        ledger.add("branch-delete", who("branch"), ref=f"refs/heads/{name}", old_sha=ob[name], sha=None)
    for name in sorted(set(ob) & set(nb)):
        if ob[name] != nb[name] and not (new.head_ref == f"refs/heads/{name}" and new.head_sha == nb[name]
                                          and (new.reflog_top or ("", ""))[1].startswith("commit")):
            ledger.add("branch-move", who(), ref=f"refs/heads/{name}", old_sha=ob[name], sha=nb[name])
    for path in new.worktrees:
        if path not in old.worktrees:
            ledger.add("worktree-add", who("worktree"), path=path)
    for path in old.worktrees:
        if path not in new.worktrees:
            ledger.add("worktree-remove", who("worktree"), path=path)


