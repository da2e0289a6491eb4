"""A branch moved the way git's own two-tree merge moves it: every checkout that has it checked out
(the main checkout or a linked worktree) brought along with ``read-tree -m -u <old> <new>`` — the
checkout's uncommitted changes carried forward where they do not overlap the paths that move; an
overlap refused before anything moves, naming each path; the checkout's uncommitted state in the
trash before it is touched.  Landing moves a base this way, and undoing a landing moves it back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from agenttui.core import journal
from agenttui.core.errors import first_line
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths
from agenttui.core.recovery.ops import snapshot_worktree
from agenttui.core.recovery.trash import RecoveryError, backup_into_trash


def local_paths(checkout: str | os.PathLike[str]) -> set[str]:
    """Every path with uncommitted changes in *checkout*: modified, staged, untracked, both ends of a rename."""
    return {p.rstrip("/") for _xy, p in gitrepo.status_entries(checkout, origins=True)}


def checkouts_on(paths: RepoPaths, branch: str) -> list[Path]:
    """Every checkout (the main one, linked worktrees) that has *branch* checked out."""
    return [
        w.path for w in gitrepo.list_worktrees(paths) if w.branch == branch and not w.bare and os.path.isdir(w.path)
    ]


def overlaps(paths: RepoPaths, checkout: Path, old: str, new: str) -> list[str]:
    """The paths both changed from *old* to *new* and changed uncommitted in *checkout* (git's refusal)."""
    diff = gitcmd.out(paths.common_dir, "diff", "--name-only", "-z", "--no-renames", old, new, "--")
    moved = set(filter(None, diff.split("\0")))
    local = local_paths(checkout)
    hit = moved & local
    # a landed file where a local folder is, or a local file inside a folder the landing replaces
    hit |= {p for p in local for m in moved if p.startswith(m + "/") or m.startswith(p + "/")}
    return sorted(hit)


def refuse_overlaps(paths: RepoPaths, checkouts: list[Path], old: str, new: str, what: str) -> None:
    for c in checkouts:
        hit = overlaps(paths, c, old, new)
        if hit:
            shown = ", ".join(hit[:20]) + (f" and {len(hit) - 20} more" if len(hit) > 20 else "")
            raise RecoveryError(
                f"{what}: uncommitted changes in {c} overlap it ({shown}): nothing was moved — "
                "commit or stash those paths first (git refuses the same)"
            )


def backup_checkouts(paths: RepoPaths, checkouts: list[Path], why: str) -> list[str]:
    """Each dirty checkout's uncommitted state into the trash (restorable as it was), before it is touched."""
    ids = []
    trees = {os.path.normpath(w.path): w for w in gitrepo.list_worktrees(paths)}
    for c in checkouts:
        wt = trees.get(os.path.normpath(c))
        if wt is None or not local_paths(c):
            continue
        snap = snapshot_worktree(wt)
        meta = {"path": str(c), "branch": wt.branch, "head": wt.head, "detached": wt.detached, "checkout": True}
        ids.append(backup_into_trash(paths, "worktree", snap, f"the uncommitted state of {c} {why}", meta))
    return ids


def move_checkouts(checkouts: list[Path], old: str, new: str) -> None:
    """Each checkout's index and files from *old* to *new*, its own changes carried (``read-tree -m -u``);
    on a failure the ones already moved go back, and the error is raised."""
    done: list[Path] = []
    for c in checkouts:
        st, _, err = gitcmd.run(c, ["read-tree", "-m", "-u", old, new], check=False)
        if st != 0:
            for d in reversed(done):
                gitcmd.run(d, ["read-tree", "-m", "-u", new, old], check=False)
            raise RecoveryError(f"cannot update the checkout {c}: {first_line(err)}: nothing was moved")
        done.append(c)


def move_branch(paths: RepoPaths, branch: str, old: str, new: str, message: str) -> None:
    """*branch* from *old* to *new* by compare-and-swap, its checkouts brought along (overlaps refused
    before anything moves, their uncommitted state in the trash first)."""
    checkouts = checkouts_on(paths, branch)
    refuse_overlaps(paths, checkouts, old, new, f"{message}")
    backup_checkouts(paths, checkouts, f"before {message}")
    # (a process killed between the checkouts' move and the ref's leaves them ahead of their branch:
    # the record lets the next land or restore put them back — repair_half_moves)
    journal.append(paths, "checkout-move", branch=branch, old=old, new=new, checkouts=[str(c) for c in checkouts])
    move_checkouts(checkouts, old, new)
    st, _, err = gitcmd.run(
        paths.common_dir, ["update-ref", "-m", f"agenttui: {message}", f"refs/heads/{branch}", new, old], check=False
    )
    if st != 0:
        for c in checkouts:
            gitcmd.run(c, ["read-tree", "-m", "-u", new, old], check=False)
        journal.append(paths, "checkout-moved", branch=branch, old=old, new=new, done=False)
        raise RecoveryError(f"{branch} moved meanwhile: nothing was moved ({first_line(err)})")
    journal.append(paths, "checkout-moved", branch=branch, old=old, new=new, done=True)


def repair_half_moves(paths: RepoPaths) -> list[str]:
    """Checkouts a killed move left at the new tree while their branch stayed at the old one: back to
    the old tree, their own changes carried (their state was in the trash before the move anyway)."""
    pending: dict[tuple[str, str, str], dict[str, Any]] = {}
    for rec in journal.read(paths):
        key = (str(rec.get("branch")), str(rec.get("old")), str(rec.get("new")))
        if rec.get("event") == "checkout-move":
            pending[key] = rec
        elif rec.get("event") == "checkout-moved":
            pending.pop(key, None)
    fixed = []
    for (branch, old, new), rec in pending.items():
        _, tip, _ = gitcmd.run(paths.common_dir, ["rev-parse", "-q", "--verify", f"refs/heads/{branch}"], check=False)
        for c in rec.get("checkouts") or []:
            if tip.strip() != old or not os.path.isdir(c):
                continue
            moved = [
                p
                for p in gitcmd.run(paths.common_dir, ["diff", "--name-only", "-z", old, new, "--"], check=False)[
                    1
                ].split("\0")
                if p
            ]
            # the index holds the new versions of what moves: the move happened, the branch's did not
            st, _, _ = gitcmd.run(c, ["diff", "--cached", "--quiet", new, "--", *moved], check=False)
            if moved and st == 0:
                gitcmd.run(c, ["read-tree", "-m", "-u", new, old], check=False)
                fixed.append(c)
        journal.append(paths, "checkout-moved", branch=branch, old=old, new=new, done=False, repaired=fixed)
    return fixed


LANDING_DIR = "landing"  # temporary landing worktrees: <git-common-dir>/agenttui/landing/<id>


def prune_stale_landings(paths: RepoPaths) -> list[str]:
    """Temporary landing worktrees a killed `land` left registered: removed (nothing of them is work:
    a landing's result only counts once the base moved to it)."""
    repair_half_moves(paths)
    root = paths.agenttui_dir / LANDING_DIR
    removed = []
    for w in gitrepo.list_worktrees(paths):
        if not str(w.path).startswith(str(root) + os.sep):
            continue
        pid_file = w.path.parent / "pid"
        try:
            pid = int(pid_file.read_text())
            os.kill(pid, 0)
            if pid != os.getpid():
                continue  # a landing still running
        except (OSError, ValueError):
            pass
        gitcmd.run(paths.common_dir, ["worktree", "remove", "--force", "--end-of-options", str(w.path)], check=False)
        removed.append(str(w.path))
    if root.is_dir():
        import shutil

        for d in root.iterdir():
            try:
                pid = int((d / "pid").read_text())
                os.kill(pid, 0)
                if pid != os.getpid():
                    continue
            except (OSError, ValueError):
                pass
            shutil.rmtree(d, ignore_errors=True)
    gitcmd.run(paths.common_dir, ["worktree", "prune"], check=False)
    return removed
