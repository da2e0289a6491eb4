"""Everything the recovery screen lists, read in one go off the UI thread."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import repo as gitrepo
from ..models import Branch, RepoPaths, Stash, Worktree
from .incident import Incident, find_incident
from .ops import untracked_ignored
from .trash import TrashEntry, list_trash


@dataclass(frozen=True)
class WorktreeRow:
    wt: Worktree
    untracked: int
    ignored: int
    procs: tuple[str, ...]


@dataclass(frozen=True)
class RecoveryData:
    stashes: tuple[Stash, ...]
    branches: tuple[Branch, ...]
    worktrees: tuple[WorktreeRow, ...]
    trash: tuple[TrashEntry, ...]
    incident: Incident | None  # None: the first, stashes-only read (the rest follows)


def load_stashes(paths: RepoPaths) -> RecoveryData:
    """What the first frame shows: the stashes (one git call; 10,000 branches take ~0.4 s more)."""
    return RecoveryData(tuple(gitrepo.list_stashes(paths)), (), (), (), None)


def load_data(paths: RepoPaths, stashes: tuple[Stash, ...] | None = None) -> RecoveryData:
    from ..procs import describe, processes_in  # psutil: off the start-up path of `agenttui recover`

    snap = gitrepo.snapshot(paths, dirty=True, stashes=stashes)
    linked = [w.path for w in snap.worktrees if os.path.isdir(w.path)]
    inside = processes_in(linked, exclude={os.getpid()}) if linked else {}
    rows = []
    for w in snap.worktrees:
        untracked = ignored = 0
        if os.path.isdir(w.path) and not w.bare:
            untracked, ignored = untracked_ignored(w.path)
        procs = tuple(describe(p) for p in inside.get(w.path, [])[:4])
        rows.append(WorktreeRow(w, untracked, ignored, procs))
    branches = sorted(snap.branches, key=lambda b: (not b.name.startswith("agents/"), b.name))
    return RecoveryData(snap.stashes, tuple(branches), tuple(rows),
                        tuple(list_trash(paths)), find_incident(paths, snap=snap))
