"""The agents' actions on the main screen: stop, pause, shell, tmux window (mixed into MainScreen,
which has the grid, the guard panel and the Supervisor)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agenttui.core.errors import AgentTuiError
from agenttui.core.host import shell


class AgentActions:
    grid: Any
    guard_panel: Any
    sup: Any
    app: Any

    def say(self, text: str, *, error: bool = False) -> None:
        raise NotImplementedError

    def _on_targets(self, op: Callable[[str], str]) -> None:
        """Apply *op* to the highlighted agent, or to the suspect agents of the highlighted alert."""
        p = self.grid.focused_pane()
        for name in [p.agent_name] if p is not None else self.guard_panel.alert_agents():
            self.say(op(name))
            pane = self.grid.pane(name)
            if pane is not None:
                pane.refresh_title()

    def action_restore_worktree(self) -> None:
        self.guard_panel.restore_threatened()

    def action_stop(self) -> None:
        self._on_targets(self.sup.stop)

    def action_pause(self) -> None:
        self._on_targets(self.sup.toggle_pause)

    def action_shell(self) -> None:
        p = self.grid.focused_pane()
        if p is None or p.run.worktree is None or not os.path.isdir(p.run.worktree):
            self.say("no worktree to open a shell in", error=True)
            return
        cwd: Path = p.run.worktree
        if shell.in_tmux():
            self.say(shell.open_tmux_window(cwd, p.agent_name))
            return
        with self.app.suspend():
            shell.run_shell(cwd)

    def action_enter(self) -> None:
        """A tmux-hosted agent: switch to its window (or say how to attach from outside tmux)."""
        p = self.grid.focused_pane()
        if p is None or p.run.tmux is None:
            self.say('enter switches to an agent\'s tmux window (runner = "tmux" agents only)')
            return
        from agenttui.core.host import tmux

        try:
            self.say(tmux.focus(p.run.tmux))
        except AgentTuiError as exc:
            self.say(exc.message, error=True)
