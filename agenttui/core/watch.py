"""File activity in agent worktrees (watchfiles).

One watcher over all agent worktrees (PERF-NOTES: >40 concurrent ``awatch`` calls stall on
anyio's thread limit), never shared with the main checkout's guard.  watchfiles' default
1,600 ms debounce is far too slow for a live pane: we use tens of milliseconds.
"""

from __future__ import annotations

import bisect
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import watchfiles

KINDS = {
    watchfiles.Change.added: "created",
    watchfiles.Change.modified: "modified",
    watchfiles.Change.deleted: "deleted",
}
_IGNORED_DIRS = {".git", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hg"}


@dataclass(frozen=True)
class FileChange:
    kind: str  # created / modified / deleted
    path: str  # relative to the worktree
    time: float


class WorktreeFilter(watchfiles.DefaultFilter):
    """Like watchfiles' default, minus git's internals and editor droppings."""

    def __init__(self) -> None:
        super().__init__(ignore_dirs=tuple(_IGNORED_DIRS))


def assign(
    changes: Iterable[tuple[Any, str]], roots: list[Path], now: float | None = None
) -> dict[Path, list[FileChange]]:
    """Sort raw watchfiles changes by the worktree they happened in (deepest root wins).

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
                out.setdefault(root, []).append(
                    FileChange(KINDS.get(change, "modified"), path[len(prefix):], t)
                )
                break
            i -= 1
    return out


async def watch_worktrees(
    roots: list[Path], stop_event: Any, *, debounce: int = 20, step: int = 10
) -> AsyncIterator[dict[Path, list[FileChange]]]:
    """Yield batches of changes per worktree until *stop_event* is set."""
    existing = [r for r in roots if r.is_dir()]
    if not existing:
        return
    async for changes in watchfiles.awatch(
        *existing,
        watch_filter=WorktreeFilter(),
        debounce=debounce,
        step=step,
        stop_event=stop_event,
    ):
        yield assign(changes, existing)


class Activity:
    """Recent file activity of one worktree: latest paths and a per-second event rate."""

    def __init__(self, keep: int = 8, seconds: int = 60) -> None:
        self.latest: deque[FileChange] = deque(maxlen=keep)
        self.seconds = seconds
        self._buckets: deque[tuple[int, int]] = deque()  # (second, count)
        self.total = 0

    def add(self, changes: list[FileChange]) -> None:
        self.latest.extendleft(changes[-(self.latest.maxlen or 8):])
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
