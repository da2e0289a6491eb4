"""The guard in the app: its own watcher on the main checkout, the alert feed, the alert modal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

from ..core.guard import Alert

if TYPE_CHECKING:
    from .app import AgentTuiApp

MAX_ALERTS = 200
POLL = 2.0


class GuardAlerts(Message):
    """New or updated alerts (a coalesced burst keeps its id)."""

    def __init__(self, alerts: list[Alert], *, fresh: bool = True) -> None:
        super().__init__()
        self.alerts = alerts
        self.fresh = fresh


class AlertFeed(OptionList):
    """Newest first; Enter expands an alert to its paths and suspects."""

    BINDINGS = [Binding("enter", "expand", "Details", show=False)]

    def action_expand(self) -> None:
        app: AgentTuiApp = self.app  # type: ignore[assignment]
        alert = app.highlighted_alert()
        if alert is not None:
            app.push_screen(AlertModal(alert))


class AlertModal(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close")]

    def __init__(self, alert: Alert) -> None:
        super().__init__(classes="alert-modal")
        self.alert = alert

    def compose(self) -> ComposeResult:
        a = self.alert
        with Vertical(id="alert-box"):
            yield Static(Text(a.line(), style="bold"))
            body = [*(f"  {p}" for p in a.paths[:500])]
            if len(a.paths) > 500:
                body.append(f"  … {len(a.paths) - 500} more")
            if a.suspects:
                body += ["", "suspects:", *(f"  {s}" for s in a.suspects)]
            with VerticalScroll(id="alert-body"):
                yield Static(Text("\n".join(body) or "(no paths)"))
            yield Static(Text.from_markup("[b]Esc[/b] close — in the feed, [b]p[/b] pauses and "
                                          "[b]s[/b] stops the suspect agents"), classes="hint")

    async def action_dismiss(self, result: Any = None) -> None:
        self.dismiss(None)
