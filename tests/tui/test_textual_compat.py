"""The Textual fixes the app applies: each test fails on unpatched Textual."""

from __future__ import annotations

import gc
from pathlib import Path

from rich.segment import Segment
from textual.strip import Strip

import agenttui.tui.app  # noqa: F401  (applies the fixes, as the app does)


def test_a_whole_strip_division_leaves_no_reference_cycle() -> None:
    line = Strip([Segment("hello "), Segment("world")])
    assert [s.text for s in line.divide([11])] == ["hello world"]
    assert [s.text for s in line.divide([6, 11])] == ["hello ", "world"]  # real cuts still work
    assert [s.text for s in line.divide([6, 11])] == ["hello ", "world"]  # and are cached
    assert line.divide([11, 40])[0] is line  # cuts past the end are dropped, as before

    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for i in range(200):  # what the compositor does to nearly every line of every frame
            strip = Strip([Segment(f"line {i}")])
            assert strip.divide([strip.cell_length]) == [strip]
            del strip
        gc.collect()
        # only this test's strips: anything else the suite left behind may be collected here too
        cyclic = [o for o in gc.garbage if isinstance(o, Strip) and o.text.startswith("line ")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert cyclic == []  # unpatched: 200 strips, each freed only by a full collection


def test_styles_caches_of_gone_widgets_are_not_kept_alive() -> None:
    import weakref

    from textual._styles_cache import StylesCache
    from textual.color import Color

    refs = []
    for i in range(50):  # every widget has one; a palette, toast or modal dies with its widgets
        cache = StylesCache()
        inner, outer = cache.get_inner_outer(Color(i, 0, 0), Color(0, 0, 255, 0.5))
        assert outer.background == Color(i, 0, 0)
        refs.append(weakref.ref(cache))
        del cache
    gc.collect()
    assert [r for r in refs if r() is not None] == []  # unpatched: all 50 held by an lru_cache on self


# ---------------------------------------------------------------- every internal we rely on is still there
# (each fails when a Textual release moves the name: textual_compat degrades to Textual's own behaviour,
# which these tests then report, rather than the app breaking at run time)


def test_internals_the_fixes_wrap_exist() -> None:
    from textual._styles_cache import StylesCache
    from textual.strip import Strip

    from agenttui.tui.textual_compat import _MARK

    assert getattr(Strip.divide, _MARK, False), "Strip.divide is no longer wrapped"
    assert getattr(StylesCache.get_inner_outer, _MARK, False), "StylesCache.get_inner_outer is no longer wrapped"


def test_screen_resized_hook_exists() -> None:
    from textual.screen import Screen

    assert callable(getattr(Screen, "_screen_resized", None))


async def test_compositor_still_says_which_widgets_are_visible(repo: Path) -> None:
    from agenttui.tui.textual_compat import visible_widgets
    from tests.support.ui import make_app

    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        visible = visible_widgets(app.screen)
        assert visible is not None and app.main_screen.grid in visible


async def test_footer_internals_exist(repo: Path) -> None:
    from agenttui.tui.widgets.footer import QuietFooter
    from tests.support.ui import make_app

    app = make_app(repo)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(QuietFooter)
        assert hasattr(footer, "_bindings_ready")
        assert isinstance(getattr(footer, "__watchers", None), dict)


def test_fatal_error_hook_exists() -> None:
    from agenttui.tui.textual_compat import has_fatal_error_hook

    assert has_fatal_error_hook()


def test_the_driver_write_that_escapes_go_through_exists() -> None:
    """7: App.bell writes BEL with the driver's write; the desktop notification goes the same way."""
    import inspect

    from textual.app import App
    from textual.driver import Driver

    assert callable(getattr(Driver, "write", None))
    assert "_driver.write" in inspect.getsource(App.bell)


async def test_write_escape_is_a_no_op_headless(repo: Path) -> None:
    from agenttui.tui.textual_compat import write_escape
    from tests.support.ui import make_app

    app = make_app(repo)
    async with app.run_test():
        assert write_escape(app, "\x1b]9;x\x07") is False
