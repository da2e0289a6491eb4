"""The floor under ``agenttui recover``'s first frame: a Textual app with no agenttui in it.

    python bench/floor_recovery.py widgets|static [--headless]

``widgets``: the widgets the recovery screen composes (a TabbedContent of five DataTable panes,
an Input, a Footer) with the newest stash's row ("stash 999") in the first table; ``static``:
one ``Static`` (the framework's minimum).  With ``--headless`` it stamps the wall clock at each
phase, exits after its first frame and prints the stamps as JSON (``bench_first_frame.py``);
without, it runs in the terminal until killed (``bench_startup.py`` times it to "stash 999" on
the screen, as it times ``agenttui recover`` and lazygit).
"""

import json
import sys
import time

T = [("interpreter up", time.perf_counter())]
import textual.app  # noqa: E402
from textual.containers import Horizontal, VerticalScroll  # noqa: E402
from textual.widgets import DataTable, Footer, Input, Static, TabbedContent, TabPane  # noqa: E402

T.append(("import textual.app (+ the widgets)", time.perf_counter()))
WIDGETS = sys.argv[1] == "widgets"


class Floor(textual.app.App[None]):
    def compose(self) -> textual.app.ComposeResult:
        yield Static("Recovery")
        if not WIDGETS:
            yield Static("stash 999")
            return
        with TabbedContent(initial="p0"):
            for i in range(5):
                with TabPane(f"Tab {i}", id=f"p{i}"), Horizontal():
                    yield DataTable(id=f"t{i}")
                    with VerticalScroll():
                        yield Static("preview")
        yield Input()
        yield Footer()

    def on_mount(self) -> None:
        if WIDGETS:
            for i in range(5):
                self.query_one(f"#t{i}", DataTable).add_columns("stash", "age", "branch", "files", "message")
            self.query_one("#t0", DataTable).add_row("0", "1m", "main", "1", "stash 999")


if __name__ == "__main__":
    app = Floor()
    T.append(("App built", time.perf_counter()))
    if "--headless" in sys.argv:
        app.call_after_refresh(lambda: (T.append(("first frame", time.perf_counter())), app.exit()))
        app.run(headless=True)
        print(json.dumps(T))
    else:
        app.run()
