"""The supervisor app: wiring only.

It builds the :class:`~agenttui.core.supervisor.Supervisor`, installs the main screen (and the
recovery screen for ``agenttui recover``), adds the main screen's actions to the command palette,
and is the one place worker failures are handled: a failed worker is journaled, shown, and its
owner's loop re-armed (nothing dies silently).  A crash writes its traceback to a log and exits 3
with one line naming it.  Which thread touches what: ``docs/THREADS.md``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ..core.models import RepoPaths
from ..core.supervisor import Supervisor
from . import actions, textual_compat
from .collector import CollectorPacer
from .messages import WorkerFailed
from .screens.main import MainScreen
from .widgets.pane import AgentPane

textual_compat.apply()

EXIT_CRASH = 3
INPUT_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)


class AgentTuiApp(App[int]):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses live elsewhere
    PANE = AgentPane  # the pane class (benchmarks subclass it to time drawing)
    TITLE = "agenttui"
    BINDINGS = [Binding("q", "quit", "Quit")]  # on every screen (the main screen lists it in its place)

    def __init__(self, paths: RepoPaths, plan_path: Path | None, *, recover: bool = False,
                 live: bool = True, now: float | None = None, unsafe_demo: bool = False) -> None:
        super().__init__()
        self.paths = paths
        self.sup = Supervisor(paths, plan_path)
        self.start_in_recovery = recover
        self.now = now  # pinned clock for snapshot tests
        self.live = live  # False in snapshot tests: no timers, watchers or samplers
        self.unsafe_demo = unsafe_demo
        self.collector: CollectorPacer | None = None
        self._collect_handle: asyncio.TimerHandle | None = None
        self.crash_log: Path | None = None
        self.crash_line: str | None = None
        self.worker_failures: list[str] = []

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(self.sup, live=self.live, unsafe_demo=self.unsafe_demo, pane_class=self.PANE)

    @property
    def main_screen(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def on_mount(self) -> None:
        if self.start_in_recovery:
            from .screens.recovery import RecoveryScreen

            self.push_screen(RecoveryScreen(self.paths, now=self.now))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            yield from actions.commands(actions.MAIN, screen)

    async def on_event(self, event: events.Event) -> None:
        if self.collector is not None and isinstance(event, INPUT_EVENTS) and not event.is_forwarded:
            self.collector.input()  # a due full collection waits until input is quiet, then runs
            if self._collect_handle is not None:
                self._collect_handle.cancel()
            self._collect_handle = asyncio.get_running_loop().call_later(self.collector.quiet, self.collector.tick)
        await super().on_event(event)

    # ---------------------------------------------------------------- failures
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.on_worker_failed(WorkerFailed(event.worker))

    def on_worker_failed(self, msg: WorkerFailed) -> None:
        """The one handler: journal it, show it, and re-arm the owner's loop (``rearm(group)``)."""
        worker = msg.worker
        error = worker.error
        line = f"background job '{worker.group}' failed: {type(error).__name__}: {error}"
        self.worker_failures.append(line)
        tb = "".join(traceback.format_exception(error)) if isinstance(error, BaseException) else line
        log = write_crash_log(self.paths, tb)
        self.sup.journal("worker-failed", group=worker.group, name=worker.name, error=str(error), log=str(log))
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
        self.crash_log = write_crash_log(self.paths, traceback.format_exc())
        self.panic(Text(f"agenttui: internal error: {self.crash_line} (traceback in {self.crash_log})"))


def write_crash_log(paths: RepoPaths, text: str) -> Path:
    """Append a traceback to ``<git-common-dir>/agenttui/crash.log`` (else a temporary file)."""
    import tempfile

    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    for target in (paths.agenttui_dir / "crash.log", Path(tempfile.gettempdir()) / f"agenttui-crash-{os.getpid()}.log"):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "a", encoding="utf-8") as f:
                f.write(f"--- {stamp} pid {os.getpid()}\n{text}\n")
            return target
        except OSError:
            continue
    return Path("(no writable place for the log)")


def run_app(paths: RepoPaths, plan_path: Path | None, *, recover: bool = False,
            unsafe_demo: bool = False) -> int:
    app = AgentTuiApp(paths, plan_path, recover=recover, unsafe_demo=unsafe_demo)
    pacer = app.collector = CollectorPacer()  # the real process only: tests share their heap
    app.call_after_refresh(lambda: app.set_timer(1.0, pacer.start))  # once the first screen is up
    result = app.run()
    if app.return_code:  # a crash: Textual printed our one line on the way out
        return EXIT_CRASH
    return int(result or 0)
