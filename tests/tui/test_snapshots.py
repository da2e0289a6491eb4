"""SVG snapshots of the main screen, the announce modal (ok and failing) and the recovery screen."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from agenttui.tui.modals import AnnounceModal
from agenttui.tui.screens import RecoveryScreen
from tests.tui.snapshot_app import demo_app, incident_app

SIZE = (140, 44)


async def _wait_modal(pilot: Pilot[Any]) -> None:
    await pilot.press("a")
    for _ in range(200):
        if isinstance(pilot.app.screen, AnnounceModal):
            break
        await pilot.pause(0.05)
    await pilot.pause()


async def _wait_recovery(pilot: Pilot[Any], tab: str = "stashes") -> None:
    for _ in range(200):
        screen = pilot.app.screen
        if isinstance(screen, RecoveryScreen) and screen.loaded and screen.preview_text:
            break
        await pilot.pause(0.05)
    screen = pilot.app.screen
    assert isinstance(screen, RecoveryScreen)
    screen.action_tab(tab)
    if tab == "branches":
        for _ in range(200):
            if "ahead" in str(screen.query_one("#branch-detail").render()):
                break
            await pilot.pause(0.05)
    await pilot.pause()


def test_main_screen(snap_compare: Any) -> None:
    assert snap_compare(demo_app(), terminal_size=SIZE)


def test_announce_modal(snap_compare: Any) -> None:
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_wait_modal)


def test_announce_modal_violations(snap_compare: Any) -> None:
    suffix = '\n[[agent]]\nname = "shared"\ncommand = ["true"]\nisolation = "none"\n'
    assert snap_compare(demo_app(plan_suffix=suffix), terminal_size=SIZE, run_before=_wait_modal)


@pytest.mark.parametrize("tab", ["stashes", "branches", "worktrees", "trash"])
def test_recovery_tabs(snap_compare: Any, tab: str) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await _wait_recovery(pilot, tab)

    assert snap_compare(incident_app(), terminal_size=SIZE, run_before=before)
