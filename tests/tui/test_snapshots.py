"""SVG snapshots of the main screen, the announce modal (ok and failing) and the recovery screen."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from agenttui.tui.screens.modals import AnnounceModal
from agenttui.tui.screens.recovery import RecoveryScreen
from tests.tui.snapshot_app import demo_app, incident_app

SIZE = (140, 44)


async def _until(pilot: Pilot[Any], cond: Any, what: str) -> None:
    """Wait for *cond* (10 s at most): a snapshot taken before its screen is ready fails here, with
    what it waited for, instead of comparing a half-drawn screen."""
    for _ in range(200):
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"snapshot: gave up waiting for {what}")


async def _wait_modal(pilot: Pilot[Any]) -> None:
    await pilot.press("a")
    await _until(pilot, lambda: isinstance(pilot.app.screen, AnnounceModal), "the announce modal")
    await pilot.pause()


async def _wait_recovery(pilot: Pilot[Any], tab: str = "stashes") -> None:
    def ready() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, RecoveryScreen) and screen.loaded and bool(screen.preview_text)

    await _until(pilot, ready, "the recovery screen and its stash preview")
    screen = pilot.app.screen
    assert isinstance(screen, RecoveryScreen)
    screen.action_tab(tab)
    if tab == "branches":
        await _until(pilot, lambda: "ahead" in str(screen.query_one("#branch-detail").render()), "the branch detail")
    if tab == "agents":  # the highlighted agent's detail is filled on its highlight: wait for it
        await _until(pilot, lambda: "salvage/" in str(screen.query_one("#agent-detail").render()), "the agent detail")
    await pilot.pause()


def test_main_screen(snap_compare: Any) -> None:
    assert snap_compare(demo_app(), terminal_size=SIZE)


def test_main_screen_as_a_list(snap_compare: Any) -> None:
    """The list layout (`l`; the default from 9 agents): one row per agent, the highlighted one's pane."""

    async def before(pilot: Pilot[Any]) -> None:
        await _until(pilot, lambda: len(pilot.app.main_screen.grid.panes) == 4, "the panes")
        await pilot.press("l")
        grid = pilot.app.main_screen.grid
        await _until(pilot, lambda: grid.has_class("-list") and grid.highlighted is not None, "the list layout")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=before)


def test_announce_modal(snap_compare: Any) -> None:
    assert snap_compare(demo_app(), terminal_size=SIZE, run_before=_wait_modal)


def test_announce_modal_violations(snap_compare: Any) -> None:
    suffix = '\n[[agent]]\nname = "shared"\ncommand = ["true"]\nisolation = "none"\n'
    assert snap_compare(demo_app(plan_suffix=suffix), terminal_size=SIZE, run_before=_wait_modal)


@pytest.mark.parametrize("tab", ["stashes", "branches", "worktrees", "trash", "agents"])
def test_recovery_tabs(snap_compare: Any, tab: str) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await _wait_recovery(pilot, tab)

    assert snap_compare(incident_app(), terminal_size=SIZE, run_before=before)


def test_alert_feed(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from agenttui.core.guard.main_checkout import Alert
    from agenttui.tui.messages import GuardAlerts

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    t0 = 1767272400.0
    alerts = [
        Alert(
            1,
            t0,
            "files",
            "14 files changed in src/auth in 0.4 s",
            paths=tuple(f"src/auth/f{i}.py" for i in range(14)),
            suspects=("agent 'auth' (pid 4242, git) has its cwd in the main checkout",),
            agents=("auth",),
        ),
        Alert(2, t0 + 1, "switch", "branch switched main → feature-x (checkout: moving from main to feature-x)"),
        Alert(3, t0 + 2, "stash-push", "stash pushed: On feature-x: others-work-again"),
        Alert(4, t0 + 3, "worktree-add", "worktree added that no plan dispatch owns: /tmp/agent-tmp"),
    ]

    async def before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        app.main_screen.guard_panel.post_message(GuardAlerts(alerts, fresh=False))
        await pilot.pause()

    try:
        assert snap_compare(demo_app(), terminal_size=SIZE, run_before=before)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
