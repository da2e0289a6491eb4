"""Shared helpers of the UI tests: wait on the app (never a fixed sleep), build apps, drive the gate."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from agenttui.tui.app import AgentTuiApp


@pytest.fixture
def cleanup_agents() -> Iterator[list[AgentTuiApp]]:
    apps: list[AgentTuiApp] = []
    yield apps
    for app in apps:
        for run in app.sup.runs.values():
            if run.popen is not None and run.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(run.popen.pid, 9)
                run.popen.wait(5)
