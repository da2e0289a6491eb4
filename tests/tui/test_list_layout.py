"""The list layout (issue 24): from 9 agents one row per agent and the focused one's pane; `l`
toggles it; a row draws its one line and nothing of its hidden pane.  Control: 3 agents are a grid."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from agenttui.tui.textual_compat import visible_widgets
from tests.support.repos import write_plan
from tests.support.ui import make_app, until


def _plan(n: int) -> str:
    return "".join(f'[[agent]]\nname = "w{i:02d}"\ncommand = ["sleep", "30"]\n' for i in range(n))


async def test_many_agents_are_rows_and_the_focused_one_is_expanded(repo: Path) -> None:
    write_plan(repo, _plan(12))
    app = make_app(repo)
    async with app.run_test(size=(160, 50)) as pilot:
        grid = app.main_screen.grid
        await until(pilot, lambda: len(grid.panes) == 12, what="12 panes")
        assert grid.is_list and grid.has_class("-list") and grid.expanded == "w00"
        rows = [p for p in grid.panes if p.row_only]
        assert [p.agent_name for p in rows] == [f"w{i:02d}" for i in range(1, 12)]
        await pilot.pause()
        visible = visible_widgets(app.screen)
        assert visible is not None
        w05 = grid.pane("w05")
        assert w05 is not None
        row, files = w05.query_one("#row", Static), w05.query_one("#files", Static)
        assert row in visible and files not in visible  # nothing of a row's hidden pane is drawn
        assert "w05" in str(row.render()) and w05.size.height == 1
        grid.pane("w00").focus()  # type: ignore[union-attr]
        await pilot.press("down", "down")
        await until(pilot, lambda: grid.expanded == "w02", what="the focus moved down two rows")
        w02 = grid.pane("w02")
        assert w02 is not None and not w02.row_only and w02.outer_size.height == 16
        assert grid.pane("w00").row_only  # type: ignore[union-attr]
        await pilot.press("l")
        await until(pilot, lambda: not grid.has_class("-list"), what="back to the grid")
        assert not any(p.row_only for p in grid.panes) and grid.columns > 1
        await pilot.press("l")
        await until(pilot, lambda: grid.has_class("-list"), what="a list again")


async def test_a_few_agents_are_a_grid(repo: Path) -> None:
    write_plan(repo, _plan(3))
    app = make_app(repo)
    async with app.run_test(size=(160, 50)) as pilot:
        grid = app.main_screen.grid
        await until(pilot, lambda: len(grid.panes) == 3, what="3 panes")
        assert not grid.is_list and not any(p.row_only for p in grid.panes)
