"""Small fixes to Textual internals that matter when 32 panes redraw under a flood of events.

Each fix is applied once, at import of the app, wraps the original (so a Textual upgrade that
changes the method keeps working) and is covered by a test that fails without it.

``Strip.divide`` caches its result on the strip; when the cut is the whole strip the result is
``[self]``, so the strip refers to itself and is freed only by the cyclic garbage collector.  The
compositor divides nearly every line of every frame that way: under load that was the bulk of the
cyclic garbage (all of the Strips found in it, with their 7 caches and segments each), and with
it the full collections of 20-75 ms that landed on key presses (bench/bench_keys.py).  Returning a
fresh ``[self]`` without caching it costs a list, and lets reference counting free the strip.

``StylesCache.get_inner_outer`` is an ``lru_cache(1024)`` method meant as a class method: its key
holds ``self``, so the caches of up to 1,024 widgets that are long gone (every command palette,
toast and modal ever opened) stay alive, with the rendered lines they cache: +8 MB per 30 palette
opens until it filled (bench: RSS 59 -> 100 MB).  Cached on the colours alone, as intended.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from textual._styles_cache import StylesCache
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


def _inner_outer_without_self() -> None:
    original = StylesCache.__dict__.get("get_inner_outer")
    compute = getattr(original, "__wrapped__", None)
    if compute is None or getattr(compute, _MARK, False) or not hasattr(original, "cache_info"):
        return  # already fixed, or Textual changed it (then it is not an lru_cache on self any more)

    @lru_cache(1024)
    def get_inner_outer(base_background: Any, background: Any) -> Any:
        return compute(StylesCache, base_background, background)

    setattr(get_inner_outer, _MARK, True)
    StylesCache.get_inner_outer = staticmethod(get_inner_outer)  # type: ignore[assignment,method-assign]


def apply() -> None:
    _divide_without_self_cycle()
    _inner_outer_without_self()
