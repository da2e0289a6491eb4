"""The incident: what appeared since the baseline, and cleaning it up (backed up)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import journal
from .. import repo as gitrepo
from ..errors import AgentTuiError
from ..models import RepoPaths, Stash
from .lock import locked
from .ops import archive_worktree, delete_branch, drop_stashes
from .trash import Outcome


# ------------------------------------------------------------------------ incident
@dataclass(frozen=True)
class Incident:
    """What appeared since the baseline: the strays to back up and clean."""

    since: float | None  # time of the baseline (None: no announcement on record)
    source: str  # "announcement" or "time" or "everything"
    stashes: tuple[Stash, ...]
    branches: tuple[str, ...]
    unmerged: tuple[str, ...]  # subset of branches not merged into HEAD
    worktrees: tuple[Path, ...]

    @property
    def empty(self) -> bool:
        return not (self.stashes or self.branches or self.worktrees)

    @property
    def summary(self) -> str:
        when = ("since the last announcement" if self.source == "announcement"
                else "since " + time.strftime("%Y-%m-%d %H:%M", time.localtime(self.since))
                if self.since else "in the repository")
        return (f"{len(self.stashes)} stashes, {len(self.branches)} branches, "
                f"{len(self.worktrees)} worktrees appeared {when}")


def baseline(paths: RepoPaths) -> dict[str, Any]:
    """What exists now: stored with each announcement so the incident view can diff against it."""
    return {
        "stashes": [s.sha for s in gitrepo.list_stashes(paths)],
        "branches": [b.name for b in gitrepo.list_branches(paths)],
        "worktrees": [str(w.path) for w in gitrepo.list_worktrees(paths)],
    }


def owned_by_plan(paths: RepoPaths) -> tuple[set[str], set[str]]:
    """Branches and worktrees agenttui itself created for a plan (journal 'worktree-add')."""
    branches: set[str] = set()
    trees: set[str] = set()
    for rec in journal.read(paths):
        if rec.get("event") == "worktree-add":
            branches.add(str(rec.get("branch")))
            trees.add(os.path.normpath(str(rec.get("path"))))
    return branches, trees


def find_incident(paths: RepoPaths, since: float | None = None,
                  snap: gitrepo.RepoSnapshot | None = None) -> Incident:
    snap = snap or gitrepo.snapshot(paths, dirty=False)
    main_branch = snap.head.branch if snap.head else None
    base: dict[str, Any] | None = None
    base_time: float | None = None
    if since is None:
        for rec in reversed(journal.read(paths)):
            if rec.get("event") == "announce" and isinstance(rec.get("baseline"), dict):
                base, base_time = rec["baseline"], float(rec.get("time", 0))
                break
    own_branches, own_trees = owned_by_plan(paths)
    linked = [w for w in snap.worktrees if not w.is_main]
    if base is not None:
        stashes = [s for s in snap.stashes if s.sha not in set(base.get("stashes", []))]
        branches = [b for b in snap.branches if b.name not in set(base.get("branches", []))]
        trees = [w for w in linked if str(w.path) not in set(base.get("worktrees", []))]
        source = "announcement"
    elif since is not None:
        stashes = [s for s in snap.stashes if s.date >= since]
        branches = [b for b in snap.branches if b.date >= since]
        trees = [w for w in linked if _ctime(w.path) >= since]
        source, base_time = "time", since
    else:
        stashes, branches, trees, source = list(snap.stashes), list(snap.branches), linked, "everything"
    branches = [b for b in branches if b.name != main_branch and b.name not in own_branches]
    trees = [w for w in trees if os.path.normpath(w.path) not in own_trees]
    return Incident(
        since=base_time,
        source=source,
        stashes=tuple(stashes),
        branches=tuple(b.name for b in branches),
        unmerged=tuple(b.name for b in branches if b.merged is False),
        worktrees=tuple(w.path for w in trees),
    )


def _ctime(path: Path) -> float:
    try:
        return path.stat().st_ctime
    except OSError:
        return 0.0


@locked
def clean_incident(paths: RepoPaths, inc: Incident, *, force_unmerged: bool = False) -> list[Outcome]:
    """Back up and clean everything in *inc*: worktrees first (freeing their branches), then
    branches (unmerged ones only with *force_unmerged*), then stashes highest index first."""
    outcomes: list[Outcome] = []
    for path in inc.worktrees:
        try:
            outcomes.append(archive_worktree(paths, path))
        except AgentTuiError as exc:
            outcomes.append(Outcome(False, exc.message))
    for name in inc.branches:
        force = force_unmerged and name in inc.unmerged
        if name in inc.unmerged and not force:
            outcomes.append(Outcome(False, f"kept unmerged branch {name} (needs explicit confirmation)"))
            continue
        try:
            outcomes.append(delete_branch(paths, name, force=force))
        except AgentTuiError as exc:
            outcomes.append(Outcome(False, exc.message))
    outcomes += drop_stashes(paths, [(s.index, s.sha) for s in inc.stashes])
    return outcomes

