"""The floor under ``bench_keys.py``: a Textual app with no agenttui in it that draws what the
supervisor's list layout draws and answers the same two keys.

    python bench/floor_keys.py N_AGENTS TITLE=HELP...

A header line, a list of N rows (Textual's ``OptionList``), a bordered detail of the highlighted
row whose title is ``▶ wNN`` (as the supervisor's), a footer, Textual's frame rate as the
supervisor sets it (``TEXTUAL_FPS=120``, set by the bench); right / left move the highlight;
ctrl+p opens Textual's command palette with the same command titles the supervisor lists (the
bench passes them).  It watches nothing, samples nothing and draws no activity: run beside the
supervisor under the same load, its key latency is what Python, Textual and the machine's load
cost before agenttui does any work of its own.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static


class Floor(App[None]):
    CSS = """
    #head { height: 1; }
    OptionList { height: 1fr; border: none; }
    #detail { height: 14; border: round $accent; }
    """
    BINDINGS = [Binding("right", "move(1)", "Next"), Binding("left", "move(-1)", "Previous"), Binding("q", "quit")]

    def __init__(self, agents: int, commands: list[str]) -> None:
        super().__init__()
        self.agents, self.commands = agents, [c.partition("=")[::2] for c in commands]

    def compose(self) -> ComposeResult:
        yield Static(f"floor: {self.agents} rows, nothing watched", id="head")
        yield OptionList(*(f"w{i:02d}  ▁▂▃▄▅▆▇█  0 files/s  agents/w{i:02d}" for i in range(self.agents)))
        yield Static("\n".join(f"file-{i}.txt" for i in range(12)), id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0
        self._title(0)

    def _title(self, i: int) -> None:
        self.query_one("#detail", Static).border_title = f"▶ w{i:02d}"

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        i = min(self.agents - 1, max(0, (options.highlighted or 0) + step))
        options.highlighted = i
        self._title(i)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text in self.commands:
            yield SystemCommand(title, help_text, lambda: None)


if __name__ == "__main__":
    Floor(int(sys.argv[1]), sys.argv[2:]).run()
