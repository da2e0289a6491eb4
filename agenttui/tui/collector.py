"""Full garbage collections between key presses, not during them.

Under a flood of file events Textual's layout and render churn leaves cyclic garbage (its
compositor's arrangement closures, rebuilt widgets), and Python runs a full collection whenever
enough has piled up, a long pause on a loaded machine, wherever it lands, e.g. in the middle of
drawing the answer to a key (the p99 of bench/bench_keys.py).  Freezing the survivors after each
collection too (so each scans only what is new) was tried: a command palette open at that moment
was frozen with them and its cycles kept after it closed (RSS grew with every palette opened:
docs/MEASURED.md, "garbage collection"), so only the start-up heap is frozen.  The pacer takes full collections
out of Python's hands and runs them itself, in at most ``SHARE`` of the time, once input has been
quiet for ``QUIET`` seconds (the answer to the last key is on the screen by then, and the next key
of a person typing is rarely that close), and at the latest ``LONGEST`` seconds after they became
due (a held key must not grow the heap without bound).

Young collections (generations 0 and 1) stay automatic: they are short.  At start the start-up
heap (imported modules, the mounted panes) is collected once and frozen, so full collections do
not scan it again (docs/MEASURED.md, "garbage collection"); the real process runs with no
collections at all until then (``cli._before_textual``), and :meth:`start` turns them on.  Only for the real process:
tests share theirs, and :meth:`stop` undoes everything.
"""

from __future__ import annotations

import asyncio
import gc
import time

QUIET = 0.12  # s of no input before a due full collection runs
LONGEST = 2.0  # s a due full collection may be put off while input keeps coming
YOUNG_RUNS = 10  # generation-1 collections between full ones: Python's own default threshold
SHARE = 0.05  # full collections take at most this share of the time: after one of d s, wait d / SHARE
_NEVER = 1 << 30  # a generation-2 threshold Python never reaches by itself


class CollectorPacer:
    def __init__(
        self, *, quiet: float = QUIET, longest: float = LONGEST, young_runs: int = YOUNG_RUNS, share: float = SHARE
    ) -> None:
        self.quiet = quiet
        self.longest = longest
        self.young_runs = young_runs
        self.share = share
        self.not_before = 0.0  # monotonic time before which no full collection is due
        self.last_input = 0.0
        self.due_since: float | None = None
        self.saved: tuple[int, int, int] | None = None
        self.was_enabled = True  # whether collections were on before start (the real process starts with them off)
        self.runs = 0  # full collections run by the pacer
        self.deferred = 0  # times a due collection waited for input to go quiet
        self._handle: asyncio.TimerHandle | None = None

    @property
    def active(self) -> bool:
        return self.saved is not None

    def start(self) -> None:
        if self.saved is not None:
            return
        gc.collect()
        gc.freeze()
        self.saved = gc.get_threshold()
        gc.set_threshold(self.saved[0], self.saved[1], _NEVER)
        self.was_enabled = gc.isenabled()
        gc.enable()  # (off from before Textual's import until now: cli._before_textual)

    def stop(self) -> None:
        if self.saved is None:
            return
        gc.set_threshold(*self.saved)
        self.saved = None
        gc.unfreeze()
        if not self.was_enabled:
            gc.disable()

    def input(self, now: float | None = None) -> None:
        """A key, click or scroll arrived."""
        self.last_input = time.monotonic() if now is None else now

    def on_input(self) -> None:
        """Input arrived (on the event loop): note it, and look again once it has been quiet."""
        self.input()
        if self._handle is not None:
            self._handle.cancel()
        self._handle = asyncio.get_running_loop().call_later(self.quiet, self.tick)

    def due(self, now: float | None = None) -> bool:
        """Python's own count says so (Python also waits until the survivors grew by a quarter, which
        it does not expose: under a flood its count alone came due 5 times a second), and the
        collections so far leave the time budget room."""
        now = time.monotonic() if now is None else now
        return gc.get_count()[2] >= self.young_runs and now >= self.not_before

    def decide(self, now: float, due: bool) -> bool:
        """Whether a full collection runs now (pure: the policy, for tests)."""
        if not due:
            self.due_since = None
            return False
        if self.due_since is None:
            self.due_since = now
        if now - self.last_input >= self.quiet - 0.005 or now - self.due_since >= self.longest:
            self.due_since = None
            return True
        self.deferred += 1
        return False

    def tick(self, now: float | None = None) -> float | None:
        """Run a full collection if one is due and input is quiet; return its duration (s)."""
        if self.saved is None:
            return None
        now = time.monotonic() if now is None else now
        if not self.decide(now, self.due(now)):
            return None
        t0 = time.perf_counter()
        gc.collect()
        took = time.perf_counter() - t0
        self.runs += 1
        self.not_before = time.monotonic() + took / self.share
        return took
