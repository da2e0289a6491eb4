"""Small fixes to Textual internals that matter when 32 panes redraw under a flood of events.

Each fix is applied once, at import of the app, wraps the original (so a Textual upgrade that
changes the method keeps working) and is covered by a test that fails without it.

``Strip.divide`` caches its result on the strip; when the cut is the whole strip the result is
``[self]``, so the strip refers to itself and is freed only by the cyclic garbage collector.  The
compositor divides nearly every line of every frame that way: under load that was the bulk of the
cyclic garbage (all of the Strips found in it, with their 7 caches and segments each), and with
it the full collections of 20-75 ms that landed on key presses (bench/bench_keys.py).  Returning a
fresh ``[self]`` without caching it costs a list, and lets reference counting free the strip.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.strip import Strip

_MARK = "_agenttui_fixed"


def _divide_without_self_cycle() -> None:
    original = Strip.divide
    if getattr(original, _MARK, False):
        return

    def divide(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
        length = self.cell_length
        kept = [cut for cut in cuts if cut <= length]
        if len(kept) == 1 and kept[0] == length:
            return [self]  # the whole strip: what the original caches on self, making a cycle
        return original(self, kept)

    divide.__doc__ = original.__doc__
    setattr(divide, _MARK, True)
    Strip.divide = divide  # type: ignore[method-assign]


def apply() -> None:
    _divide_without_self_cycle()
