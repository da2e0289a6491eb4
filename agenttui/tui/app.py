"""The supervisor app: wiring only.

It builds the :class:`~agenttui.core.dispatch.supervisor.Supervisor`, installs the main screen (and the
recovery screen for ``agenttui recover``), adds the main screen's actions to the command palette,
and is the one place worker failures are handled: a failed worker is journaled, shown, and its
owner's loop re-armed (nothing dies silently).  A crash writes its traceback to a log and exits 3
with one line naming it.  Which thread touches what: ``docs/THREADS.md``.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from agenttui.core import journal
from agenttui.core.errors import shown
from agenttui.core.git.models import RepoPaths
from agenttui.tui import actions, textual_compat
from agenttui.tui.messages import BackToMain, Notice, WorkerFailed

if TYPE_CHECKING:  # imported when first needed: `agenttui recover` shows stashes without them
    from agenttui.core.dispatch.supervisor import Supervisor
    from agenttui.tui.screens.main import MainScreen
    from agenttui.tui.widgets.guard_panel import GuardPanel
    from agenttui.tui.widgets.pane import AgentPane

textual_compat.apply()

INPUT_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)


class AgentTuiApp(App[int]):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses live elsewhere
    PANE: type[AgentPane] | None = None  # the pane class (benchmarks subclass it to time drawing)
    GUARD_PANEL: type[GuardPanel] | None = None  # the guard panel class (bench_guard times alerts)
    TITLE = "agenttui"
    BINDINGS = [Binding("q", "quit", "Quit")]  # on every screen (the main screen lists it in its place)

    # fmt: off
    def __init__(self, paths: RepoPaths, plan_path: Path | None, *, recover: bool = False,
                 live: bool = True, now: float | None = None, unsafe_demo: bool = False) -> None:
        # fmt: on
        super().__init__()
        self.paths = paths
        self.plan_path = plan_path
        self.start_in_recovery = recover
        self.now = now  # pinned clock for snapshot tests
        self.live = live  # False in snapshot tests: no timers, watchers or samplers
        self.unsafe_demo = unsafe_demo
        self.collector: Any = None  # the CollectorPacer of the real process (run.py)
        self.crash_log: Path | None = None
        self.crash_line: str | None = None
        self.worker_failures: list[str] = []

    @cached_property
    def sup(self) -> Supervisor:
        from agenttui.core.dispatch.supervisor import Supervisor

        return Supervisor(self.paths, self.plan_path)

    def get_default_screen(self) -> Screen[Any]:
        if self.start_in_recovery:  # first frame without the supervisor's screen, workers or imports
            from agenttui.core.recovery.listing import read_ahead

            ahead = read_ahead(self.paths)  # git lists the stashes while the screen's modules load
            from agenttui.tui.screens.recovery import RecoveryScreen

            return RecoveryScreen(self.paths, now=self.now, read_ahead=ahead)
        return self._new_main()

    def _new_main(self) -> MainScreen:
        from agenttui.tui.screens.main import MainScreen
        from agenttui.tui.widgets.guard_panel import GuardPanel
        from agenttui.tui.widgets.pane import AgentPane

        return MainScreen(self.sup, live=self.live, unsafe_demo=self.unsafe_demo,  # fmt: skip
                          pane_class=self.PANE or AgentPane, panel_class=self.GUARD_PANEL or GuardPanel)

    def _main(self) -> MainScreen | None:
        from agenttui.tui.screens.main import MainScreen

        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    @property
    def main_screen(self) -> MainScreen:
        screen = self._main()
        assert screen is not None, "the main screen is not up (agenttui recover shows it after Esc)"
        return screen

    def on_notice(self, msg: Notice) -> None:
        """A notice from a screen above the main one (review, recovery): the main screen says it."""
        main = self._main()
        if main is not None:
            main.say(msg.text, error=msg.error)
        else:
            self.notify(shown(msg.text, lines=True), severity="error" if msg.error else "information", markup=False)

    def on_back_to_main(self, _msg: BackToMain) -> None:
        """Leaving the recovery screen it started with: the main screen goes on top of it (Textual
        cannot switch a default screen away)."""
        self.push_screen(self._new_main())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if actions.is_main(screen):
            yield from actions.commands(actions.MAIN, screen)

    async def on_event(self, event: events.Event) -> None:
        if self.collector is not None and isinstance(event, INPUT_EVENTS) and not event.is_forwarded:
            self.collector.on_input()  # a due full collection waits until input is quiet, then runs
        await super().on_event(event)

    # ---------------------------------------------------------------- failures
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.on_worker_failed(WorkerFailed(event.worker))

    def on_worker_failed(self, msg: WorkerFailed) -> None:
        """The one handler: journal it, show it, and re-arm the owner's loop (``rearm(group)``)."""
        worker, error = msg.worker, msg.worker.error
        line = f"background job '{worker.group}' failed: {type(error).__name__}: {error}"
        self.worker_failures.append(line)
        log = journal.record_failure(self.paths, error, group=worker.group, name=worker.name)
        rearm = getattr(worker.node, "rearm", None)
        restarted = ""
        if callable(rearm) and self.live:
            rearm(worker.group)
            restarted = " — restarted"
        self.notify(f"{line}{restarted} (traceback in {log})", severity="error", timeout=10, markup=False)

    def _fatal_error(self) -> None:
        """An unhandled exception: the traceback goes to a log file, the terminal gets one line
        naming it, and the process exits 3 (Textual's default prints a screenful and exits 0).
        Textual calls this inside the ``except`` that caught the error (textual_compat, 6)."""
        exc = sys.exc_info()[1]
        self.crash_line = f"{type(exc).__name__}: {exc}".splitlines()[0] if exc is not None else "unknown error"
        self.crash_log = journal.write_crash_log(self.paths, traceback.format_exc())
        self.panic(Text(f"agenttui: internal error: {self.crash_line} (traceback in {self.crash_log})"))
