"""The main-checkout guard: every unexpected mutation of the main checkout, in words.

Events only trigger (GIT-NOTES: "events trigger, git decides"): a file event in the working tree
becomes a coalesced "files changed" alert at once; an event under the git dir (or the ~2 s poll)
re-reads a cheap :class:`CheckoutReading`, and :func:`alerts_between` — a pure function — turns
two readings into alerts: branch switched, reset, commit, merge/rebase started, stash pushed /
dropped, branch created / deleted outside the plan, worktree added that no dispatch owns.
Suspects are the processes whose cwd is in the main checkout, marked when they descend from an
agent agenttui launched.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import psutil

from agenttui.core import journal
from agenttui.core.errors import GitError
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths
from agenttui.core.guard import escapes
from agenttui.core.guard.actors import Actor, ActorFinder
from agenttui.core.guard.alerts import Alert, new_alert
from agenttui.core.guard.ledger import Ledger
from agenttui.core.guard.reading import PARTS, CheckoutReading, alerts_between, record_changes, take_reading
from agenttui.core.guard.threats import READ_ONLY, git_verb
from agenttui.core.host.procs import processes_in

LOCK_ALERT_AFTER = 3.0  # seconds index.lock may be held before it is an alert
BURST = 0.5  # file events closer than this are one alert
SAME_ESCAPE = 10.0  # s: further git processes of an agent caught outside its worktree are the same act
ALERT_PATHS = 250  # an alert of a big burst shows its first and its latest paths (the ledger has all)


@dataclass
class _Burst:
    alert: Alert
    first: float
    last: float
    paths: dict[str, None] = field(default_factory=dict)  # insertion-ordered set
    common: str | None = None


class Guard:
    """Turns raw events into alerts.  Thread-safe enough for one event thread + one git thread:
    :meth:`on_files` is cheap and synchronous; :meth:`on_git` runs git (call it off the UI)."""

    def __init__(
        self,
        paths: RepoPaths,
        main: Path,
        *,
        ignore: tuple[str, ...] = (),
        plan_branches: frozenset[str] = frozenset(),
        plan_worktrees: frozenset[str] = frozenset(),
        launched: Callable[[], dict[int, str]] = dict,
    ) -> None:
        self.paths = paths
        self.launched = launched  # pid -> agent name, for the agents agenttui launched
        self.ledger: Ledger | None = None
        self.actors: ActorFinder | None = None
        self.main = main
        self.ignore = ignore
        self.plan_branches = plan_branches
        self.branch_owners: dict[str, str] = {}  # agent branches -> agent (whose stash was taken)
        self.worktree_names: Callable[[], dict[str, str]] = dict  # agent worktree root -> agent name
        self.on_escape: Callable[[Alert], object] | None = None  # an agent caught acting outside
        self._escaped_at: dict[str, float] = {}
        self.plan_worktrees = frozenset(os.path.normpath(p) for p in plan_worktrees)
        self.armed = False
        self.last: CheckoutReading | None = None
        self._burst: _Burst | None = None
        self._lock_since: float | None = None
        self._lock_alerted = False
        self.git_reads = 0
        self._dirty: set[str] = set()
        self._seen: set[str] = set()
        self.nested: tuple[str, ...] = ()
        self.refresh_nested()

    # ------------------------------------------------------------------ config
    def refresh_nested(self) -> None:
        """Linked worktrees inside the main checkout are agents' ground, not the checkout's."""
        main = str(self.main).rstrip(os.sep) + os.sep
        try:
            trees = [str(w.path) for w in gitrepo.list_worktrees(self.paths) if not w.is_main]
        except GitError:
            trees = []
        self.nested = tuple(t.rstrip(os.sep) + os.sep for t in trees if t.startswith(main))

    def arm(self) -> None:
        self.armed = True
        self.last = take_reading(self.paths, self.main)
        self._dirty = self._status()
        self.git_reads += 2
        self._burst = None
        common = self.paths.common_dir
        self.actors = ActorFinder(
            [self.main, common],
            self.launched,
            lock_dirs=[common, common / "refs", common / "refs" / "heads", self.paths.git_dir],
            common=common,
            names=self.worktree_names,
            on_capture=self._captured,
        )
        self.actors.start()
        self.ledger = Ledger(self.paths, self.main, head_ref=self.last.head_ref, actor=self.actors.best)
        self.ledger.start()

    def _captured(self, actor: Actor) -> None:
        """(the scanning thread) A git working on the main checkout whose shell is in an agent's
        worktree: that agent acts outside it, through a script the tool call did not show."""
        verb = git_verb(actor.cmdline)
        if not actor.escaped or actor.worktree is None or verb is None or verb in READ_ONLY:
            return
        now = time.time()
        if now - self._escaped_at.get(actor.worktree, 0.0) < SAME_ESCAPE:
            return  # one alert per escape: git's own child processes are the same act
        self._escaped_at[actor.worktree] = now
        reason = escapes.mark(self.paths, actor, f"`{' '.join(actor.cmdline)[:160]}`")
        alert = new_alert(
            "escape",
            reason + "; its shell tools are refused until you announce again",
            agents=(actor.agent,) if actor.agent else (),
            suspects=(actor.detail(),),
            suspect_pids=(actor.pid,) if actor.pid else (),
        )
        if self.on_escape is not None:
            self.on_escape(alert)

    def disarm(self) -> None:
        self.armed = False
        self._burst = None
        if self.ledger is not None:
            self.ledger.stop()  # writes what is pending
        if self.actors is not None:
            self.actors.stop()

    def is_lock_path(self, path: str) -> bool:
        """A git lock file: a git process is working on this repository right now."""
        return path.endswith(".lock") and self.is_git_path(path)

    # ------------------------------------------------------------------ classification
    def is_git_path(self, path: str) -> bool:
        git_dir = str(self.paths.git_dir) + os.sep
        common = str(self.paths.common_dir) + os.sep
        return (
            path.startswith(git_dir)
            or path.startswith(common)
            or path in (str(self.paths.git_dir), str(self.paths.common_dir))
        )

    def git_path_matters(self, path: str) -> bool:
        return bool(self.git_parts(path))

    def git_parts(self, path: str) -> frozenset[str]:
        """Which parts of the reading a git-dir event may have changed (empty: none).  Not
        objects, not agenttui's own files, not the per-worktree files agents' own git commands
        write under worktrees/<id>/."""
        common = str(self.paths.common_dir) + os.sep
        rel = path[len(common) :] if path.startswith(common) else path
        if rel.startswith(("objects/", "agenttui/", "logs/refs/heads/")) or rel == "agenttui":
            return frozenset()
        if rel.startswith("worktrees/"):
            # worktrees/<id> itself appearing or vanishing
            return frozenset({"worktrees"}) if rel.count("/") <= 1 else frozenset()
        if rel.endswith(".lock") and rel != "index.lock":
            return frozenset()
        if rel in ("refs/stash", "logs/refs/stash"):
            return frozenset({"stash"})
        if rel == "packed-refs":
            return frozenset({"refs", "stash"})
        return frozenset({"refs"})

    def relevant_file(self, path: str) -> str | None:
        """The path relative to the main checkout when a working-tree event counts, else None."""
        main = str(self.main).rstrip(os.sep) + os.sep
        if not path.startswith(main) or self.is_git_path(path):
            return None
        if any(path.startswith(n) or path + os.sep == n for n in self.nested):
            return None
        rel = path[len(main) :]
        if not rel or rel.split(os.sep, 1)[0] == ".git":
            return None
        for pattern in self.ignore:
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(os.path.basename(rel), pattern):
                return None
        return rel

    def on_files(self, rels: list[str], now: float | None = None) -> Alert | None:
        """Working-tree changes (already filtered): a new alert, or the grown burst alert."""
        if not self.armed or not rels:
            return None
        t = time.time() if now is None else now
        b = self._burst
        if b is None or t - b.last > BURST:
            b = self._burst = _Burst(new_alert("files", ""), t, t)
        b.last = t
        fresh = [r for r in dict.fromkeys(rels) if r not in b.paths]
        b.paths.update(dict.fromkeys(fresh))
        if fresh:  # the common folder, grown with each batch (not recomputed over every path)
            b.common = os.path.commonpath([*([b.common] if b.common is not None else []), *fresh])
        if len(self._seen) > 50_000:
            self._seen.clear()
        self._seen.update(rels)
        if self.ledger is not None:
            self.ledger.files(rels)  # the record keeps every path; the alert shows a window of them
        n = len(b.paths)
        if n == 1:
            text = f"file changed in the main checkout: {next(iter(b.paths))}"
        else:
            where = f" in {b.common}" if b.common else ""
            text = f"{n} files changed{where} in {max(0.0, b.last - b.first):.1f} s"
        shown = (
            tuple(b.paths)
            if n <= 2 * ALERT_PATHS
            else (*itertools.islice(b.paths, ALERT_PATHS), *list(b.paths)[-ALERT_PATHS:])
        )
        b.alert = replace(b.alert, text=text, paths=shown)
        return b.alert

    def on_git(self, parts: frozenset[str] = PARTS) -> list[Alert]:
        """Re-read (*parts* of) the reading and diff it against the last one (run off the UI)."""
        if not self.armed:
            return []
        read_at = time.time()
        new = take_reading(self.paths, self.main, parts, self.last)
        self.git_reads += 1
        old, self.last = self.last, new
        if old is None:
            return []
        alerts = alerts_between(
            old,
            new,
            plan_branches=self.plan_branches,
            plan_worktrees=self.plan_worktrees,
            branch_owners=self.branch_owners,
        )
        if self.actors is not None:
            alerts = [self._taker(a, read_at) if a.kind == "stash-drop" else a for a in alerts]
        if self.ledger is not None:
            self.ledger.head_entries(read_at)
            actors = self.actors
            record_changes(
                self.ledger, old, new, (lambda words: actors.best(read_at, words)) if actors is not None else None
            )
        if any(a.kind == "worktree-add" for a in alerts):
            self.refresh_nested()
            if self.actors is not None:
                self.actors.watch_worktrees()
        lock = self.check_lock(new.index_locked)
        return alerts + ([lock] if lock else [])

    def _taker(self, alert: Alert, read_at: float) -> Alert:
        """The stash is shared by every worktree: name the agent whose git took it (caught as it
        ran, in its worktree or outside), beside the agent that made it."""
        assert self.actors is not None
        taker = self.actors.best(read_at, ("stash",))
        if not taker.agent or taker.agent in alert.agents:
            return alert
        where = f" in its worktree {taker.worktree}" if taker.worktree and not taker.escaped else ""
        return replace(
            alert,
            text=f"{alert.text}; taken by agent '{taker.agent}'{where} ({taker.text(120)})",
            agents=(*alert.agents, taker.agent),
        )

    def _status(self) -> set[str]:
        try:
            entries = gitrepo.status_entries(self.main)
        except GitError:
            return set()
        main = str(self.main).rstrip(os.sep) + os.sep
        return {p for _, p in entries if self.relevant_file(main + p.rstrip("/")) is not None}

    def reconcile(self) -> Alert | None:
        """The fallback for missed events (inotify overflow, files in a brand-new directory):
        ``git status --no-optional-locks`` against the last one; paths no event reported."""
        if not self.armed:
            return None
        now = self._status()
        self.git_reads += 1
        missed = sorted(now - self._dirty - self._seen)
        self._dirty = now
        if not missed:
            return None
        if self.ledger is not None:
            self.ledger.files(missed)
        self._seen.update(missed)
        n = len(missed)
        return new_alert(
            "files",
            f"{n} file{'s' if n > 1 else ''} changed in the main checkout "
            f"(found by the periodic re-check): {', '.join(missed[:3])}" + (" …" if n > 3 else ""),
            paths=tuple(missed),
        )

    def check_lock(self, locked: bool, now: float | None = None) -> Alert | None:
        t = time.monotonic() if now is None else now
        if not locked:
            self._lock_since, self._lock_alerted = None, False
            return None
        if self._lock_since is None:
            self._lock_since = t
        if self._lock_since == t and self.ledger is not None:
            self.ledger.add("index-lock", self.actors.best(time.time()) if self.actors else None)
        if not self._lock_alerted and t - self._lock_since >= LOCK_ALERT_AFTER:
            self._lock_alerted = True
            return new_alert("index-lock", f"index.lock held in the main checkout for {t - self._lock_since:.0f} s")
        return None

    # ------------------------------------------------------------------ suspects
    def suspects(self, alert: Alert, launched: dict[int, str]) -> Alert:
        """Fill in who may have done it: processes with cwd in the main checkout (agents marked)."""
        pids = processes_in([self.main], exclude={os.getpid()}).get(self.main, [])
        names: list[str] = []
        agents: list[str] = []
        for pid in pids[:8]:
            agent = _agent_ancestor(pid, launched)
            try:
                pname = psutil.Process(pid).name()
            except psutil.Error:
                continue
            if agent:
                agents.append(agent)
                names.append(f"agent '{agent}' (pid {pid}, {pname}) has its cwd in the main checkout")
            else:
                names.append(f"{pname} (pid {pid})")
        return replace(alert, suspects=tuple(names), suspect_pids=tuple(pids[:8]), agents=tuple(dict.fromkeys(agents)))

    def record(self, alert: Alert) -> None:
        journal.append(
            self.paths,
            "alert",
            kind=alert.kind,
            text=alert.text,
            files=list(alert.paths[:50]),
            suspects=list(alert.suspects),
        )


def _agent_ancestor(pid: int, launched: dict[int, str]) -> str | None:
    try:
        p: psutil.Process | None = psutil.Process(pid)
        for _ in range(64):
            if p is None:
                return None
            if p.pid in launched:
                return launched[p.pid]
            p = p.parent()
    except psutil.Error:
        return None
    return None


__all__ = ["PARTS", "Alert", "CheckoutReading", "Guard", "alerts_between", "new_alert", "take_reading"]
