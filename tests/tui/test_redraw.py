"""How the supervisor draws under load: the footer, the focus, paced pane redraws, panes under modals.

These guard the fixes bench_keys measured (a full-screen relayout per arrow key, a full repaint per
focus move, panes redrawn under a modal): each test fails if the costly behaviour comes back.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static
from textual.widgets._footer import FooterKey

from agenttui.tui.app import AgentTuiApp
from agenttui.tui.screens.modals import AnnounceModal
from agenttui.tui.textual_compat import visible_widgets
from agenttui.tui.widgets.pane import AgentPane
from tests.support.repos import git, write_plan
from tests.support.ui import announce_and_confirm, make_app, until

FOUR = "".join(f'[[agent]]\nname = "a{i}"\ncommand = ["sleep", "60"]\n' for i in range(4))


def files_text(pane: AgentPane) -> str:
    return str(pane.query_one("#files", Static).render())


def linked_worktree(repo: Path, name: str) -> Path:
    """A worktree agenttui did not create: the supervisor gives it a pane named after its folder."""
    wt = repo.parent / name
    git(repo, "worktree", "add", "-q", "-b", f"branch-{name}", str(wt))
    return wt


async def test_footer_is_not_rebuilt_when_focus_moves_but_is_when_a_key_changes(repo: Path) -> None:
    write_plan(repo, FOUR)
    app = make_app(repo)
    async with app.run_test(size=(130, 44)) as pilot:
        await pilot.pause()
        keys = {id(k) for k in app.query(FooterKey)}
        assert keys
        await pilot.press("right", "down", "left")
        await pilot.pause()
        assert app.focused is app.main_screen.grid.pane("a2")
        assert {id(k) for k in app.query(FooterKey)} == keys  # same widgets: no recompose
        fire = [k for k in app.query(FooterKey) if k.action == "fire"]
        assert fire and fire[0].has_class("-disabled")
        await announce_and_confirm(pilot, app)
        await until(
            pilot,
            lambda: any(k.action == "fire" and not k.has_class("-disabled") for k in app.query(FooterKey)),
            what="f enabled in the footer",
        )


async def test_focused_pane_is_titled_and_the_screen_is_not_repainted_whole(repo: Path) -> None:
    write_plan(repo, FOUR)
    app = make_app(repo)
    async with app.run_test(size=(130, 44)) as pilot:
        await pilot.pause()
        assert str(app.main_screen.grid.pane("a0").border_title) == "▶ a0"
        repaints: list[object] = []
        screen = app.screen
        original = screen.refresh

        def spy(*regions: object, **kw: object) -> object:
            repaints.append(regions)
            return original(*regions, **kw)  # type: ignore[arg-type]

        screen.refresh = spy  # type: ignore[method-assign]
        await pilot.press("right")
        await pilot.pause()
        assert str(app.main_screen.grid.pane("a1").border_title) == "▶ a1"
        assert str(app.main_screen.grid.pane("a0").border_title) == "a0"
        assert repaints == []


async def test_file_activity_is_drawn_at_once_when_quiet(repo: Path) -> None:
    wt = linked_worktree(repo, "wt-one")
    app = make_app(repo, live=True)
    async with app.run_test(size=(130, 44)) as pilot:
        await until(pilot, lambda: bool(app.main_screen.grid.watched_roots), what="agent watcher")
        pane = app.main_screen.grid.pane("wt-one")
        assert pane is not None
        (wt / "fresh.py").write_text("x = 1\n")
        await until(pilot, lambda: "fresh.py" in files_text(pane), timeout=5, what="the path drawn")


async def test_panes_under_a_modal_wait_and_catch_up_when_it_closes(repo: Path) -> None:
    write_plan(repo, '[[agent]]\nname = "solo"\ncommand = ["sleep", "60"]\n')
    wt = linked_worktree(repo, "wt-two")
    app = make_app(repo, live=True)
    async with app.run_test(size=(130, 44)) as pilot:
        await until(pilot, lambda: bool(app.main_screen.grid.watched_roots), what="agent watcher")
        pane = app.main_screen.grid.pane("wt-two")
        assert pane is not None
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AnnounceModal), what="announce modal")
        (wt / "under_modal.py").write_text("y = 2\n")
        await until(
            pilot, lambda: any(c.path == "under_modal.py" for c in pane.activity.latest), what="the change recorded"
        )
        await pilot.pause(0.3)
        assert "under_modal.py" not in files_text(pane)  # not drawn beneath the modal
        assert pane.thaw_due or pane in app.main_screen.grid.redraw_due
        await pilot.press("escape")
        await until(pilot, lambda: "under_modal.py" in files_text(pane), timeout=5, what="the pane catching up")


async def test_pane_scrolled_into_view_draws_what_it_missed(repo: Path) -> None:
    trees = [linked_worktree(repo, f"wt-{i}") for i in range(8)]
    app = make_app(repo, live=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: bool(app.main_screen.grid.watched_roots), what="agent watcher")
        last = app.main_screen.grid.pane("wt-7")
        assert isinstance(app, AgentTuiApp) and last is not None
        assert last not in visible_widgets(app.screen)
        (trees[7] / "far_away.py").write_text("z = 3\n")
        await until(
            pilot, lambda: any(c.path == "far_away.py" for c in last.activity.latest), what="the change recorded"
        )
        await pilot.pause(0.3)
        assert "far_away.py" not in files_text(last)  # off screen: not drawn
        last.focus()
        last.scroll_visible(animate=False)
        await until(pilot, lambda: "far_away.py" in files_text(last), timeout=5, what="the pane drawn once in view")


async def test_opening_the_palette_and_modals_leaks_no_widgets(repo: Path) -> None:
    import gc

    write_plan(repo, FOUR)
    app = make_app(repo)
    async with app.run_test(size=(130, 44)) as pilot:
        await pilot.pause()

        def footer_keys() -> int:
            gc.collect()
            return sum(1 for o in gc.get_objects() if isinstance(o, FooterKey))

        before = footer_keys()
        for _ in range(5):
            await pilot.press("ctrl+p")
            await pilot.pause(0.05)
            await pilot.press("escape")
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, AnnounceModal), what="announce modal")
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, AnnounceModal), what="modal closed")
        await pilot.pause()
        assert footer_keys() == before  # Textual's Footer leaked 9 keys per rebuild


async def test_opening_the_palette_does_not_lay_out_the_panes_again_but_a_resize_does(repo: Path) -> None:
    from textual.command import CommandPalette

    for i in range(4):
        linked_worktree(repo, f"lay-{i}")
    app = make_app(repo)
    async with app.run_test(size=(130, 44)) as pilot:
        await until(
            pilot, lambda: len(app.main_screen.grid.panes) == 4 and not app.screen._layout_required, what="settled"
        )
        await pilot.pause(0.2)
        main = app.screen
        layouts: list[object] = []
        original = main._refresh_layout

        def counted(size: object = None, scroll: bool = False) -> None:
            layouts.append(size)
            original(size, scroll)

        main._refresh_layout = counted  # type: ignore[method-assign]
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.pause(0.2)
        assert layouts == []  # Textual re-arranges every screen under a new modal, at the same size
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is main, what="palette closed")
        width = app.main_screen.grid.pane("lay-0").size.width  # type: ignore[union-attr]
        await pilot.resize_terminal(100, 44)
        await until(pilot, lambda: app.main_screen.grid.pane("lay-0").size.width != width, what="panes laid out anew")  # type: ignore[union-attr]
        assert layouts
