"""The recovery screen and its tabs (one module each)."""

from agenttui.tui.screens.recovery.screen import MARK, TABS, RecoveryScreen

__all__ = ["MARK", "TABS", "RecoveryScreen"]
