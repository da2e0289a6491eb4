"""The main checkout's git state as the guard reads it, and what two readings' difference means.

:func:`take_reading` reads (parts of) it with no locks taken; :func:`changes` — pure — says what
differs between two readings, which :func:`alerts_between` renders as the guard's alerts and
:func:`record_changes` as the ledger's records.
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
class CheckoutReading:
    head_sha: str | None
    head_ref: str | None  # refs/heads/x, or None when detached
    reflog_top: tuple[str, str] | None  # (sha, subject) of HEAD's newest reflog entry
    branches: tuple[tuple[str, str], ...]  # (name, sha), sorted
    stashes: tuple[tuple[str, str], ...]  # (sha, subject), newest first
    worktrees: tuple[str, ...]  # paths, main first
    operation: str | None
    index_stat: tuple[int, int] | None  # (mtime_ns, size)
    index_locked: bool


def take_reading(
    paths: RepoPaths, main: Path, parts: frozenset[str] = PARTS, previous: CheckoutReading | None = None
) -> CheckoutReading:
    """Read the main checkout's git state, no locks taken.  Only the *parts* an event touched
    are re-read (a branch switch costs two git calls); the rest is taken from *previous*."""
    if previous is None:
        parts = PARTS
    if "refs" in parts:
        _, refs, _ = gitcmd.run(
            main, ["for-each-ref", "--format=%(HEAD)%00%(refname:lstrip=2)%00%(objectname)", "refs/heads"], check=False
        )
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
        _, st_out, _ = gitcmd.run(
            paths.common_dir, ["log", "-g", "--format=%H%x00%gs", "refs/stash", "--"], check=False
        )
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
    return CheckoutReading(
        head_sha=head_sha,
        head_ref=head_ref,
        reflog_top=reflog_top,  # type: ignore[arg-type]
        branches=branches,
        stashes=stashes,  # type: ignore[arg-type]
        worktrees=trees,
        operation=gitrepo.operation_in_progress(git_dir),
        index_stat=index_stat,
        index_locked=(git_dir / "index.lock").exists(),
    )


def _short(ref: str | None, sha: str | None) -> str:
    if ref:
        return ref.removeprefix("refs/heads/")
    return f"detached {sha[:8]}" if sha else "(unborn)"


@dataclass(frozen=True)
class Change:
    """One difference between two readings of the main checkout."""

    kind: str  # head, operation, stash-push, stash-drop, branch-create, branch-delete, branch-move,
    #            worktree-add, worktree-remove
    name: str = ""  # the branch, the worktree's path, the stash's message, the operation
    sha: str | None = None
    old_sha: str | None = None


def changes(old: CheckoutReading, new: CheckoutReading) -> list[Change]:
    """What changed between two readings, in one order: HEAD, an operation begun, stashes pushed,
    stashes gone, branches created, deleted, moved, worktrees added, removed.  Pure.  The one diff:
    the guard's alerts (:func:`alerts_between`) and the ledger's records (:func:`record_changes`)
    both render it."""
    out: list[Change] = []
    if (old.head_ref, old.head_sha) != (new.head_ref, new.head_sha):
        out.append(Change("head", new.head_ref or "", new.head_sha, old.head_sha))
    if new.operation and new.operation != old.operation:
        out.append(Change("operation", new.operation))
    old_st, new_st = dict(old.stashes), dict(new.stashes)
    out += [Change("stash-push", msg, sha) for sha, msg in new.stashes if sha not in old_st]
    out += [Change("stash-drop", msg, sha) for sha, msg in old.stashes if sha not in new_st]
    ob, nb = dict(old.branches), dict(new.branches)
    out += [Change("branch-create", name, nb[name]) for name in sorted(set(nb) - set(ob))]
    out += [Change("branch-delete", name, None, ob[name]) for name in sorted(set(ob) - set(nb))]
    out += [
        Change("branch-move", name, nb[name], ob[name]) for name in sorted(set(ob) & set(nb)) if ob[name] != nb[name]
    ]
    out += [Change("worktree-add", path) for path in new.worktrees if path not in old.worktrees]
    out += [Change("worktree-remove", path) for path in old.worktrees if path not in new.worktrees]
    return out


def alerts_between(
    old: CheckoutReading,
    new: CheckoutReading,
    *,
    plan_branches: frozenset[str] = frozenset(),
    plan_worktrees: frozenset[str] = frozenset(),
    branch_owners: Mapping[str, str] | None = None,
) -> list[Alert]:
    """The guard's alerts for what changed between two readings of the main checkout.  Pure.
    *branch_owners* (branch -> agent) names whose stash went when one made on an agent's branch is
    dropped; the plan's own branches and worktrees raise nothing."""
    alerts: list[Alert] = []
    subject = new.reflog_top[1] if new.reflog_top and new.reflog_top != old.reflog_top else ""
    for c in changes(old, new):
        if c.kind == "head":
            alerts.append(_head_alert(old, new, subject))
        elif c.kind == "operation":
            alerts.append(new_alert("operation", f"{c.name} started in the main checkout"))
        elif c.kind == "stash-push":
            alerts.append(new_alert("stash-push", f"stash pushed: {c.name}"))
        elif c.kind == "stash-drop":
            branch = stash_branch(c.name)
            owner = (branch_owners or {}).get(branch or "")
            if owner:
                alerts.append(
                    new_alert(
                        "stash-drop",
                        f"stash dropped or popped: {c.name} — made in agent '{owner}''s worktree (branch {branch})",
                        agents=(owner,),
                    )
                )
            else:
                alerts.append(new_alert("stash-drop", f"stash dropped or popped: {c.name}"))
        elif c.kind == "branch-create" and c.name not in plan_branches:
            alerts.append(new_alert("branch-create", f"branch {c.name} created outside the plan"))
        elif c.kind == "branch-delete" and c.name not in plan_branches:
            alerts.append(new_alert("branch-delete", f"branch {c.name} deleted"))
        elif c.kind == "worktree-add" and os.path.normpath(c.name) not in plan_worktrees:
            alerts.append(
                new_alert("worktree-add", f"worktree added that no plan dispatch owns: {c.name}", paths=(c.name,))
            )
        elif c.kind == "worktree-remove" and os.path.normpath(c.name) not in plan_worktrees:
            alerts.append(new_alert("worktree-remove", f"worktree removed: {c.name}", paths=(c.name,)))
    return alerts


