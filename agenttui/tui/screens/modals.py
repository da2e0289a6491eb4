"""The modal screens: the announcement, the conflict forecast, a confirmation, an alert's details."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from agenttui.core.errors import shown
from agenttui.tui.format import short_path
from agenttui.tui.literal import fmt, plain

if TYPE_CHECKING:  # types only: `agenttui recover` imports this module for its confirmation, not these
    from agenttui.core.dispatch.check import Verdict
    from agenttui.core.dispatch.plan import Plan
    from agenttui.core.guard.alerts import Alert


class AnnounceModal(ModalScreen[str | None]):
    """Dismisses with "confirm", "serial" or None."""

    BINDINGS = [
        Binding("y,enter", "confirm", "Confirm", priority=True),
        Binding("s", "serial", "Serialize"),
        Binding("n,escape", "cancel", "Cancel"),
    ]

    def __init__(self, plan: Plan, verdict: Verdict) -> None:
        super().__init__(id="announce")
        self.plan = plan
        self.verdict = verdict

    def compose(self) -> ComposeResult:
        v = self.verdict
        with Vertical(id="announce-box"):
            yield Static("[b]Isolation check[/b]", id="announce-title")
            yield DataTable(id="dispatches", cursor_type="row", zebra_stripes=True)
            if v.ok:
                yield Static(fmt("[b]$a[/b]", a=v.announcement or ""), id="sentence", classes="ok")
                yield Static("[b]y[/b]/Enter confirm and enable fire   [b]n[/b]/Esc cancel", classes="hint")
            else:
                yield Static(
                    fmt("[b]Cannot be announced:[/b]\n$lines", lines="\n".join(f"• {x.line}" for x in v.violations)),
                    id="sentence",
                    classes="bad",
                )
                if v.can_serialize:
                    yield Static(
                        "Only isolation is missing: [b]s[/b] serializes — the dispatches run one "
                        "after another in the main checkout.   [b]n[/b]/Esc cancel",
                        classes="hint",
                    )
                else:
                    yield Static(
                        "Fix the plan or the repository, then announce again.   [b]n[/b]/Esc close", classes="hint"
                    )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("agent", "writes", "worktree", "branch", "verdict")
        by_name = {a.name: a for a in self.plan.agents}
        for t in self.verdict.targets:
            spec = by_name.get(t.name)
            problems = self.verdict.problems_for(t.name)
            n = len(problems)
            verdict = "ok" if not n else f"✗ {n} problem{'s' if n > 1 else ''}, see below"
            where = short_path(t.path) if t.isolated else "(main checkout)"
            table.add_row(
                *map(plain, (t.name, "yes" if spec and spec.writes else "no", where, t.branch or "-", verdict))
            )
        table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return True if self.verdict.ok else None
        if action == "serial":
            return True if self.verdict.can_serialize else None
        return True

    def action_confirm(self) -> None:
        if self.verdict.ok:
            self.dismiss("confirm")

    def action_serial(self) -> None:
        if self.verdict.can_serialize:
            self.dismiss("serial")

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConflictModal(ModalScreen[None]):
    """Predicted merge conflicts: every pair of agent branches, and each against its base."""

    BINDINGS = [Binding("escape,enter,q,m", "close", "Close")]

    def __init__(self, names: list[str], cells: dict[tuple[str, str], str], details: list[str]) -> None:
        super().__init__(id="conflicts")
        self.names = names
        self.cells = cells
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(id="announce-box"):
            yield Static(
                "[b]Predicted merge conflicts[/b] [dim](git merge-tree: no checkout touched)[/]", id="announce-title"
            )
            yield DataTable(id="matrix", cursor_type="cell")
            body = Content("\n".join(self.details[:40]) or "no conflicts predicted")
            yield Static(body, id="sentence")
            yield Static("[b]Esc[/b] close", classes="hint")

    def on_mount(self) -> None:
        t = self.query_one(DataTable)
        t.add_columns("", *map(plain, self.names), "base")
        for a in self.names:
            row = [self.cells.get((a, b), self.cells.get((b, a), "")) if a != b else "·" for b in self.names]
            t.add_row(*map(plain, (a, *row, self.cells.get((a, "base"), "-"))))

    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """Lists exactly what will happen, row by row.  ``y`` confirms; any other key cancels."""

    def __init__(self, title: str, rows: list[str], note: str = "") -> None:
        super().__init__(classes="confirm")
        self.title_text = title
        self.rows = rows
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(Text(shown(self.title_text), style="bold"), id="confirm-title")
            with VerticalScroll(id="confirm-rows"):
                yield Static(Text("\n".join(f"  {shown(r)}" for r in self.rows)))
            if self.note:
                yield Static(Text(shown(self.note, lines=True)), classes="hint")
            yield Static(Text.from_markup("[b]y[/b] confirm   any other key cancels"), classes="hint")

    def on_key(self, event: Any) -> None:
        event.stop()
        event.prevent_default()
        self.dismiss(event.key == "y")


class AlertModal(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close")]

    def __init__(self, alert: Alert) -> None:
        super().__init__(classes="alert-modal")
        self.alert = alert

    def compose(self) -> ComposeResult:
        a = self.alert
        with Vertical(id="alert-box"):
            yield Static(Text(shown(a.line()), style="bold"))
            body = [*(f"  {p}" for p in a.paths[:500])]
            if len(a.paths) > 500:
                body.append(f"  … {len(a.paths) - 500} more")
            if a.suspects:
                body += ["", "suspects:", *(f"  {s}" for s in a.suspects)]
            with VerticalScroll(id="alert-body"):
                yield Static(Text("\n".join(shown(b) for b in body) or "(no paths)"))
            yield Static(
                Text.from_markup(
                    "[b]Esc[/b] close — in the feed, [b]p[/b] pauses and [b]s[/b] stops the suspect agents"
                ),
                classes="hint",
            )

    async def action_dismiss(self, result: Any = None) -> None:
        self.dismiss(None)


class MessageModal(ModalScreen[str | None]):
    """A line to edit (a commit message): Enter accepts, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str, note: str = "") -> None:
        super().__init__(classes="confirm")
        self.title_text, self.value, self.note = title, value, note

    def compose(self) -> ComposeResult:
        from textual.widgets import Input

        with Vertical(id="confirm-box"):
            yield Static(Text(shown(self.title_text), style="bold"), id="confirm-title")
            yield Input(value=self.value, id="message")
            if self.note:
                yield Static(Text(shown(self.note, lines=True)), classes="hint")

    def on_input_submitted(self, event: Any) -> None:
        self.dismiss(str(event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)
