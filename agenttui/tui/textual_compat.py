"""Every use of Textual internals, in one place (Textual 8.2.x; ``textual>=8.2.8,<9``).

Each one wraps or reads a private name, degrades to Textual's own behaviour when the name moves,
and has a test in ``tests/tui/test_textual_compat.py`` that fails when it moves (and, for the
fixes, one that fails without the fix).

1. ``Strip.divide`` caches its result on the strip; when the cut is the whole strip the result is
   ``[self]``, a reference cycle per line per frame, freed only by the cyclic collector: under load
   the bulk of the cyclic garbage and of the long full collections that landed on keys
   (bench/bench_keys.py).  Returned fresh, uncached.
2. ``StylesCache.get_inner_outer`` is an ``lru_cache(1024)`` *method* (meant as a class method):
   its key holds ``self``, so up to 1,024 dead widgets' caches stay alive (RSS grew with every
   palette opened: docs/MEASURED.md).  Cached on the colours alone.
3. ``Screen._screen_resized``: Textual lays out every screen under a new modal again at the modal's
   first Resize, at the same size (32 panes arranged for nothing on every palette open).
   :class:`ResizeOnlyWhenResized` skips that when the size did not change and no layout is pending.
4. ``screen._compositor.visible_widgets``: ``Widget.is_on_screen`` is true for panes scrolled out
   of view, so paced redraws ask the compositor which panes are really visible.
5. ``Footer`` internals (``_bindings_ready`` and the name-mangled ``__watchers``): Textual's Footer
   recomposes on every focus move and leaks the data-bind watchers of removed keys (9 widgets per
   rebuild).  See :class:`..widgets.footer.QuietFooter`.
6. ``App._fatal_error``: the hook Textual calls inside the ``except`` that caught an unhandled
   exception; agenttui writes the traceback to a log and prints one line (see ``app.py``).
7. ``App._driver.write``: the only way to put an escape sequence on the terminal between Textual's
   own frames (``App.bell`` uses it for BEL): the desktop notification (OSC 9 / OSC 777) of an agent
   needing the user.  Written through the driver it cannot land inside a frame's escape sequence.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from functools import lru_cache
from typing import Any

from textual._styles_cache import StylesCache
from textual.app import App
from textual.geometry import Size
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

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
    """Apply the fixes (1, 2); idempotent."""
    _divide_without_self_cycle()
    _inner_outer_without_self()


class ResizeOnlyWhenResized(Screen[Any]):
    """(3) A screen that is not laid out again when a modal opens over it at the same size."""

    def _screen_resized(self, size: Size) -> None:
        if size == getattr(self, "_size", None) and not getattr(self, "_layout_required", True):
            return
        super()._screen_resized(size)


def visible_widgets(screen: Screen[Any]) -> Container[Widget] | None:
    """(4) The widgets the compositor placed in view, or None when Textual no longer says."""
    compositor = getattr(screen, "_compositor", None)
    visible = getattr(compositor, "visible_widgets", None)
    return visible if visible is not None else None


def footer_ready(footer: Widget) -> bool:
    """(5) Whether the footer has built its keys once (Textual's ``_bindings_ready``)."""
    return bool(getattr(footer, "_bindings_ready", False))


def forget_closed_watchers(footer: Widget) -> None:
    """(5) Drop the data-bind watchers of footer keys that were removed."""
    watchers = getattr(footer, "__watchers", None)
    if not isinstance(watchers, dict):
        return
    for entries in watchers.values():
        if isinstance(entries, list):
            entries[:] = [
                (node, cb)
                for node, cb in entries
                if not (getattr(node, "_closing", False) or getattr(node, "_closed", False))
            ]


FATAL_ERROR_HOOK = "_fatal_error"
"""(6) The App method Textual calls for an unhandled exception (inside its ``except``)."""


def has_fatal_error_hook() -> bool:
    return callable(getattr(App, FATAL_ERROR_HOOK, None))


def write_escape(app: App[Any], sequence: str) -> bool:
    """Write *sequence* to the terminal between frames (how ``App.bell`` writes BEL): False when
    headless or when the driver's ``write`` has moved."""
    driver = getattr(app, "_driver", None)
    write = getattr(driver, "write", None)
    if app.is_headless or not callable(write):
        return False
    write(sequence)
    return True
