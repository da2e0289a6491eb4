"""The incident: what appeared since the baseline, and cleaning it up (backed up)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from agenttui.core import journal
from agenttui.core.errors import AgentTuiError
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import reflog
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths, RepoSnapshot, Stash
from agenttui.core.recovery.lock import locked
from agenttui.core.recovery.ops import archive_worktree, delete_branch, drop_stashes
from agenttui.core.recovery.trash import Outcome


# ------------------------------------------------------------------------ incident
@dataclass(frozen=True)
class Baseline:
    """The repository before the first foreign mutation, and where that came from."""

    source: str  # "announcement", "guard" (its arming), "since" (given), "dispatch" (the first shared
    # dispatch on record), "quiet-point" (before the newest burst of reflog activity) — the last three
    # reconstructed from git's reflogs
    time: float
    stashes: frozenset[str]
    branches: dict[str, str]  # name -> sha (older records: sha "")
    worktrees: frozenset[str]
    branch: str | None  # the main checkout's branch then (None: detached or unknown)
    sha: str | None


@dataclass(frozen=True)
class Incident:
    """What appeared since the baseline: the strays to back up and clean.  What existed before it
    is never offered for deletion — the baseline branch above all."""

    since: float | None  # time of the baseline (None: no baseline on record)
    source: str  # "announcement", "guard", "since", or "none" (nothing is taken as stray)
    stashes: tuple[Stash, ...]
    branches: tuple[str, ...]
    unmerged: tuple[str, ...]  # subset of branches not merged into HEAD
    worktrees: tuple[Path, ...]
    before_branch: str | None = None
    before_sha: str | None = None
    protected: tuple[str, ...] = ()  # branches that existed before: never cleaned

    @property
    def empty(self) -> bool:
        return not (self.stashes or self.branches or self.worktrees)

    @property
    def summary(self) -> str:
        if self.source == "none":
            return (
                "no baseline on record (no announcement, the guard was never armed): nothing is taken as "
                "stray — give the time it began: agenttui incident --since TIME"
            )
        when = {
            "announcement": "since the last announcement",
            "guard": "since the guard was armed",
            "dispatch": "since the first dispatch of agents sharing a checkout",
            "quiet-point": "since the last quiet point before the newest burst of git activity",
        }.get(self.source) or (
            "since " + time.strftime("%Y-%m-%d %H:%M", time.localtime(self.since)) if self.since else ""
        )
        return (
            f"{len(self.stashes)} stashes, {len(self.branches)} branches, "
            f"{len(self.worktrees)} worktrees appeared {when}"
        )


def baseline(paths: RepoPaths) -> dict[str, Any]:
    """What exists now: stored with each announcement and each arming of the guard, so that the
    incident can be diffed against it."""
    head = None
    main = gitrepo.main_checkout(paths)
    if main is not None:
        h = gitrepo.head_state(main)
        head = {"branch": h.branch, "sha": h.sha}
    return {
        "stashes": [s.sha for s in gitrepo.list_stashes(paths)],
        "branches": {b.name: b.sha for b in gitrepo.list_branches(paths)},
        "worktrees": [str(w.path) for w in gitrepo.list_worktrees(paths)],
        "head": head,
    }


def owned_by_plan(paths: RepoPaths) -> tuple[set[str], set[str]]:
    """Branches and worktrees agenttui itself created for a plan (journal 'worktree-add')."""
    branches: set[str] = set()
    trees: set[str] = set()
    for rec in journal.read(paths, "worktree-add"):
        branches.add(str(rec.get("branch")))
        trees.add(os.path.normpath(str(rec.get("path"))))
    return branches, trees


def _from_record(rec: dict[str, Any], source: str) -> Baseline:
    base = rec["baseline"]
    branches = base.get("branches") or {}
    if isinstance(branches, list):  # records before the head/sha fields
        branches = {name: "" for name in branches}
    head = base.get("head") or {}
    return Baseline(
        source,
        float(rec.get("time", 0)),
        frozenset(base.get("stashes") or ()),
        dict(branches),
        frozenset(base.get("worktrees") or ()),
        head.get("branch"),
        head.get("sha"),
    )


def ref_history(paths: RepoPaths) -> dict[str, list[tuple[float, str]]]:
    """Each local branch's reflog as (time, sha), newest first (the one reflog reader: timeline.py)."""

    return reflog.ref_history(reflog.reflog_entries(paths))


def _head_at(paths: RepoPaths, main: Path | None, since: float) -> tuple[str | None, str | None]:
    """The main checkout's branch and SHA at *since*, from HEAD's reflog (newest entry not after it)."""
    if main is None:
        return None, None
    _, text, _ = gitcmd.run(main, ["log", "-g", "--date=unix", "--format=%gd%x00%H%x00%gs", "HEAD", "--"], check=False)
    branch = None
    for line in text.splitlines():  # newest first
        sel, _, rest = line.partition("\0")
        sha, _, subject = rest.partition("\0")
        t = sel.rpartition("@{")[2].rstrip("}")
        if not t.isdigit():
            continue
        if float(t) <= since:
            for later in text.splitlines():  # the branch: what the next checkout moved away from
                _s, _, r = later.partition("\0")
                lt = _s.rpartition("@{")[2].rstrip("}")
                subj = r.partition("\0")[2]
                if lt.isdigit() and float(lt) > since and subj.startswith("checkout: moving from "):
                    branch = subj.removeprefix("checkout: moving from ").split(" to ")[0]
            if branch is None:
                h = gitrepo.head_state(main)
                branch = h.branch
            return branch, sha
    return None, None


