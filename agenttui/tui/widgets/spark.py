"""The activity sparkline: one line of block characters, in one colour.

Textual's ``Sparkline`` blends a colour for every bar and builds a style per cell: 5.9 ms a draw,
the costliest widget of the list layout's detail under load (bench/NOTES.md, "what a frame
draws").  A line of block characters in the widget's own colour is drawn in a fraction of that
and is redrawn only when its bars change.
"""

from __future__ import annotations

from itertools import groupby
from typing import ClassVar

from rich.segment import Segment
from textual.strip import Strip
from textual.widget import Widget

BLOCKS = " ▁▂▃▄▅▆▇█"


def spark_text(values: list[int], width: int | None = None) -> str:
    """*values* as bars of block characters (a zero is a blank), stretched or squeezed to *width*
    columns: a column shows the largest of the values it covers."""
    n = len(values)
    if width is not None and width != n and n:
        values = [max(values[c * n // width : max(c * n // width + 1, (c + 1) * n // width)]) for c in range(width)]
    top = max(values, default=0) or 1
    return "".join(BLOCKS[min(8, (8 * v + top - 1) // top)] if v > 0 else " " for v in values)


class Spark(Widget):
    """A one-line sparkline of *data* across the widget's width: bars in the widget's ``color``,
    no activity as a baseline in the ``spark--zero`` colour (the chart stays visible when idle)."""

    DEFAULT_CSS = """
    Spark { height: 1; }
    Spark > .spark--zero { color: $foreground 25%; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"spark--zero"}

    def __init__(self, data: list[int] | None = None, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.data: list[int] = list(data or [])
        self._strip: Strip | None = None

    def set_data(self, data: list[int]) -> None:
        if data != self.data:
            self.data = list(data)
            self._strip = None
            self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strip = None

    def on_resize(self) -> None:
        self._strip = None

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y != 0:
            return Strip.blank(width, self.rich_style)
        if self._strip is None:
            bars, zero = self.rich_style, self.rich_style + self.get_component_rich_style("spark--zero")
            segments = [
                Segment("▁" * len(run), zero) if blank else Segment(run, bars)
                for blank, run in (
                    (b, "".join(g)) for b, g in groupby(spark_text(self.data, width), key=lambda ch: ch == " ")
                )
            ]
            self._strip = Strip(segments).adjust_cell_length(width, self.rich_style)
        return self._strip
