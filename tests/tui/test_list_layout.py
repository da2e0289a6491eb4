"""The list layout (issue 24): from 9 agents one row per agent and the focused one's pane; `l`
toggles it; a row draws its one line and nothing of its hidden pane.  Control: 3 agents are a grid."""

from __future__ import annotations

from pathlib import Path

from agenttui.tui.textual_compat import visible_widgets
from tests.support.repos import write_plan
from tests.support.ui import make_app, until


def _plan(n: int) -> str:
    return "".join(f'[[agent]]\nname = "w{i:02d}"\ncommand = ["sleep", "30"]\n' for i in range(n))


async def test_many_agents_are_rows_and_the_highlighted_one_is_the_detail(repo: Path) -> None:
    write_plan(repo, _plan(12))
    app = make_app(repo)
    async with app.run_test(size=(160, 50)) as pilot:
        grid = app.main_screen.grid
        await until(pilot, lambda: len(grid.panes) == 12, what="12 panes")
        await until(pilot, lambda: grid.detail is not None and grid.detail.has_class("-shown"), what="the detail")
        assert grid.is_list and grid.has_class("-list") and grid.highlighted == "w00"
        assert all(p.row_only for p in grid.panes)
        assert grid.detail is not None and grid.detail.agent_name == "w00"
        await pilot.pause()
        visible = visible_widgets(app.screen)
        assert visible is not None
        rows = grid.agent_list
        assert rows is not None and rows in visible and app.focused is rows
        w05 = grid.pane("w05")
        assert w05 is not None and w05 not in visible  # the panes are hidden: nothing of them is drawn
        assert not any(p.children for p in grid.panes)  # ...and they hold no widgets to restyle
        assert grid.detail.query_one("#title")  # (control: the detail has its lines)
        assert "w05" in rows.render_line(5).text and rows.render_line(0).text.startswith("▶ w00")
        await pilot.press("down", "down")
        await until(pilot, lambda: grid.highlighted == "w02", what="the focus moved down two rows")
        assert grid.detail.agent_name == "w02" and "▶ w02" in str(grid.detail.border_title)
        assert grid.detail.outer_size.height == 16 and rows.render_line(2).text.startswith("▶ w02")
        assert grid.focused_pane() is grid.pane("w02")  # what s, p, v, L act on
        await pilot.press("l")
        await until(pilot, lambda: not grid.has_class("-list"), what="back to the grid")
        assert not any(p.row_only for p in grid.panes) and grid.columns > 1
        assert not grid.detail.has_class("-shown") and not rows.has_class("-shown")
        await until(pilot, lambda: app.focused is grid.pane("w02"), what="the same agent focused in the grid")
        await until(pilot, lambda: all(p.has_parts for p in grid.panes), what="the panes' lines mounted again")
        await pilot.pause()
        w05 = grid.pane("w05")
        assert w05 is not None and "planned" in str(w05.query_one("#title").render())  # drawn from its data
        await pilot.press("l")
        await until(pilot, lambda: grid.has_class("-list"), what="a list again")
        await until(pilot, lambda: not any(p.children for p in grid.panes), what="the rows' widgets gone")


async def test_a_few_agents_are_a_grid(repo: Path) -> None:
    write_plan(repo, _plan(3))
    app = make_app(repo)
    async with app.run_test(size=(160, 50)) as pilot:
        grid = app.main_screen.grid
        await until(pilot, lambda: len(grid.panes) == 3, what="3 panes")
        assert not grid.is_list and not any(p.row_only for p in grid.panes)


async def test_the_detail_follows_the_cursor_in_the_same_frame(repo: Path) -> None:
    """Moving the list's cursor turns the detail to the new agent in the same handler, so one frame
    draws both (a message reached the detail a frame later: +8 to +15 ms an arrow key, bench_keys).
    Control: through the message alone, the detail has not followed yet when the key is handled."""
    write_plan(repo, _plan(12))
    app = make_app(repo)
    async with app.run_test(size=(160, 50)) as pilot:
        grid = app.main_screen.grid
        await until(pilot, lambda: grid.detail is not None and grid.detail.has_class("-shown"), what="the detail")
        rows, detail = grid.agent_list, grid.detail
        assert rows is not None and detail is not None and detail.agent_name == "w00"
        rows.action_cursor(1)  # (no await: nothing else runs in between)
        assert detail.agent_name == "w01" and "▶ w01" in str(detail.border_title)
        sink, rows.highlight_sink = rows.highlight_sink, None
        rows.action_cursor(1)
        assert detail.agent_name == "w01"  # control: not yet
        await until(pilot, lambda: detail.agent_name == "w02", what="the message's way")
        rows.highlight_sink = sink
