"""Review and land an agent's work from the supervisor: ``v`` shows its changes against its base
(committed, uncommitted and untracked; +/- per file; the hunks, highlighted), ``L`` lands it (the
order, the check and what moves are confirmed first; see ``agenttui.core.landing.land``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from agenttui.core.errors import AgentTuiError
from agenttui.core.git.models import RepoPaths
from agenttui.core.landing import conflicts
from agenttui.core.landing.land import commit_worktree, land, rebase_forecast, rebase_onto
from agenttui.core.landing.review import AgentDiff, diff
from agenttui.tui.literal import plain
from agenttui.tui.messages import ForwardsWorkerFailures, Notice
from agenttui.tui.screens.modals import ConfirmModal, ConflictModal, MessageModal
from agenttui.tui.widgets.footer import QuietFooter
from agenttui.tui.widgets.patch_view import PatchView


@dataclass
class DiffLoaded(Message):
    diff: AgentDiff | None
    error: str | None = None


class DiffScreen(ForwardsWorkerFailures, Screen[None]):
    BINDINGS = [Binding("escape,q,v", "close", "Close"), Binding("L", "land", "Land")]

    def __init__(self, paths: RepoPaths, name: str) -> None:
        super().__init__(classes="review")
        self.paths = paths
        self.agent = name
        self.loaded: AgentDiff | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="review-box"):
            yield Static(plain(f"{self.agent}: reading its changes…"), id="review-title")
            yield DataTable(id="review-files", cursor_type="row")
            yield PatchView(id="review-patch")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("+", "-", "file", "state")
        self.load()

    @work(thread=True, exclusive=True, group="review-load", exit_on_error=False)
    def load(self) -> None:
        try:
            self.post_message(DiffLoaded(diff(self.paths, self.agent)))
        except AgentTuiError as exc:
            self.post_message(DiffLoaded(None, exc.message))

    def on_diff_loaded(self, msg: DiffLoaded) -> None:
        title = self.query_one("#review-title", Static)
        if msg.diff is None:
            title.update(plain(f"{self.agent}: {msg.error}"))
            return
        d = self.loaded = msg.diff
        state = f"integrated ({d.integrated})" if d.integrated else "not integrated yet"
        title.update(
            plain(
                f"{d.target.name} — {d.target.branch} against {d.base}: {d.ahead} ahead, {d.behind} behind, "
                f"{state} — {len(d.files)} files   (L lands it, Esc closes)"
            )
        )
        t = self.query_one(DataTable)
        for f in d.files:
            t.add_row(
                *map(
                    plain,
                    ("-" if f.added is None else f.added, "-" if f.removed is None else f.removed, f.path, f.state),
                )
            )
        self.query_one(PatchView).set_lines(d.patch.splitlines() or ["(no changes)"])

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_land(self) -> None:
        land_flow(self, self.paths, self.agent)


def land_flow(host: Any, paths: RepoPaths, name: str, check: Any = None, stop: Any = None) -> None:
    """Confirm, then land *name* on a thread; the outcome is a notice.  *stop*: a running agent's
    stopper (landing offers to stop it first)."""
    host.run_worker(_land(host, paths, name, check, stop), exclusive=True, group="land", exit_on_error=False)


async def _land(host: Any, paths: RepoPaths, name: str, check: Any, stop: Any) -> None:
    if stop is not None:  # it is still running: stop it first?
        if not await host.app.push_screen_wait(
            ConfirmModal(f"{name} is still running", [f"stop {name} (SIGTERM, then SIGKILL after 3 s), then land it"])
        ):
            host.post_message(Notice("not landed: the agent keeps running"))
            return
        if not await asyncio.to_thread(stop):
            host.post_message(Notice(f"not landed: {name} did not stop", error=True))
            return
    try:
        d = await asyncio.to_thread(diff, paths, name, None, patch=False)
    except AgentTuiError as exc:
        host.post_message(Notice(f"cannot land {name}: {exc.message}", error=True))
        return
    if any(f.state != "committed" for f in d.files):  # uncommitted work: commit it first, message editable
        n = sum(1 for f in d.files if f.state != "committed")
        message = await host.app.push_screen_wait(
            MessageModal(
                f"{name} has {n} uncommitted files: commit them in its worktree first?",
                f"{name}: work in progress",
                "Enter commits with this message and goes on; Esc lands nothing.",
            )
        )
        if not message:
            host.post_message(Notice("not landed: its uncommitted work stays as it is"))
            return
        try:
            await asyncio.to_thread(commit_worktree, paths, name, message)
            d = await asyncio.to_thread(diff, paths, name, None, patch=False)
        except AgentTuiError as exc:
            host.post_message(Notice(f"not landed: {exc.message}", error=True))
            return
    rows = [
        f"{d.target.branch} ({d.ahead} commits, {len(d.files)} files) into {d.base}, squashed",
        f"{d.base}'s tip {d.merge_base[:10]}… is backed up first: agenttui restore undoes the landing",
        "built in a temporary worktree; checkouts on the base move with it, your uncommitted edits carried "
        "(an overlap refuses, naming the paths)",
        "then its worktree is archived and its branch deleted, both to the trash",
    ]
    if check:
        rows.insert(1, f"the check runs on the result first: {check}")
    if d.integrated:
        rows = [f"{d.target.branch} is already in {d.base} ({d.integrated}): only the clean-up runs"]
    if not await host.app.push_screen_wait(ConfirmModal(f"Land {name}", rows)):
        host.post_message(Notice("not landed: nothing was changed"))
        return
    try:
        res = await asyncio.to_thread(land, paths, name, check=check)
    except AgentTuiError as exc:
        host.post_message(Notice(f"not landed: {exc.message}", error=True))
        return
    text = res.message + (f"; conflicts: {', '.join(res.conflicts[:5])}" if res.conflicts else "")
    host.post_message(Notice(text, error=not res.ok))
    if res.warning:
        host.post_message(Notice(f"warning: {res.warning}", error=True))
    if res.ok:
        await _offer_rebase(host, paths, res.base)


async def _offer_rebase(host: Any, paths: RepoPaths, base: str) -> None:
    """After a landing: the other agents behind the new base, forecast first; y rebases the clean ones."""
    others = await asyncio.to_thread(rebase_forecast, paths, base)
    if not others:
        return
    clean = [o for o in others if not o.conflicts and not o.why_not]
    rows = [
        f"{o.name} ({o.branch}): "
        + (
            f"cannot now: {o.why_not}"
            if o.why_not
            else f"would conflict in {', '.join(o.conflicts[:5])}: left as is"
            if o.conflicts
            else "rebases cleanly"
        )
        for o in others
    ]
    if not clean:
        host.post_message(Notice(f"{base} moved on; the others would not rebase cleanly: " + "; ".join(rows)))
        return
    if not await host.app.push_screen_wait(
        ConfirmModal(
            f"Rebase the other agents on the new {base}?",
            rows,
            "y rebases the clean ones in their worktrees (each old tip to the trash first); any other key leaves them",
        )
    ):
        return
    for o in clean:
        try:
            host.post_message(Notice(await asyncio.to_thread(rebase_onto, paths, o, base)))
        except AgentTuiError as exc:
            host.post_message(Notice(exc.message, error=True))


def predict_conflicts(host: Any, sup: Any) -> None:
    """m: the conflict forecast between every pair of agent branches and each against its base."""
    main = sup.main_checkout
    branches = {r.name: r.branch for r in sup.run_list() if r.branch and r.worktree and r.worktree != main}
    if not branches:
        host.post_message(Notice("no agent branches to compare yet"))
        return
    bases = {r.name: (r.spec.base if r.spec else "HEAD") for r in sup.run_list() if r.name in branches}
    host.post_message(Notice("predicting merge conflicts…"))

    def job() -> None:
        t = conflicts.table(sup.paths, branches, bases)
        host.app.call_from_thread(host.app.push_screen, ConflictModal(list(t.names), t.cells, list(t.details)))

    host.run_worker(job, thread=True, exclusive=True, group="conflicts", exit_on_error=False)
