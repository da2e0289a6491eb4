"""File activity in agent worktrees (watchfiles).

One watcher over all agent worktrees (PERF-NOTES: >40 concurrent ``awatch`` calls stall on
anyio's thread limit), never shared with the main checkout's guard.  watchfiles' default
debounce (over a second and a half) is far too slow for a live pane: a lone change comes at once.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import watchfiles

from agenttui.core.host import inotify
from agenttui.core.host.procs import renice_threads, thread_ids

KINDS = {
    watchfiles.Change.added: "created",
    watchfiles.Change.modified: "modified",
    watchfiles.Change.deleted: "deleted",
}


@dataclass(frozen=True)
class FileChange:
    kind: str  # created / modified / deleted
    path: str  # relative to the worktree
    time: float


# What a pane does not show (watchfiles' DefaultFilter's choices, minus virtualenvs and
# node_modules, plus ruff's cache), tested on the path *inside* the worktree: the worktree itself
# may live under any directory.  Two regular expressions instead of DefaultFilter's split and seven
# searches per path: this runs for every event, thousands a second (docs/MEASURED.md).
_IGNORED_DIR = re.compile(r"(?:^|/)(?:\.git|\.hg|__pycache__|\.mypy_cache|\.pytest_cache|\.ruff_cache)(?:/|$)")
_IGNORED_NAME = re.compile(r"\.py[cod]$|\.___jb_...___$|\.sw.$|~$|^\.#|^\.DS_Store$|^flycheck_")


def ignored(rel: str) -> bool:
    """Whether a change at *rel* (relative to its worktree, ``/``-separated) is noise."""
    return bool(_IGNORED_DIR.search(rel) or _IGNORED_NAME.search(rel[rel.rfind("/") + 1 :]))


def assign(
    changes: Iterable[tuple[Any, str]], roots: list[Path], now: float | None = None
) -> dict[Path, list[FileChange]]:
    """Sort raw watchfiles changes by the worktree they happened in (deepest root wins), noise out.

    Thousands of events a second arrive here: a binary search over the sorted root prefixes
    finds the candidates instead of testing every root for every path."""
    t = time.time() if now is None else now
    prefixes = sorted((str(r).rstrip(os.sep) + os.sep, r) for r in roots)
    keys = [p for p, _ in prefixes]
    out: dict[Path, list[FileChange]] = {}
    for change, path in changes:
        i = bisect.bisect_right(keys, path)
        while i > 0:  # the deepest root that is a prefix sorts last among those <= path
            prefix, root = prefixes[i - 1]
            if path.startswith(prefix):
                rel = path[len(prefix) :]
                if not ignored(rel):
                    out.setdefault(root, []).append(FileChange(KINDS.get(change, "modified"), rel, t))
                break
            i -= 1
    return out


async def watch_worktrees(
    roots: list[Path], stop_event: Any, *, debounce: int = 100, step: int = 10, thread_nice: int = 0
) -> AsyncIterator[dict[Path, list[FileChange]]]:
    """Yield batches of changes per worktree until *stop_event* is set: a lone change within
    *step* ms, a flood as one batch per *debounce* ms at most (the UI's update rate is bounded
    whatever the file rate), sorted to worktrees off the event loop's thread.

    With *thread_nice*, the watcher's reader thread runs that much nicer than the caller: under a
    flood it takes a good part of a core, and at the UI thread's nice it made the UI thread wait
    for a CPU (docs/MEASURED.md, "watcher priority").  Only this watcher's thread: the main
    checkout's guard keeps its own at full priority, or files written right after a new directory
    are seen late (by the periodic re-check)."""
    existing = [r for r in roots if os.path.isdir(r)]
    if not existing:
        return
    if thread_nice > 0:
        # watchfiles starts its reader thread while constructing the watcher, synchronously in
        # the first step of the loop below; this runs once that step has suspended
        before = thread_ids()
        asyncio.get_running_loop().call_soon(
            lambda: renice_threads(thread_ids() - before, thread_nice, name_prefix="notify-rs")
        )
    async for changes in watchfiles.awatch(
        *existing,
        watch_filter=None,  # assign() filters: faster, and on the path inside the worktree
        debounce=debounce,
        step=step,
        stop_event=stop_event,
    ):
        yield await asyncio.to_thread(assign, changes, existing)


async def watch_file(path: Path, stop_event: asyncio.Event) -> AsyncIterator[None]:
    """Yield once per change of one file (the plan): its folder is watched, not the file, since
    editors and git replace files by renaming over them.  Raw inotify where there is one (a
    thread asleep in the kernel until the folder changes; watchfiles wakes every ``step`` ms,
    ~50 times a second, to look), else watchfiles; changes within 50 ms are one."""
    target = path.resolve()
    if not inotify.available():
        async for changes in watchfiles.awatch(
            path.parent,
            recursive=False,
            debounce=50,
            step=20,
            stop_event=stop_event,
            watch_filter=lambda _c, p: Path(p).resolve() == target,
        ):
            if changes:
                yield None
        return
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()
    wanted = {(str(path.parent.absolute()), path.name), (str(target.parent), target.name)}

    def on_events(events: list[tuple[str, int, str]]) -> None:  # (the watch's own thread)
        if any((folder, name) in wanted for folder, _mask, name in events):
            loop.call_soon_threadsafe(changed.set)

    watch = inotify.FolderWatch(on_events, name="agenttui-plan")
    if not watch.start():
        return
    stopping = asyncio.ensure_future(stop_event.wait())
    try:
        for folder in {f for f, _ in wanted}:
            watch.add(folder, inotify.IN_CLOSE_WRITE | inotify.IN_MOVED_TO | inotify.IN_CREATE | inotify.IN_DELETE)
        while not stop_event.is_set():
            waiting = asyncio.ensure_future(changed.wait())
            await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if stop_event.is_set():
                waiting.cancel()
                break
            await asyncio.sleep(0.05)  # the rest of an editor's save (write, rename, chmod)
            changed.clear()
            yield None
    finally:
        stopping.cancel()
        watch.stop()


class Activity:
    """Recent file activity of one worktree: latest paths and a per-second event rate."""

    def __init__(self, keep: int = 8, seconds: int = 60) -> None:
        self.latest: deque[FileChange] = deque(maxlen=keep)
        self.seconds = seconds
        self._buckets: deque[tuple[int, int]] = deque()  # (second, count)
        self.total = 0

    def add(self, changes: list[FileChange]) -> None:
        self.latest.extendleft(changes[-(self.latest.maxlen or 8) :])
        for c in changes:
            sec = int(c.time)
            if self._buckets and self._buckets[-1][0] == sec:
                self._buckets[-1] = (sec, self._buckets[-1][1] + 1)
            else:
                self._buckets.append((sec, 1))
        self.total += len(changes)
        if changes:
            self._trim(int(changes[-1].time))

    def _trim(self, now: int) -> None:
        while self._buckets and self._buckets[0][0] <= now - self.seconds:
            self._buckets.popleft()

    def rates(self, now: float | None = None, width: int = 30) -> list[int]:
        """Events per second for the last *width* seconds, oldest first."""
        n = int(time.time() if now is None else now)
        self._trim(n)
        counts = dict(self._buckets)
        return [counts.get(s, 0) for s in range(n - width + 1, n + 1)]
