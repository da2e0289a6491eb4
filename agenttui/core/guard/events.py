"""The guard's event loop, its git reads and its watch coverage.

Threads (see docs/THREADS.md): :meth:`GuardWatch.events` runs on the UI's event loop and only
classifies paths (cheap); :meth:`GuardWatch.read` runs on a worker thread and is the only caller of
the guard's git reads: at most one read is in flight, a request made meanwhile reruns it once
after (a lock guards the pending set, so no request is lost between the check and the exit).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from agenttui.core.errors import AgentTuiError
from agenttui.core.guard.main_checkout import PARTS, Alert, Guard

#: How often the whole reading is re-read, with the git-status re-check for missed file events.
POLL = 2.0


@dataclass(frozen=True)
class GuardEvent:
    """One batch from the main checkout's watcher: a file alert, and/or git parts to re-read."""

    alerts: tuple[Alert, ...] = ()
    parts: frozenset[str] = frozenset()


NEW_DIR_LIMIT = 20_000  # entries read from one new directory at once (the 2 s re-check covers the rest)


def scan_new_directory(guard: Guard, path: str) -> list[str]:
    """Files already inside a directory the watcher has just seen appear: inotify watches it only
    from now on, so files written right after ``mkdir`` raise no event (as watchman does, scan it)."""
    found: list[str] = []
    stack = [path]
    while stack and len(found) < NEW_DIR_LIMIT:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        rel = guard.relevant_file(entry.path)
                        if rel is not None:
                            found.append(rel)
        except OSError:
            continue
    return found


class GuardWatch:
    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self._lock = threading.Lock()
        self._parts: set[str] = set()
        self._reconcile = False
        self._running = False
        self._pending = False
        self.batches = 0  # change batches the watcher has delivered (a readiness signal for callers)

    async def events(self, stop: asyncio.Event) -> AsyncIterator[GuardEvent]:
        """The main checkout's own watcher (never shared with agent worktrees: PERF-NOTES)."""
        import watchfiles

        guard = self.guard
        objects = os.sep + os.path.join(".git", "objects") + os.sep
        async for changes in watchfiles.awatch(
            guard.main,
            watch_filter=lambda _c, p: objects not in p,
            debounce=10,
            step=5,
            stop_event=stop,
            recursive=True,
        ):
            self.batches += 1
            files: list[str] = []
            parts: set[str] = set()
            for change, path in changes:
                if guard.is_git_path(path):
                    if (
                        guard.actors is not None
                        and not guard.actors.immediate
                        and change == watchfiles.Change.added
                        and guard.is_lock_path(path)
                    ):
                        guard.actors.poke()  # a git process is at work right now: who is it?
                    parts |= guard.git_parts(path)
                else:
                    rel = guard.relevant_file(path)
                    if rel is not None:
                        files.append(rel)
                        if change == watchfiles.Change.added and os.path.isdir(path):
                            files += scan_new_directory(guard, path)
            alert = guard.on_files(files) if files else None
            if alert is not None or parts:
                yield GuardEvent((alert,) if alert is not None else (), frozenset(parts))

    def request(self, parts: frozenset[str] = PARTS, *, reconcile: bool = False) -> bool:
        """Ask for a git read.  True when the caller must start :meth:`read` (none is running)."""
        with self._lock:
            self._parts |= parts
            self._reconcile |= reconcile
            if self._running:
                self._pending = True
                return False
            self._running = True
            return True

    def read(self, emit: Callable[[list[Alert]], None]) -> None:
        """Run the requested reads until none is pending; *emit* each batch of alerts at once.
        A failing read (the checkout vanished, git missing) ends this reader; the next request
        starts a new one."""
        try:
            while True:
                with self._lock:
                    self._pending = False
                    parts, self._parts = frozenset(self._parts) or PARTS, set()
                    reconcile, self._reconcile = self._reconcile, False
                alerts = self.guard.on_git(parts)
                if alerts:
                    emit(alerts)
                if reconcile:
                    missed = self.guard.reconcile()
                    if missed is not None:
                        emit([missed])
                with self._lock:
                    if not self._pending:
                        self._running = False
                        return
        except BaseException:
            with self._lock:
                self._running = False
            if not isinstance(sys.exc_info()[1], AgentTuiError):
                raise


@dataclass(frozen=True)
class Coverage:
    """inotify watches needed (one per directory) against the per-user limit."""

    dirs: int
    limit: int | None
    heaviest: tuple[tuple[str, int], ...]  # top-level folders with the most directories

    @property
    def degraded(self) -> bool:
        return self.limit is not None and self.dirs > self.limit

    def describe(self) -> str:
        if not self.degraded:
            return f"{self.dirs:,} directories watched"
        top = ", ".join(f"{d} ({n:,})" for d, n in self.heaviest[:3])
        return (
            f"degraded coverage: {self.dirs:,} directories need watches but max_user_watches is "
            f"{self.limit:,}; biggest: {top} — the 2 s git re-check still sees every change git sees"
        )


def watch_limit() -> int | None:
    """``max_user_watches`` — or ``AGENTTUI_MAX_WATCHES``, a budget below it (the limit is shared
    with every other tool of the user)."""
    budget = os.environ.get("AGENTTUI_MAX_WATCHES", "")
    if budget.isdigit():
        return int(budget)
    try:
        return int(Path("/proc/sys/fs/inotify/max_user_watches").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def coverage(roots: list[Path], limit: int | None = None) -> Coverage:
    """Count the directories the watchers will install watches on (filters do not reduce them)."""
    per_top: dict[str, int] = {}
    total = 0
    for root in roots:
        for dirpath, _dirnames, _files in os.walk(root):
            total += 1
            rel = os.path.relpath(dirpath, root)
            top = os.path.join(root.name, rel.split(os.sep, 1)[0]) if rel != "." else root.name
            per_top[top] = per_top.get(top, 0) + 1
    heaviest = tuple(sorted(per_top.items(), key=lambda kv: -kv[1])[:5])
    return Coverage(total, watch_limit() if limit is None else limit, heaviest)
