"""The list layout's rows: one line per agent in ONE widget, drawn line by line.

htop, k9s and lazygit stay fast with many rows because a row is a line, not a box: here the rows
are lines of one scroll view (Textual's line API), a row that changed refreshes that line only,
and moving the cursor redraws two lines — no focus moves between widgets and no CSS is applied
again (focus and class changes restyle a widget's whole subtree: with 32 bordered panes that was
most of an arrow key's cost under load).  The data is the grid's: each row reads its agent's pane
(kept, hidden, by the grid's workers); the cursor's agent is shown whole in the detail below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from agenttui.core.errors import shown
from agenttui.tui.messages import PaneFocused
from agenttui.tui.widgets.spark import spark_text

if TYPE_CHECKING:
    from agenttui.tui.widgets.pane import AgentPane

SPARK = 12  # seconds of activity in a row's sparkline


class AgentList(ScrollView, can_focus=True):
    """One row per agent: ▶ cursor, name, state and attention, client, activity, files/s, branch, CPU."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("left", "cursor(-1)", "Up", show=False),
        Binding("right", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-10)", "Page up", show=False),
        Binding("pagedown", "cursor(10)", "Page down", show=False),
        Binding("home", "cursor(-100000)", "First", show=False),
        Binding("end", "cursor(100000)", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "agent-list--cursor",
        "agent-list--name",
        "agent-list--dim",
        "agent-list--needs",
        "agent-list--spark",
    }

    def __init__(self, highlight_sink: Callable[[str], None] | None = None) -> None:
        super().__init__(id="agent-list")
        # the grid's "show this agent" (its detail follows the cursor): called, not messaged, so the
        # detail is drawn in the frame that moves the cursor (a message arrived a frame later: +8 ms
        # an arrow key at 120 frames a second, bench/NOTES.md "Third pass")
        self.highlight_sink = highlight_sink
        self.rows: list[AgentPane] = []
        self.cursor = 0
        self._strips: dict[int, Strip] = {}  # row -> its drawn line (dropped when the row changes)
        self._stale = False  # rows changed while another screen covered this one
        self._styles: dict[tuple[str, bool], Style] | None = None

    # ------------------------------------------------------------------ data
    def set_rows(self, rows: list[AgentPane]) -> None:
        names = [p.agent_name for p in self.rows]
        current = names[self.cursor] if 0 <= self.cursor < len(names) else None
        self.rows = list(rows)
        self._strips.clear()
        if current is not None:
            self.cursor = next((i for i, p in enumerate(self.rows) if p.agent_name == current), 0)
        self.cursor = min(self.cursor, max(0, len(self.rows) - 1))
        self.virtual_size = Size(self.size.width, len(self.rows))
        self.refresh()

    @property
    def current(self) -> str | None:
        return self.rows[self.cursor].agent_name if 0 <= self.cursor < len(self.rows) else None

    def refresh_row(self, name: str) -> None:
        """The row of agent *name* changed: its line only is drawn again."""
        if self.is_attached and self.app.screen is not self.screen:
            # under the palette or a modal: a change here would repaint both screens whole; the
            # row is drawn when the list is seen again
            self._strips.clear()
            self._stale = True
            return
        for i, p in enumerate(self.rows):
            if p.agent_name == name:
                old = self._strips.get(i)
                new = self._strips[i] = self._draw(i)
                if old is None or old.text != new.text:  # (an idle agent's row stays as it is)
                    self.refresh_line(i)
                return

    def select(self, name: str) -> None:
        for i, p in enumerate(self.rows):
            if p.agent_name == name:
                self.move_to(i)
                return

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def move_to(self, i: int) -> None:
        i = min(max(0, i), len(self.rows) - 1)
        if i == self.cursor or not self.rows:
            return
        old, self.cursor = self.cursor, i
        for row in (old, i):
            self._strips.pop(row, None)
            self.refresh_line(row)
        self.scroll_to_region(self._row_region(i), animate=False, immediate=True)
        if self.highlight_sink is not None:
            self.highlight_sink(self.rows[i].agent_name)
        else:
            self.post_message(PaneFocused(self.rows[i].agent_name, from_list=True))

    def _row_region(self, i: int) -> Region:
        return Region(0, i, self.size.width, 1)

    def on_mount(self) -> None:
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def _screen_changed(self, screen: object) -> None:
        if screen is self.screen and self._stale:
            self._stale = False
            self.refresh()

    def on_resize(self) -> None:
        self._strips.clear()
        self.virtual_size = Size(self.size.width, len(self.rows))

    # ------------------------------------------------------------------ drawing
    def render_line(self, y: int) -> Strip:
        i = y + self.scroll_offset.y
        if i >= len(self.rows):
            return Strip.blank(self.size.width, self.rich_style)
        strip = self._strips.get(i)
        if strip is None:
            strip = self._strips[i] = self._draw(i)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._strips.clear()

    def _style(self, name: str, cursor: bool) -> Style:
        """The row styles, composed once per style change (each lookup walks the CSS)."""
        if self._styles is None:
            plain = self.rich_style
            here = plain + self.get_component_rich_style("agent-list--cursor")
            self._styles = {}
            for base, at in ((plain, False), (here, True)):
                self._styles[("base", at)] = base
                for part in ("name", "dim", "needs", "spark"):
                    self._styles[(part, at)] = base + self.get_component_rich_style(f"agent-list--{part}")
        return self._styles[(name, cursor)]

    def _draw(self, i: int) -> Strip:
        p = self.rows[i]
        r, a, s, g = p.run, p.attention, p.stats, p.git
        at = i == self.cursor
        base = self._style("base", at)
        dim = self._style("dim", at)
        rates = p.activity.rates(width=SPARK)
        spark = spark_text(rates)
        state = (("● " if a.unseen else "") + a.state.replace("-", " ")) if a is not None else r.state_text
        needs = a is not None and a.state == "needs-input"
        branch = (g.branch if g and g.branch else r.branch) or "-"
        client = (r.spec.client if r.spec and r.spec.client else "") or "-"
        cpu = f"{s.cpu:3.0f}%" if s is not None else "   -"
        rate = rates[-2] if len(rates) > 1 else 0  # (the last whole second)
        segments = [
            Segment("▶ " if i == self.cursor else "  ", base),
            Segment(f"{shown(r.label)[:20]:<20} ", self._style("name", at)),
            Segment(f"{shown(state)[:16]:<16} ", self._style("needs", at) if needs else dim),
            Segment(f"{client[:11]:<11} ", dim),
            Segment(spark, self._style("spark", at)),
            Segment(f" {rate:>6}/s ", base),
            Segment("on ", dim),
            Segment(f"{shown(branch)[:40]:<40} ", base),
            Segment(f"cpu {cpu}", dim),
        ]
        return Strip(segments).adjust_cell_length(self.size.width, base)

    def on_focus(self) -> None:
        self._strips.pop(self.cursor, None)
        self.refresh_line(self.cursor)
        if self.current is not None:
            self.post_message(PaneFocused(self.current, from_list=True))

    def on_blur(self) -> None:
        self._strips.pop(self.cursor, None)
        self.refresh_line(self.cursor)
