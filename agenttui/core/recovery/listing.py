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
class AgentRow:
    """One agent's share of the incident (``unattributed``: work nobody can be named for)."""

    agent: str
    stashes: int
    unique_stashes: int
    commits: int
    branches: tuple[str, ...]
    worktrees: tuple[str, ...]
    files: tuple[str, ...]
    conflicts: tuple[str, ...]  # paths another agent changed too


@dataclass(frozen=True)
class RecoveryData:
    stashes: tuple[Stash, ...]
    branches: tuple[Branch, ...]
    worktrees: tuple[WorktreeRow, ...]
    trash: tuple[TrashEntry, ...]
    incident: Incident | None  # None: the first, stashes-only read (the rest follows)
    agents: tuple[AgentRow, ...] = ()


def agent_rows(paths: RepoPaths, since: float | None = None) -> tuple[AgentRow, ...]:
    """The incident by agent: each agent's stashes, commits, branches, worktrees and files (the
    salvage preview's reading), with the paths two agents changed.  Empty without a baseline."""
    from ..errors import AgentTuiError
    from .report import incident_report
    from .salvage import UNATTRIBUTED, gather

    try:
        report = incident_report(paths, since)
        works = gather(paths, report)
    except AgentTuiError:
        return ()

    def who(actor: dict[str, object] | None) -> str:
        return str((actor or {}).get("agent") or UNATTRIBUTED)

    touched: dict[str, set[str]] = {}
    for name, w in works.items():
        for f in w.files:
            touched.setdefault(f, set()).add(name)
    rows = []
    for name in sorted(works, key=lambda n: (n == UNATTRIBUTED, n)):
        st = [s for s in report["stashes"] if who(s["by"]) == name]
        rows.append(AgentRow(
            agent=name, stashes=len(st), unique_stashes=sum(1 for s in st if s["unique"]),
            commits=sum(1 for c in report["commits"] if who(c["by"]) == name),
            branches=tuple(b["name"] for b in report["branches"] if who(b["by"]) == name),
            worktrees=tuple(w["path"] for w in report["worktrees"] if who(w["by"]) == name),
            files=tuple(sorted(works[name].files)),
            conflicts=tuple(sorted(f for f in works[name].files if len(touched[f]) > 1))))
    return tuple(rows)


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
                        tuple(list_trash(paths)), find_incident(paths, snap=snap), agent_rows(paths))
