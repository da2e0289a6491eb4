"""The footer of key hints, rebuilt only when what it shows changes."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer

from agenttui.tui.textual_compat import footer_ready, forget_closed_watchers


class QuietFooter(Footer):
    """A Footer that rebuilds only when what it shows changes.

    Textual's Footer recomposes on every focus change; on the supervisor that meant a relayout of
    the whole screen per arrow key (about 40 a second while keys repeat, measured by bench_keys)."""

    _shown: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen is not self.app.screen:
            return  # under another screen: checked again when ours is back (Textual refreshes then)
        try:
            shown = tuple(
                (key, b.action, b.description, enabled, tooltip)
                for key, (_node, b, enabled, tooltip) in screen.active_bindings.items()
                if b.show or key == self.app.COMMAND_PALETTE_BINDING
            )
        except Exception:  # noqa: BLE001 - never let an optimisation break the footer
            shown = None
        if shown is not None and shown == self._shown and footer_ready(self):
            return
        self._shown = shown
        forget_closed_watchers(self)  # Textual leaked widgets on every rebuild (docs/MEASURED.md)
        super().bindings_changed(screen)
