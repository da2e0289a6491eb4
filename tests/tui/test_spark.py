"""The activity sparkline (block characters in one colour, instead of Textual's per-cell blended
Sparkline, the detail's costliest draw under load), and a pane drawn only when what it shows changed."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static

from agenttui.tui.messages import Sampled
from agenttui.tui.widgets.spark import Spark, spark_text
from tests.support.repos import write_plan
from tests.support.ui import make_app, pane


def test_bars_scale_to_the_largest_value_and_a_zero_is_blank() -> None:
    assert spark_text([0, 1, 2, 4, 8]) == " ▁▂▄█"
    assert spark_text([0, 0, 0]) == "   "
    assert spark_text([]) == ""
    assert spark_text([5]) == "█"


def test_bars_stretch_and_squeeze_to_the_width_keeping_the_largest() -> None:
    assert spark_text([1, 8], 4) == "▁▁██"  # each value over two columns
    assert spark_text([8, 0, 0, 1, 0, 0], 2) == "█▁"  # a column shows the largest it covers
    assert len(spark_text(list(range(30)), 173)) == 173


class _One(App[None]):
    def compose(self) -> ComposeResult:
        yield Spark([0, 4, 8], id="rate")


async def test_the_line_is_drawn_across_the_width_and_again_only_when_the_bars_change() -> None:
    app = _One()
    async with app.run_test(size=(12, 3)) as pilot:
        spark = app.query_one(Spark)
        await pilot.pause()
        assert spark.render_line(0).text == "▁▁▁▁▄▄▄▄████"  # no activity: a baseline
        refreshed: list[object] = []
        original = spark.refresh
        spark.refresh = lambda *a, **k: refreshed.append(a) or original(*a, **k)  # type: ignore[method-assign]
        spark.set_data([0, 4, 8])
        assert refreshed == []  # the same bars: nothing drawn
        spark.set_data([8, 0, 0])  # control: new bars are drawn
        assert len(refreshed) == 1
        await pilot.pause()
        assert spark.render_line(0).text == "████▁▁▁▁▁▁▁▁"


async def test_a_panes_lines_are_set_again_only_when_what_they_show_changed(repo: Path) -> None:
    write_plan(repo, '[[agent]]\nname = "a0"\ncommand = ["sleep", "60"]\n')
    app = make_app(repo)
    async with app.run_test(size=(130, 44)) as pilot:
        await pilot.pause()
        p = pane(app, "a0")
        updates: list[str | None] = []
        for line in p.query(Static):
            original = line.update

            def spy(*a: object, _line: Static = line, _orig: object = original, **k: object) -> None:
                updates.append(_line.id)
                _orig(*a, **k)  # type: ignore[operator]

            line.update = spy  # type: ignore[method-assign]
        p.refresh_all()
        assert updates == []  # the same text everywhere: no line drawn again
        p.run.error = "boom"  # control: a changed title is drawn
        p.refresh_all()
        assert updates == ["title"]
        assert "boom" in str(p.query_one("#title", Static).render())


async def test_a_sample_that_changes_nothing_shown_marks_nothing_to_draw(repo: Path) -> None:
    """32 idle agents' samples (every 2 s) redrew every row and the detail: the uptime in seconds
    and new stats objects.  Now a sample marks a pane only when its process line would change."""
    from agenttui.core.agents.sampler import Sample
    from agenttui.core.host.procs import ProcStats

    write_plan(repo, '[[agent]]\nname = "a0"\ncommand = ["sleep", "60"]\n')
    app = make_app(repo)
    async with app.run_test(size=(130, 44)) as pilot:
        await pilot.pause()
        grid = app.main_screen.grid
        marked: list[tuple[str, ...]] = []
        original = grid.mark
        grid.mark = lambda p, *parts: (marked.append(parts), original(p, *parts))  # type: ignore[method-assign]

        async def sample(cpu: float, runtime: float) -> None:
            stats = ProcStats(pids=(4242,), cpu=cpu, rss=5 << 20, runtime=runtime, status="sleeping")
            await grid.on_sampled(Sampled(Sample(stats={"a0": stats}, generation=grid.generation)))

        await sample(0.0, 125.0)
        assert marked == [("proc",)]  # the first sample is drawn
        await sample(0.0, 127.0)  # two seconds later, idle: the same line ("up 2m")
        assert marked == [("proc",)]
        await sample(3.0, 129.0)  # control: the CPU moved, the line changes
        assert marked == [("proc",), ("proc",)]
