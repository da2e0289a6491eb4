"""Running the supervisor for real: the garbage collector paced between keys, a crash turned into
exit 3 (the App wrote the traceback's log and printed the one line naming it)."""

from __future__ import annotations

from pathlib import Path

from agenttui.base.exitcodes import CRASH as EXIT_CRASH
from agenttui.core.git.models import RepoPaths
from agenttui.tui.app import AgentTuiApp
from agenttui.tui.collector import CollectorPacer

TICK = 0.5  # the collector pacer looks for a due full collection this often (and after input)


def run_app(paths: RepoPaths, plan_path: Path | None, *, recover: bool = False, unsafe_demo: bool = False) -> int:
    app = AgentTuiApp(paths, plan_path, recover=recover, unsafe_demo=unsafe_demo)
    pacer = app.collector = CollectorPacer()  # the real process only: tests share their heap
    app.call_after_refresh(
        lambda: (
            app.set_timer(1.0, pacer.start),  # once the first screen is up
            app.set_interval(TICK, pacer.tick),
        )
    )
    result = app.run()
    if app.return_code:  # a crash: Textual printed our one line on the way out
        return EXIT_CRASH
    return int(result or 0)
