"""Notifications on the edges of agent state (to needs-input, to done or failed): at most one per
agent a minute, none for the agent in front of the user.  Inside tmux a ``display-message``; the
plan's ``[notify] command`` (run without a shell, ``AGENTTUI_AGENT``, ``AGENTTUI_STATE`` and
``AGENTTUI_REASON`` in its environment); a desktop notification through the terminal itself where
it has one (:func:`desktop_sequence`: OSC 9 or OSC 777, chosen from the terminal the user runs, or
the plan's ``[notify] desktop``).  The UI rings the bell and writes that sequence itself."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from typing import Any

EDGES = {"needs-input", "done", "failed"}
PER_AGENT = 60.0  # s between two notifications for one agent


def _run(command: list[str], env: dict[str, str]) -> None:
    """The user's command, waited for on its own thread (so it leaves no zombie)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=60)


OSC9_TERMINALS = ("iTerm.app", "WezTerm", "ghostty", "WarpTerminal")  # TERM_PROGRAM values
OSC777_TERMS = ("foot", "rxvt", "xterm-ghostty", "contour")  # TERM prefixes


def desktop_kind(env: dict[str, str] | os._Environ[str], setting: str = "auto") -> str | None:
    """Which desktop notification the user's terminal shows: ``osc9``, ``osc777`` or None.  Unknown
    terminals get none (an escape they do not know can print as garbage); inside tmux only when
    set by hand (tmux passes it on with ``allow-passthrough on``; display-message is used anyway)."""
    if setting in ("osc9", "osc777"):
        return setting
    if setting == "off" or env.get("TMUX"):
        return None
    if env.get("TERM_PROGRAM") in OSC9_TERMINALS or env.get("WT_SESSION") or env.get("ConEmuPID"):
        return "osc9"
    if env.get("TERM", "").startswith(OSC777_TERMS) or env.get("VTE_VERSION"):
        return "osc777"
    return None


def desktop_sequence(kind: str | None, title: str, body: str, *, tmux: bool = False) -> str | None:
    """The escape sequence of a desktop notification (control characters taken out of the text)."""
    if kind is None:
        return None
    clean = "".join(c for c in body if c.isprintable() and c != ";")[:200]
    seq = f"\x1b]9;{title}: {clean}\x07" if kind == "osc9" else f"\x1b]777;notify;{title};{clean}\x07"
    return f"\x1bPtmux;{seq.replace(chr(27), chr(27) * 2)}\x1b\\" if tmux else seq


def trusted(paths: Any, command: Sequence[str] | None) -> bool:
    """Whether the plan's ``[notify] command`` may run: only once the user confirmed an announcement
    of a plan carrying exactly this command (the journal's "confirm" record).  A cloned repository's
    plan is not the user's: like direnv's ``allow``, its command runs nothing until confirmed once."""
    if not command:
        return False
    from agenttui.core import journal

    want = list(command)
    return any(r.get("notify") == want for r in journal.read(paths, ("confirm", "serialize")))


class Notifier:
    def __init__(
        self, command: Sequence[str] | None = None, *, per_agent: float = PER_AGENT, desktop: str = "auto"
    ) -> None:
        self.command = list(command) if command else None
        self.desktop = desktop
        self.sequence: str | None = None  # the last edge's desktop notification, for the UI to write
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
        self.sequence = desktop_sequence(
            desktop_kind(os.environ, self.desktop),
            "agenttui",
            text.removeprefix("agenttui: "),
            tmux=bool(os.environ.get("TMUX")),
        )
        if os.environ.get("TMUX") and shutil.which("tmux"):
            from agenttui.core.host.tmux import literal, tmux

            # (display-message expands formats: "#(cmd)" in an agent's name or reason would run cmd)
            tmux("display-message", literal(text[:200]), check=False)
        if self.command:
            env = {**os.environ, "AGENTTUI_AGENT": agent, "AGENTTUI_STATE": state, "AGENTTUI_REASON": reason}
            threading.Thread(target=_run, args=(self.command, env), name="agenttui-notify", daemon=True).start()
        return True
