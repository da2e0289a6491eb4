"""Everything the recovery screen lists, read in one go off the UI thread."""

from __future__ import annotations

import os
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import Branch, RepoPaths, Stash, Worktree
from agenttui.core.recovery.incident import Incident, find_incident
from agenttui.core.recovery.ops import untracked_ignored
from agenttui.core.recovery.trash import TrashEntry, list_trash


@dataclass(frozen=True)
class WorktreeRow:
    wt: Worktree
    untracked: int
    ignored: int
    procs: tuple[str, ...]


@dataclass(frozen=True)
class AgentRow:
    """One agent's share of the incident (``unattributed``: work nobody can be named for)."""

    agent: str  # its salvage label (the branch would be salvage/<agent>)
    stashes: int
    unique_stashes: int
    commits: int
    branches: tuple[str, ...]
    worktrees: tuple[str, ...]
    files: tuple[str, ...]
    conflicts: tuple[str, ...]  # paths another agent changed too
    name: str = ""  # how its dispatch named it ("impl auth")
    agent_id: str = ""
    changes: int = 0  # git changes (reflog entries) it made
    sources: tuple[str, ...] = ()  # each file and where its latest revision is


@dataclass(frozen=True)
class RecoveryData:
    stashes: tuple[Stash, ...]
    branches: tuple[Branch, ...]
    worktrees: tuple[WorktreeRow, ...]
    trash: tuple[TrashEntry, ...]
    incident: Incident | None  # None: the first, stashes-only read (the rest follows)
    agents: tuple[AgentRow, ...] = ()
    since: float | None = None  # the time the user gave (None: the baseline was found)


def agent_rows(paths: RepoPaths, since: float | None = None, tl: Any = None) -> tuple[AgentRow, ...]:
    """The incident by agent, as salvage would untangle it: each agent's latest revision of each file
    it wrote and where it is, its git changes, stashes, commits, branches and worktrees, with the
    paths two agents changed.  Empty when there is nothing to go on."""
    from agenttui.core.errors import AgentTuiError
    from agenttui.core.recovery import timeline
    from agenttui.core.recovery.report import incident_report
    from agenttui.core.recovery.salvage import UNATTRIBUTED, gather, gather_revisions

    try:
        tl = tl if tl is not None else timeline.build(paths)
        report = incident_report(paths, since, tl=tl)
        if not report["before"]["sha"]:
            return ()  # the baseline has no commit (a time before the first one): nothing to salvage onto
        works = gather_revisions(paths, report, tl) or gather(paths, report)
    except AgentTuiError:
        return ()

    def who(actor: dict[str, object] | None) -> str:
        return str((actor or {}).get("agent") or UNATTRIBUTED)

    touched: dict[str, set[str]] = {}
    for label, w in works.items():
        for f in w.files:
            touched.setdefault(f, set()).add(label)
    changes: dict[str, int] = {}
    for m in report["mutations"]:
        changes[who(m.get("actor"))] = changes.get(who(m.get("actor")), 0) + 1
    rows = []
    for label in sorted(works, key=lambda n: (n == UNATTRIBUTED, n)):
        w = works[label]
        name = str((w.task or {}).get("description") or label)
        st = [s for s in report["stashes"] if who(s["by"]) == name]
        rows.append(
            AgentRow(
                agent=label,
                stashes=len(st),
                unique_stashes=sum(1 for s in st if s["unique"]),
                commits=sum(1 for c in report["commits"] if who(c["by"]) == name),
                branches=tuple(b["name"] for b in report["branches"] if who(b["by"]) == name),
                worktrees=tuple(w["path"] for w in report["worktrees"] if who(w["by"]) == name),
                files=tuple(sorted(w.files)),
                conflicts=tuple(sorted(f for f in w.files if len(touched[f]) > 1)),
                name=name,
                agent_id=str((w.task or {}).get("agent_id") or ""),
                changes=changes.get(name, 0),
                sources=tuple(w.sources),
            )
        )
    return tuple(rows)


FIRST_STASHES = 100  # the stashes `agenttui recover` reads for its first frame (a screen shows fewer)


def load_stashes(paths: RepoPaths, newest: int | None = None) -> RecoveryData:
    """What the first frame shows: the stashes (one git call; the branches, many more, come after),
    or only the *newest* so many of them."""
    return RecoveryData(tuple(gitrepo.list_stashes(paths, newest)), (), (), (), None)


def read_ahead(paths: RepoPaths) -> Future[RecoveryData]:
    """The newest FIRST_STASHES stashes, read on a thread of their own (``agenttui recover``: git's
    time overlaps the start of the screen, which takes the result for its first frame and reads
    the whole list right after it)."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1, thread_name_prefix="agenttui-read-ahead")
    future = pool.submit(load_stashes, paths, FIRST_STASHES)
    pool.shutdown(wait=False)
    return future


def load_data(paths: RepoPaths, stashes: tuple[Stash, ...] | None = None, since: float | None = None) -> RecoveryData:
    from agenttui.core.host.procs import describe, processes_in  # psutil: off the start-up path of `agenttui recover`
    from agenttui.core.recovery import timeline

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
    tl = timeline.build(paths)  # the transcripts and reflogs, read once for the incident line and the agents
    return RecoveryData(
        snap.stashes,
        tuple(branches),
        tuple(rows),
        tuple(list_trash(paths)),
        find_incident(paths, since, snap=snap, tl=tl),
        agent_rows(paths, since, tl),
        since,
    )
