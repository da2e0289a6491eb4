"""A patch of any size, drawn line by line: only the lines on the screen are rendered (Textual's
line API, as toolong's log view), coloured by their first character.  A 5,000-line change through
``rich.syntax.Syntax`` in a Static took 1.2 s to open (bench/bench_landing.py)."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

STYLES = {
    "+": Style(color="green"),
    "-": Style(color="red"),
    "@": Style(color="cyan"),
    "d": Style(bold=True),  # diff --git
    "i": Style(dim=True),  # index ...
}


class PatchView(ScrollView, can_focus=True):
    DEFAULT_CSS = "PatchView { background: $surface; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []

    def set_lines(self, lines: list[str]) -> None:
        self.lines = [ln.expandtabs(4) for ln in lines]
        width = max((len(ln) for ln in self.lines[:20_000]), default=0)
        self.virtual_size = Size(width, len(self.lines))
        self.refresh()

    def _style(self, line: str) -> Style:
        if line.startswith(("+++", "---")):
            return STYLES["d"]
        return STYLES.get(line[:1], Style())

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        if index >= len(self.lines):
            return Strip.blank(width)
        line = self.lines[index]
        text = line[scroll_x : scroll_x + width]
        return Strip([Segment(text, self._style(line))], len(text)).extend_cell_length(width)
