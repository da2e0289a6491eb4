"""Agent worktrees guarded like the main checkout: snapshots after bursts, threats named.

:class:`WorktreeKeeper` runs two threads of its own (no UI involved):

* **snapshots** (``agenttui-snapshots``, nice 10): each agent worktree is snapshotted
  (:mod:`.snapshots`) once at start and then after each burst of its activity — ``QUIET`` seconds
  after the last file event the UI passes in with :meth:`activity`, or every ``MAX_WAIT`` seconds
  while the agent never pauses — and only when its tree changed; one at a time, resting ``REST``
  times as long as each took.
* **the sentinel** (raw inotify, :class:`~.inotify.FolderWatch`): on each agent worktree's root
  (entries deleted, the folder itself deleted or moved), on the root's parent (the root opened —
  ``rm -rf`` listing it is the first sign — removed or moved; watched from there because IN_OPEN on
  the root itself fires for every file the agent writes), on its admin folder under
  ``<common>/worktrees/<id>`` (git's lock files there: a git command acting on the worktree; the
  folder deleted: ``worktree remove`` / ``prune``) and on the folder of its branch's ref (the
  branch's lock: someone moving it).  Each of those triggers at once a look at the processes
  started since the last look (the actor finder's pid watermark) for a **threat**: a process
  whose arguments name the worktree or a folder above it (``rm -rf``, ``mv``, ``git worktree
  remove``), ``git worktree prune``, a mutating git command working in the worktree, or a git
  command naming the agent's branch — one that is neither the agent's (a descendant of the pid
  agenttui launched for it) nor run from inside the worktree (an ancestor's cwd in it: the agent's
  own shell).

A threat, or the worktree vanishing, raises an alert (``kind="worktree-threat"``) naming the
process (pid, command line, ancestry) or ``unknown``, and the snapshot to restore from: the newest
one *finished before* the threat began — snapshots of that agent stop until it is restored, so a
half-deleted tree never becomes the newest.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from agenttui.base.dotgit import dot_git, read_text
from agenttui.core import journal
from agenttui.core.errors import AgentTuiError, GitError
from agenttui.core.git.models import RepoPaths
from agenttui.core.guard import snapshots
from agenttui.core.guard.actors import Actor, recent_range, said
from agenttui.core.guard.alerts import Alert, new_alert
from agenttui.core.guard.threats import judge
from agenttui.core.host import proc
from agenttui.core.host.inotify import (
    IN_CREATE,
    IN_DELETE,
    IN_DELETE_SELF,
    IN_MOVE_SELF,
    IN_MOVED_FROM,
    IN_MOVED_TO,
    IN_OPEN,
    FolderWatch,
)

QUIET = 1.0  # seconds without file events that end a burst
MAX_WAIT = 10.0  # a snapshot at least this often while an agent keeps writing
REST = 9.0  # after a snapshot of d seconds, REST * d without one (<= 10 % of a core in git)
KIND = "worktree-threat"
SAME_THREAT = 10.0  # seconds within which further signs of a threat to one worktree are the same one


@dataclass
class _Agent:
    name: str
    root: str  # the worktree, no trailing separator
    admin: str | None  # <common>/worktrees/<id>
    branch: str | None  # short name
    last_tree: str | None = None
    dirty_since: float | None = None
    last_event: float = 0.0
    frozen_at: float | None = None  # a threat was seen: no snapshots until restored
    finished: list[tuple[float, snapshots.Snapshot]] | None = None
    alert: Alert | None = None


def _admin_dir(root: str) -> str | None:
    found = dot_git(root)
    return found[1] if found is not None and found[0] == "file" else None


def _branch_of(admin: str | None) -> str | None:
    raw = read_text(os.path.join(admin, "HEAD")) if admin else None
    return raw[16:] if raw and raw.startswith("ref: refs/heads/") else None


class WorktreeKeeper:
    def __init__(
        self,
        paths: RepoPaths,
        agents: Callable[[], dict[str, Path]],
        on_alert: Callable[[Alert], object],
        *,
        launched: Callable[[], dict[int, str]] = dict,
        snapshot: bool = True,
    ) -> None:
        self.paths = paths
        self.agents_of = agents
        self.on_alert = on_alert
        self.launched = launched
        self.snapshot_enabled = snapshot
        self.agents: dict[str, _Agent] = {}
        self.own = os.getpid()
        self.watermark = 0
        self.seen: dict[int, float] = {}  # pids already judged (a process is looked at once)
        self.snapshots_taken = 0
        self.snapshot_time = 0.0  # seconds of snapshot work (benchmarks read it)
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.watch = FolderWatch(self._events, name="agenttui-sentinel")

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._thread is not None:
            return
        self.watermark = proc.last_pid() or 0
        self.watch.start()  # (the thread's first round reads the agents and adds the watches:
        self._thread = threading.Thread(target=self._run, name="agenttui-snapshots", daemon=True)
        self._thread.start()  # no file reads on the caller's thread, the UI's)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.watch.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def refresh(self) -> None:
        """Follow the agents' worktrees as they come and go (cheap: files read, no git)."""
        wanted = {n: os.path.normpath(p) for n, p in self.agents_of().items()}
        with self._lock:
            for name in [n for n, a in self.agents.items() if wanted.get(n) != a.root]:
                self._unwatch(self.agents.pop(name))
            for name, root in wanted.items():
                a = self.agents.get(name)
                if not os.path.isdir(root):
                    continue  # (not there yet, or gone: the sentinel has said so)
                if a is None:
                    admin = _admin_dir(root)
                    a = self.agents[name] = _Agent(name, root, admin, _branch_of(admin), finished=[])
                    a.dirty_since = 0.0  # a first snapshot at once
                self._ensure_watched(a)
        self._wake.set()

    def _ensure_watched(self, a: _Agent) -> None:
        """Watches on the worktree, its admin folder and its branch's folder (again after a
        restore: a deleted folder takes its watch with it)."""
        have = set(self.watch.folders)
        if a.root not in have:  # (no IN_OPEN here: every file an agent writes would wake this thread)
            self.watch.add(a.root, IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF)
        parent = os.path.dirname(a.root)
        if parent not in have and os.path.isdir(parent):  # the root opened (`rm -rf` listing it: the
            self.watch.add(parent, IN_OPEN | IN_DELETE | IN_MOVED_FROM)  # first sign), removed, moved
        if a.admin and a.admin not in have and os.path.isdir(a.admin):
            self.watch.add(a.admin, IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF)
        if a.branch:
            ref_dir = os.path.dirname(os.path.join(str(self.paths.common_dir), "refs", "heads", a.branch))
            if ref_dir not in have and os.path.isdir(ref_dir):
                self.watch.add(ref_dir, IN_CREATE | IN_MOVED_TO)

    def _unwatch(self, a: _Agent) -> None:
        self.watch.remove(a.root)
        if a.admin:
            self.watch.remove(a.admin)

    def activity(self, roots: list[Path]) -> None:
        """File events in these worktrees (from the UI's watcher): a burst is going on."""
        now = time.time()
        touched = {str(r) for r in roots}  # (the UI's roots are the same paths, already normal)
        woke = False
        with self._lock:
            for a in self.agents.values():
                if a.root in touched:
                    a.last_event = now
                    if a.dirty_since is None:
                        a.dirty_since = now
                        woke = True
        if woke:  # (a burst going on already: the thread's next round sees the new time)
            self._wake.set()

    # ------------------------------------------------------------ snapshots
    def _run(self) -> None:
        with contextlib.suppress(OSError):
            os.nice(10)  # (the thread's own nice value on Linux): agents and keys first
        next_refresh = 0.0
        while not self._stop.is_set():
            now = time.time()
            if now >= next_refresh:
                with contextlib.suppress(Exception):
                    self.refresh()
                next_refresh = now + 2.0
            due = self._due(now)
            for a in due:
                if self._stop.is_set():
                    return
                t0 = time.perf_counter()
                self.snap(a)
                # at most ~1/(1+REST) of the time snapshotting: 32 agents writing at once wait their
                # turn rather than take a core from the agents and the keys (bench_keys)
                if self._stop.wait(REST * (time.perf_counter() - t0)):
                    return
            self._wake.wait(timeout=0.25 if any(a.dirty_since is not None for a in self.agents.values()) else 2.0)
            self._wake.clear()

    def due(self, now: float) -> list[str]:
        """The agents whose snapshot would be taken at *now* (a burst over; none while frozen)."""
        return [a.name for a in self._due(now)]

    def _due(self, now: float) -> list[_Agent]:
        with self._lock:
            return [
                a
                for a in self.agents.values()
                if self.snapshot_enabled
                and a.frozen_at is None
                and a.dirty_since is not None
                and (now - a.last_event >= QUIET or now - a.dirty_since >= MAX_WAIT)
            ]

    def snap(self, a: _Agent) -> snapshots.Snapshot | None:
        started = time.time()
        with self._lock:
            a.dirty_since = None
        t0 = time.perf_counter()
        try:
            s = snapshots.take(self.paths, a.name, Path(a.root), last_tree=a.last_tree)
        except (GitError, OSError, AgentTuiError):
            return None  # gone or unreadable: the sentinel says why
        finally:
            self.snapshot_time += time.perf_counter() - t0
        if s is not None:
            self.snapshots_taken += 1
            with self._lock:
                a.last_tree = s.tree
                assert a.finished is not None
                a.finished.append((time.time(), replace(s, time=started)))
                del a.finished[: -snapshots.KEEP]
        return s

    def restorable(self, name: str, before: float | None = None) -> snapshots.Snapshot | None:
        """The newest snapshot of *name* finished before *before* (its threat), else the newest on
        record (one taken in an earlier run)."""
        with self._lock:
            a = self.agents.get(name)
            done = list(a.finished or []) if a else []
        fitting = [s for t, s in done if before is None or t < before]
        if fitting:
            return fitting[-1]
        try:
            older = [s for s in snapshots.list_snapshots(self.paths, name) if before is None or s.time < before]
        except GitError:
            return None
        return older[0] if older else None

    def restored(self, name: str) -> None:
        """The worktree was restored: snapshots resume (from its restored state)."""
        with self._lock:
            a = self.agents.get(name)
            if a is not None:
                a.frozen_at, a.alert, a.dirty_since = None, None, time.time()
                self._ensure_watched(a)
        self._wake.set()

    # ------------------------------------------------------------ the sentinel
    def _events(self, events: list[tuple[str, int, str]]) -> None:
        scan = False
        gone: list[_Agent] = []
        with self._lock:
            by_folder: dict[str, list[_Agent]] = {}
            roots: dict[tuple[str, str], _Agent] = {}  # (parent folder, root's name) -> its agent
            for a in self.agents.values():
                by_folder.setdefault(a.root, []).append(a)
                if a.admin:
                    by_folder.setdefault(a.admin, []).append(a)
                roots[os.path.split(a.root)] = a
            for folder, mask, name in events:
                for a in by_folder.get(folder, []):
                    root_gone = folder == a.root and (
                        mask & (IN_DELETE_SELF | IN_MOVE_SELF)
                        or (mask & (IN_DELETE | IN_MOVED_FROM) and name == ".git")
                    )
                    if root_gone or (folder == a.admin and mask & IN_DELETE_SELF):
                        gone.append(a)
                under = roots.get((folder, name))
                if under is not None and mask & (IN_DELETE | IN_MOVED_FROM):
                    gone.append(under)  # the root removed or moved away, seen from its parent
                if mask & (IN_DELETE | IN_MOVED_FROM | IN_CREATE | IN_MOVED_TO) or (
                    mask & IN_OPEN and under is not None
                ):
                    scan = True  # (the root opened: `rm -rf` listing it is the first sign)
        if scan:
            self.scan()
        for a in {a.name: a for a in gone}.values():
            self._threat(a, None, "deleted")

    def scan(self) -> list[tuple[str, Actor, str]]:
        """Processes started since the last look that threaten an agent's worktree."""
        last = proc.last_pid()
        if last is None:
            return []
        candidates = recent_range(self.watermark, last) or []
        self.watermark = last
        now = time.time()
        found: list[tuple[str, Actor, str]] = []
        with self._lock:
            agents = list(self.agents.values())
        launched = self.launched()
        for pid in candidates:
            if pid == self.own or pid in self.seen:
                continue
            hit = judge(pid, agents, launched, self.own)
            if hit is None:
                continue  # (looked at again next time: it may still be starting)
            self.seen[pid] = now
            for a, actor, what in hit:
                found.append((a.name, actor, what))
                self._threat(a, actor, what)
        for pid in [p for p, t in self.seen.items() if now - t > 30]:
            del self.seen[pid]
        return found

    def _threat(self, a: _Agent, actor: Actor | None, what: str) -> None:
        now = time.time()
        with self._lock:
            if a.frozen_at is None:
                a.frozen_at = now
            frozen_at = a.frozen_at
            old = a.alert
        if old is not None and now - old.time < SAME_THREAT and (old.suspects or actor is None):
            return  # one alert per threat: its shell and its git, the folder vanishing add nothing
        snap = self.restorable(a.name, before=frozen_at)
        who_ = said(actor)
        where = f"worktree of agent '{a.name}' ({a.root})"
        text = f"{where} deleted — by {who_}" if what == "deleted" else f"{where} threatened: {what} — by {who_}"
        offer = f"; R restores snapshot {snap.id}" if snap else "; no snapshot to restore"
        alert = new_alert(
            KIND,
            text + offer,
            paths=(a.root,),
            agents=(a.name,),
            suspects=(actor.detail(),) if actor else (),
            suspect_pids=(actor.pid,) if actor and actor.pid else (),
        )
        alert = replace(alert, snapshot=snap.id if snap else None, worktree=a.root)
        if old is not None and now - old.time < SAME_THREAT:
            alert = replace(alert, id=old.id)  # the unknown actor named after all: the same alert, updated
        with self._lock:
            a.alert = alert
        with contextlib.suppress(OSError):
            journal.append(
                self.paths,
                "alert",
                kind=KIND,
                text=alert.text,
                agent=a.name,
                worktree=a.root,
                snapshot=alert.snapshot,
                suspects=list(alert.suspects),
                actor=actor.to_json() if actor else None,
            )
        self.on_alert(alert)


__all__ = ["KIND", "MAX_WAIT", "QUIET", "WorktreeKeeper"]