def _head_alert(old: CheckoutReading, new: CheckoutReading, subject: str) -> Alert:
    before, after = _short(old.head_ref, old.head_sha), _short(new.head_ref, new.head_sha)
    if old.head_ref != new.head_ref:
        return new_alert("switch", f"branch switched {before} → {after}" + (f" ({subject})" if subject else ""))
    if subject.startswith("commit"):
        return new_alert("commit", f"commit made on {after}: {subject.split(': ', 1)[-1]}")
    if subject.startswith("reset"):
        return new_alert("reset", f"{after} reset: {subject}")
    if subject.startswith("merge") or subject.startswith("pull"):
        return new_alert("merge", f"merge into {after}: {subject}")
    if subject.startswith("rebase"):
        return new_alert("rebase", f"rebase on {after}: {subject}")
    return new_alert(
        "head",
        f"HEAD of {after} moved {(old.head_sha or '')[:8]} → "
        f"{(new.head_sha or '')[:8]}" + (f" ({subject})" if subject else ""),
    )


def record_changes(
    ledger: Ledger, old: CheckoutReading, new: CheckoutReading, actor: Callable[[tuple[str, ...]], Actor] | None
) -> None:
    """The ledger's records for what changed (HEAD's entries come from its reflog, not from here).
    *actor(words)* names who did it from the processes caught at work (see actors.py)."""

    def who(*words: str) -> Actor | None:
        return actor(words) if actor is not None else None

    committed = (new.reflog_top or ("", ""))[1].startswith("commit")
    for c in changes(old, new):
        if c.kind == "stash-push":
            ledger.add("stash-push", who("stash", c.name.split(": ", 1)[-1]), sha=c.sha, message=c.name)
        elif c.kind == "stash-drop":
            ledger.add("stash-drop", who("stash"), sha=c.sha, message=c.name)
        elif c.kind == "branch-create":
            ledger.add(
                "branch-create", who(c.name.rsplit("/", 1)[-1]), ref=f"refs/heads/{c.name}", old_sha=None, sha=c.sha
            )
        elif c.kind == "branch-delete":
            ledger.add("branch-delete", who("branch"), ref=f"refs/heads/{c.name}", old_sha=c.old_sha, sha=None)
        elif c.kind == "branch-move" and not (
            new.head_ref == f"refs/heads/{c.name}" and new.head_sha == c.sha and committed
        ):
            ledger.add("branch-move", who(), ref=f"refs/heads/{c.name}", old_sha=c.old_sha, sha=c.sha)
        elif c.kind == "worktree-add":
            ledger.add("worktree-add", who("worktree"), path=c.name)
        elif c.kind == "worktree-remove":
            ledger.add("worktree-remove", who("worktree"), path=c.name)
