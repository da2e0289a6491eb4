"""UI test helpers: wait on the app (never a fixed sleep), build apps, drive the gate and the recovery screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from agenttui.core.git import repo as gitrepo
from agenttui.tui.app import AgentTuiApp
from agenttui.tui.screens.modals import AnnounceModal, ConfirmModal
from agenttui.tui.screens.recovery import RecoveryScreen
from agenttui.tui.widgets.pane import AgentPane


async def until(
    pilot: Pilot[object], cond: Callable[[], object], timeout: float = 10.0, what: str = "condition"
) -> None:
    """Let the app run until *cond* holds (deadline, no fixed sleeps)."""
    import time

    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.05)


def make_app(repo: Path, *, live: bool = False) -> AgentTuiApp:
    paths = gitrepo.open_repo(repo)
    plan = repo / "agenttui.toml"
    return AgentTuiApp(paths, plan if plan.exists() else None, live=live)


SLEEPERS = """
[[agent]]
name = "auth"
command = ["sh", "-c", "echo started $AGENTTUI_AGENT; echo $AGENTTUI_AGENT > who.txt; exec sleep 60"]

[[agent]]
name = "api"
command = "echo started api; exec sleep 60"
"""


def fire_enabled(app: AgentTuiApp) -> bool:
    return app.main_screen.check_action("fire", ()) is True


async def announce_and_confirm(pilot: Pilot[object], app: AgentTuiApp, key: str = "y") -> None:
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, AnnounceModal), what="announce modal")
    await pilot.press(key)
    await until(pilot, lambda: not isinstance(app.screen, AnnounceModal), what="modal closed")


def pane(app: AgentTuiApp, name: str) -> AgentPane:
    p = app.main_screen.grid.pane(name)
    assert p is not None, f"no pane {name}"
    return p


def recovery_screen(app: AgentTuiApp) -> RecoveryScreen:
    for s in app.screen_stack:
        if isinstance(s, RecoveryScreen):
            return s
    raise AssertionError("no recovery screen")


async def loaded(pilot: Any, app: AgentTuiApp) -> RecoveryScreen:
    await until(
        pilot,
        lambda: any(isinstance(s, RecoveryScreen) and s.loaded and not s.busy for s in app.screen_stack),
        what="recovery data",
    )
    return recovery_screen(app)


async def confirm(pilot: Any, app: AgentTuiApp, key: str = "y") -> None:
    await until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirmation modal")
    recovery_screen(app).mark = recovery_screen(app).loads  # type: ignore[attr-defined]
    modal = app.screen
    await pilot.press(key)
    await until(pilot, lambda: app.screen is not modal, what="modal closed")


async def settle(pilot: Any, screen: RecoveryScreen) -> None:
    """Wait until the operation confirmed last has run and the lists were reloaded."""
    mark = screen.mark  # type: ignore[attr-defined]
    await until(pilot, lambda: screen.loads > mark and not screen.busy, what="operation and reload")
