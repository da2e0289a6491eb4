"""Notifications on the edges of agent state (to needs-input, to done or failed): at most one per
agent a minute, none for the agent in front of the user.  Inside tmux a ``display-message``; the
plan's ``[notify] command`` (run without a shell, ``AGENTTUI_AGENT``, ``AGENTTUI_STATE`` and
``AGENTTUI_REASON`` in its environment).  The UI rings the terminal bell itself."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence

EDGES = {"needs-input", "done", "failed"}
PER_AGENT = 60.0  # s between two notifications for one agent


def _run(command: list[str], env: dict[str, str]) -> None:
    """The user's command, waited for on its own thread (so it leaves no zombie)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=60)


class Notifier:
    def __init__(self, command: Sequence[str] | None = None, *, per_agent: float = PER_AGENT) -> None:
        self.command = list(command) if command else None
        self.per_agent = per_agent
        self._last: dict[str, float] = {}
        self.sent: list[tuple[str, str]] = []  # (agent, state), newest last

    def edge(self, agent: str, state: str, reason: str, *, focused: bool = False, now: float | None = None) -> bool:
        """An agent changed state: notify when it is an edge worth it.  True when notified."""
        now = time.time() if now is None else now
        if state not in EDGES or focused or now - self._last.get(agent, -1e9) < self.per_agent:
            return False
        self._last[agent] = now
        self.sent.append((agent, state))
        text = f"agenttui: {agent} {state.replace('-', ' ')}" + (f" — {reason}" if reason else "")
        if os.environ.get("TMUX") and shutil.which("tmux"):
            subprocess.run(["tmux", "display-message", text[:200]], capture_output=True, check=False)
        if self.command:
            env = {**os.environ, "AGENTTUI_AGENT": agent, "AGENTTUI_STATE": state, "AGENTTUI_REASON": reason}
            threading.Thread(target=_run, args=(self.command, env), name="agenttui-notify", daemon=True).start()
        return True
