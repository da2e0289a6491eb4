"""The messages widgets post upwards (method calls go down).  Dataclasses; a flood of the same
kind merges in the queue where a newer one says everything the older did (``can_replace``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:  # annotations only: the recovery screen starts without the guard and sampler
    from agenttui.core.agents.activity import FileChange
    from agenttui.core.agents.sampler import Sample
    from agenttui.core.guard.events import Coverage
    from agenttui.core.guard.main_checkout import Alert


@dataclass
class Notice(Message):
    """Something to tell the user: the notice line and a toast."""

    text: str
    error: bool = False


@dataclass
class Sampled(Message):
    """A sample for the panes (posted by the pane grid's sampler worker to the grid)."""

    sample: Sample

    def can_replace(self, message: Message) -> bool:
        # only one sample is in flight at a time; a newer one without git data must not drop git data
        return isinstance(message, Sampled) and message.sample.worktrees is None and not message.sample.git


@dataclass
class FileActivity(Message):
    """A batch of file events in agents' worktrees (never merged: each carries changes)."""

    batch: dict[Path, list[FileChange]]


@dataclass
class PlanChanged(Message):
    """The plan file changed on disk."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PlanChanged)


@dataclass
class Reaped(Message):
    """Agents that ended since the last reap (words for the notice line)."""

    ended: list[str]


@dataclass
class Revoked(Message):
    """The announcement stopped being true (the repository changed, an agent left its worktree)."""

    reason: str


@dataclass
class GuardAlerts(Message):
    """New or updated alerts (a coalesced burst keeps its id)."""

    alerts: list[Alert]
    fresh: bool = True


@dataclass
class GuardState(Message):
    """The guard was armed or disarmed, or its coverage was measured."""

    armed: bool
    coverage: Coverage | None = None


@dataclass
class AgentsChanged(Message):
    """The set of agents (and so of worktrees to watch) changed."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AgentsChanged)


@dataclass
class ShowAlert(Message):
    """Open an alert's details (its paths and suspects)."""

    alert: Alert


@dataclass
class WorkerFailed(Message):
    """A worker raised (Textual's ``Worker.StateChanged`` does not bubble: owners forward it)."""

    worker: Worker[object]


class ForwardsWorkerFailures:
    """Mixin for the widgets and screens that own workers: their failures reach the App's handler."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.post_message(WorkerFailed(event.worker))  # type: ignore[attr-defined]


@dataclass
class BackToMain(Message):
    """The recovery screen `agenttui recover` started with was closed: show the supervisor."""


@dataclass
class AgentStateChanged(Message):
    """An agent's attention state changed (the edges notify)."""

    agent: str
    state: str
    reason: str
    focused: bool


@dataclass
class PaneFocused(Message):
    """An agent pane got the focus, or the list's cursor moved onto an agent: the highlighted agent."""

    name: str
    from_list: bool = False
