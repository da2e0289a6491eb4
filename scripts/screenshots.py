"""Regenerate the SVG screenshots in screenshots/ from the real app.

    python scripts/screenshots.py

Each screen is driven with Textual's pilot on a demo repository (real git, real processes);
the "running" capture fires the four demo agents and waits until their panes show activity.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402

from agenttui.tui.app import AgentTuiApp  # noqa: E402
from agenttui.tui.screens.modals import AnnounceModal  # noqa: E402
from agenttui.tui.screens.recovery import RecoveryScreen  # noqa: E402
from tests.tui.snapshot_app import demo_app, incident_app  # noqa: E402

OUT = ROOT / "screenshots"
SIZE = (150, 46)


async def until(pilot: Pilot[object], cond: Callable[[], object], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not cond() and time.monotonic() < deadline:
        await pilot.pause(0.05)


async def shoot(app: AgentTuiApp, name: str, steps: Callable[[Pilot[object]], object] | None = None) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        if steps is not None:
            await steps(pilot)  # type: ignore[misc]
        await pilot.pause()
        path = app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
        print(path)
        for run in app.sup.runs.values():
            if run.popen is not None and run.popen.poll() is None:
                os.killpg(run.popen.pid, 9)


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    await shoot(demo_app("shop"), "main-planned")

    async def modal(pilot: Pilot[object]) -> None:
        await pilot.press("a")
        await until(pilot, lambda: isinstance(pilot.app.screen, AnnounceModal))

    await shoot(demo_app("shop"), "announce-modal", modal)
    suffix = '\n[[agent]]\nname = "shared"\ncommand = ["true"]\nisolation = "none"\n'
    await shoot(demo_app("shop", plan_suffix=suffix), "announce-violations", modal)

    async def running(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, AgentTuiApp)
        await modal(pilot)
        await pilot.press("y")
        await pilot.pause(0.2)
        await pilot.press("f")
        await until(
            pilot,
            lambda: all(len(p.activity.latest) >= 3 and p.git is not None for p in app.main_screen.grid.panes),
            timeout=30,
        )
        await pilot.pause(1.0)

    await shoot(demo_app("shop", live=True), "main-running", running)

    async def as_list(pilot: Pilot[object]) -> None:  # the layout from 9 agents on (here: l)
        await running(pilot)
        await pilot.press("l")
        await until(pilot, lambda: pilot.app.main_screen.grid.has_class("-list"))  # type: ignore[attr-defined]
        await pilot.press("down")
        await pilot.pause(1.0)

    await shoot(demo_app("shop", live=True), "main-running-list", as_list)

    for tab in ("stashes", "branches", "worktrees", "trash"):

        async def recovery(pilot: Pilot[object], tab: str = tab) -> None:
            await until(
                pilot,
                lambda: (
                    isinstance(pilot.app.screen, RecoveryScreen)
                    and pilot.app.screen.loaded
                    and bool(pilot.app.screen.preview_text)
                ),
            )
            screen = pilot.app.screen
            assert isinstance(screen, RecoveryScreen)
            screen.action_tab(tab)
            await pilot.pause(0.3)

        await shoot(incident_app(), f"recovery-{tab}", recovery)


if __name__ == "__main__":
    asyncio.run(main())