def find_baseline(
    paths: RepoPaths, since: float | None = None, snap: RepoSnapshot | None = None, tl: Any = None
) -> Baseline | None:
    """Without *since*: the last announcement or arming of the guard, unless the first dispatch of
    agents sharing a checkout came later (found in the clients' transcripts or the hooks' records,
    ``timeline.py``); without either, the last quiet point before the newest burst of reflog
    activity.  With *since*: what the reflogs say about that moment.  None: nothing to go on."""
    if since is None:
        from agenttui.core.recovery import timeline

        recorded = None
        for rec in reversed(journal.read(paths)):
            if isinstance(rec.get("baseline"), dict) and rec.get("event") in ("announce", "guard-arm"):
                recorded = _from_record(rec, "announcement" if rec["event"] == "announce" else "guard")
                break
        tl = tl if tl is not None else timeline.build(paths)
        found = timeline.baseline_time(tl)
        if recorded is not None and (found is None or recorded.time >= found):
            return recorded
        source = "dispatch"
        if found is None:
            found, source = timeline.quiet_point(tl.entries), "quiet-point"
        if found is None:
            return None
        base = find_baseline(paths, found, snap, tl)
        if base is None or (source == "quiet-point" and not base.sha):
            return None  # before the repository's first commit: no state to go back to, nothing is stray
        if source == "dispatch" and tl.cuts:
            base = _cut(base, tl)
        return replace(base, source=source)
    snap = snap or gitrepo.snapshot(paths, dirty=False)
    from agenttui.core.recovery import timeline

    history = reflog.ref_history(tl.entries) if tl is not None else ref_history(paths)
    branches: dict[str, str] = {}
    for b in snap.branches:
        entries = history.get(b.name)
        if not entries:  # no reflog: its tip's date is all there is
            if b.date <= since:
                branches[b.name] = b.sha
            continue
        # (one-second reflog times: a branch born in the second of *since* existed before it)
        then = [sha for t, sha in entries if t <= since]
        if then:
            branches[b.name] = then[0]
    trees = frozenset(str(w.path) for w in snap.worktrees if w.is_main or _ctime(w.path) < since)
    branch, sha = _head_at(paths, snap.main_checkout, since)
    return Baseline(
        "since", since, frozenset(s.sha for s in snap.stashes if s.date < since), branches, trees, branch, sha
    )


def _cut(base: Baseline, tl: Any) -> Baseline:
    """The baseline read by position in each log rather than by time: each ref as it was right before
    the first entry the incident's agents made in it (reflogs keep whole seconds; a repository set up
    in the second of the dispatch would otherwise look like part of it)."""
    import math

    branches = dict(base.branches)
    second = math.floor(tl.start) if tl.start is not None else None
    for e in sorted(tl.entries, key=lambda e: (e.ref, e.seq)):  # logs the agents never wrote: by the second
        if second is not None and e.ref.startswith("refs/heads/") and e.ref not in tl.cuts and e.time <= second:
            branches[e.ref.removeprefix("refs/heads/")] = e.new
    for ref, e in tl.cuts.items():
        if ref.startswith("refs/heads/"):
            name = ref.removeprefix("refs/heads/")
            if e.old is None:
                branches.pop(name, None)
            else:
                branches[name] = e.old
    branch, sha = base.branch, base.sha
    head = tl.cuts.get("HEAD")
    if head is not None and head.old:
        sha = head.old
        if head.message.startswith("checkout: moving from "):
            branch = head.message.removeprefix("checkout: moving from ").rsplit(" to ", 1)[0]
        else:  # a commit (or reset) on the branch HEAD was on: the branch log with the same entry says which
            branch = next(
                (
                    r.removeprefix("refs/heads/")
                    for r, e in tl.cuts.items()
                    if r.startswith("refs/heads/") and e.new == head.new and e.old == head.old
                ),
                branch,
            )
    stashes = base.stashes
    cut = tl.cuts.get("refs/stash")
    if cut is not None:
        stashes = frozenset(e.new for e in tl.entries if e.ref == "refs/stash" and e.seq < cut.seq) & (
            base.stashes | {e.new for e in tl.entries if e.ref == "refs/stash"}
        )
    return replace(base, branches=branches, branch=branch, sha=sha, stashes=stashes)


def find_incident(
    paths: RepoPaths, since: float | None = None, snap: RepoSnapshot | None = None, tl: Any = None
) -> Incident:
    snap = snap or gitrepo.snapshot(paths, dirty=False)
    base = find_baseline(paths, since, snap, tl)
    if base is None:
        return Incident(None, "none", (), (), (), ())
    own_branches, own_trees = owned_by_plan(paths)
    protected = set(base.branches) | ({base.branch} if base.branch else set())
    current = snap.head.branch if snap.head else None
    stashes = [s for s in snap.stashes if s.sha not in base.stashes]
    branches = [
        b for b in snap.branches if b.name not in protected and b.name != current and b.name not in own_branches
    ]
    trees = [
        w
        for w in snap.worktrees
        if not w.is_main and str(w.path) not in base.worktrees and os.path.normpath(w.path) not in own_trees
    ]
    return Incident(
        since=base.time,
        source=base.source,
        stashes=tuple(stashes),
        branches=tuple(b.name for b in branches),
        unmerged=tuple(b.name for b in branches if b.merged is False),
        worktrees=tuple(w.path for w in trees),
        before_branch=base.branch,
        before_sha=base.sha,
        protected=tuple(sorted(protected)),
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
    if inc.source == "none":
        return [Outcome(False, inc.summary)]
    for path in inc.worktrees:
        try:
            outcomes.append(archive_worktree(paths, path))
        except AgentTuiError as exc:
            outcomes.append(Outcome(False, exc.message))
    for name in inc.branches:
        if name in inc.protected:  # (belt and braces: find_incident never lists one)
            outcomes.append(Outcome(False, f"kept branch {name}: it existed before the incident"))
            continue
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
