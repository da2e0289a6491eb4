"""The supervisor's screen: the header, the gate flow, the agents' actions.

It composes the pane grid (which samples and draws the agents) and the guard panel (which owns
the guard), reads what their messages say into a few reactive attributes, and draws the header
from those only: the UI thread never runs git here.  The gate flow is straight-line code in a
worker (``push_screen_wait``); the gate is enforced again inside ``Supervisor.fire``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.content import Content
from textual.reactive import Reactive, reactive
from textual.widget import Widget
from textual.widgets import Static

from agenttui.core.agents.activity import watch_file
from agenttui.core.agents.notify import Notifier
from agenttui.core.agents.notify import trusted as notify_trusted
from agenttui.core.dispatch.supervisor import Supervisor
from agenttui.core.errors import AgentTuiError, shown
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import HeadState, Worktree
from agenttui.core.guard.events import Coverage
from agenttui.tui import actions
from agenttui.tui.literal import fmt
from agenttui.tui.messages import (
    AgentsChanged,
    AgentStateChanged,
    FileActivity,
    ForwardsWorkerFailures,
    GuardAlerts,
    GuardState,
    Notice,
    PaneFocused,
    PlanChanged,
    Reaped,
    Sampled,
    ShowAlert,
)
from agenttui.tui.screens.agent_actions import AgentActions
from agenttui.tui.screens.modals import AlertModal, AnnounceModal
from agenttui.tui.textual_compat import ResizeOnlyWhenResized, write_escape
from agenttui.tui.widgets.footer import QuietFooter
from agenttui.tui.widgets.guard_panel import GuardPanel
from agenttui.tui.widgets.header import header_lines
from agenttui.tui.widgets.pane import AgentPane
from agenttui.tui.widgets.pane_grid import TICK, PaneGrid

MAX_SAID = 200


class MainScreen(AgentActions, ForwardsWorkerFailures, ResizeOnlyWhenResized):
    """Textual repaints a whole screen when its focus moves; the panes that gain and lose focus
    repaint themselves, so here it does not (a full frame of 32 panes per arrow key was most of
    the key's latency under load, bench_keys)."""

    BINDINGS = actions.bindings(actions.MAIN)

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    firing: reactive[bool] = reactive(False, bindings=True, init=False)
    #: what the keys' enabled state depends on: refreshing bindings costs real CPU, so only on change
    binding_state: reactive[tuple[object, ...]] = reactive((), bindings=True, init=False)
    head: reactive[HeadState | None] = reactive(None, init=False)
    claude_sentence: reactive[str | None] = reactive(None, init=False)
    armed: reactive[bool] = reactive(False, init=False)
    coverage: reactive[Coverage | None] = reactive(None, init=False)

    def __init__(
        self,
        sup: Supervisor,
        *,
        live: bool = True,
        unsafe_demo: bool = False,
        pane_class: type[AgentPane] = AgentPane,
        panel_class: type[GuardPanel] = GuardPanel,
    ) -> None:
        super().__init__(id="_default")
        self.sup = sup
        self.live = live
        self.unsafe_demo = unsafe_demo  # `agenttui demo --incident --unsafe` only: no gate
        self.pane_class = pane_class
        self.panel_class = panel_class
        self.said: list[str] = []  # every notice, newest last (tests and the journal read it)
        # held, not queried: check_action asks for them for every key binding on every focus move,
        # and a DOM query over 32 panes per binding made arrow keys slower (docs/MEASURED.md)
        self.grid = PaneGrid(sup, live=live, pane_class=pane_class)
        self.notifier = Notifier(None, desktop=sup.plan.notify_desktop)  # its command once trusted: _trust_notify
        self.guard_panel = panel_class(sup, live=live)
        self._texts: dict[str, tuple[object, ...]] = {}
        self.escaped: set[str] = set()  # agents seen working outside their worktree
        self.read_errors: set[str] = set()  # the sampler's reads failing now
        self._header_due = False

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield Static(id="header")
        yield Static(id="gate")
        yield Static(id="notice")
        yield self.grid
        yield self.guard_panel
        yield QuietFooter()

    async def on_mount(self) -> None:
        self.head, worktrees = await asyncio.to_thread(self._read_start)
        self.sup.discover(worktrees)
        await self.grid.sync()
        self.refresh_header()
        if self.sup.plan_error:
            self.say(f"plan: {self.sup.plan_error}", error=True)
        self._trust_notify()
        if self.grid.panes:
            self.grid.focus_agent(self.grid.panes[0])
        if self.live:
            self.set_interval(TICK, self.tick)
            if self.sup.plan_path is not None:
                self.watch_plan()

    def _read_start(self) -> tuple[HeadState | None, list[Worktree]]:
        """HEAD and the worktrees, read once off the UI thread before the first panes."""
        head, trees = None, []
        with contextlib.suppress(AgentTuiError):
            if self.sup.main_checkout:
                head = gitrepo.head_state(self.sup.main_checkout)
        with contextlib.suppress(AgentTuiError):
            trees = gitrepo.list_worktrees(self.sup.paths)
        return head, trees

    async def _discover(self) -> None:
        with contextlib.suppress(AgentTuiError):
            self.sup.discover(await asyncio.to_thread(gitrepo.list_worktrees, self.sup.paths))

    # ---------------------------------------------------------------- header and notices
    def on_screen_resume(self) -> None:
        if self._header_due:  # what changed while the palette or a modal covered the header
            self.refresh_header()

    def refresh_header(self) -> None:
        if not self.is_attached:
            return
        if self.app.screen is not self:  # covered (the palette, a modal): redrawn when it is back
            self._header_due = True
            return
        self._header_due = False
        for selector, template, values in header_lines(
            self.sup,
            self.head,
            armed=self.armed,
            coverage=self.coverage,
            claude=self.claude_sentence,
            unsafe_demo=self.unsafe_demo,
            attention=self.grid.states.counts(),
        ):
            key = (template, *sorted((k, str(v)) for k, v in values.items()))
            if self._texts.get(selector) != key:  # drawing the same text again costs a repaint
                self._texts[selector] = key
                self.query_one(selector, Static).update(fmt(template, **values), layout=False)

    # what the header shows changed: draw it again (Textual calls watch_<name> on a change)
    watch_head = watch_claude_sentence = watch_armed = watch_coverage = refresh_header

    def say(self, text: str, *, error: bool = False) -> None:
        self.said.append(text)
        del self.said[:-MAX_SAID]
        if not self.is_attached:
            return
        notice = self.query_one("#notice", Static)
        notice.update(Content(shown(text)))
        notice.set_class(error, "-error")
        self.notify(text, severity="error" if error else "information", timeout=4, markup=False)

    def on_notice(self, msg: Notice) -> None:
        msg.stop()
        self.say(msg.text, error=msg.error)

    # ---------------------------------------------------------------- what the widgets report
    def on_sampled(self, msg: Sampled) -> None:
        s = msg.sample
        if s.revoke:
            self.say(s.revoke, error=True)
        failing = set(s.errors)
        for err in sorted(failing - self.read_errors):  # said and journaled once, until it recovers
            self.say(f"a periodic read failed, panes may be stale: {err}", error=True)
            self.sup.journal("read-failed", error=err)
        self.read_errors = failing
        for name, where in s.outside.items():  # "verified" stops being true the moment it is not
            reason = f"agent '{name}' works outside its worktree: {where}"
            # (every sample: an announcement confirmed again while the agent is still outside is
            # revoked again; the notice is said once per revocation, or once for an agent first seen)
            if self.sup.revoke(reason, agent=name) or name not in self.escaped:
                self.say(f"announcement revoked: {reason}", error=True)
            self.escaped.add(name)
        if s.head is not None:
            self.head = s.head
        if s.worktrees is not None:  # a git round: the Claude Code sentence was read too
            self.claude_sentence = s.claude
        self.refresh_header()

    def on_guard_alerts(self, msg: GuardAlerts) -> None:
        msg.stop()
        self.guard_panel.add_alerts(msg.alerts)

    def on_file_activity(self, msg: FileActivity) -> None:
        msg.stop()
        self.guard_panel.activity(list(msg.batch))  # bursts in agent worktrees end in snapshots

    def on_show_alert(self, msg: ShowAlert) -> None:
        self.app.push_screen(AlertModal(msg.alert))

    def on_guard_state(self, msg: GuardState) -> None:
        self.armed, self.coverage = msg.armed, msg.coverage

    def on_agents_changed(self, _msg: AgentsChanged) -> None:
        self.refresh_header()

    def on_agent_state_changed(self, msg: AgentStateChanged) -> None:
        """An edge (to needs input, done or failed) notifies: the bell, tmux, the plan's command."""
        if self.notifier.edge(msg.agent, msg.state, msg.reason, focused=msg.focused):
            self.app.bell()
            if self.notifier.sequence:  # the terminal's own desktop notification
                write_escape(self.app, self.notifier.sequence)
        self.refresh_header()

    def action_attention(self) -> None:
        if not self.grid.next_attention():
            self.say("no agent needs you right now")

    def on_pane_focused(self, msg: PaneFocused) -> None:
        """A pane got the focus, or the list's cursor moved: the grid shows that agent (the detail)."""
        if self.grid.is_list and not msg.from_list:
            return  # (a hidden pane taking the focus as the layout switches says nothing of the cursor)
        self.grid.show_agent(msg.name)

    def action_layout(self) -> None:
        self.say(
            "agents as a list: one row each, the highlighted one's pane below"
            if self.grid.toggle_layout()
            else "agents as a grid of panes"
        )

    def action_urgency(self) -> None:
        self.say("agents ordered by urgency" if self.grid.toggle_urgency() else "agents in plan order")

    # ---------------------------------------------------------------- the tick
    def tick(self) -> None:
        if not self.firing and self.sup.reap_due():
            self._reap()
        if self.guard_panel.armed_by_fire and self.sup.fired and self.sup.counts()[0] == 0:
            self.guard_panel.disarm("the last agent exited")
        self.refresh_header()
        c = self.sup.gate.confirmation
        self.binding_state = (
            id(c) if c else None,
            self.sup.fired,
            self.firing,
            self.sup.plan.fingerprint,
            self.guard_panel.armed,
            self.sup.counts(),
            bool(self.guard_panel.threats),
        )

    @work(thread=True, exclusive=True, group="reap", exit_on_error=False)
    def _reap(self) -> None:
        """Reaping asks tmux about tmux agents: a thread, not the UI's."""
        ended = self.sup.poll()
        if ended:
            self.post_message(Reaped(ended))

    def on_reaped(self, msg: Reaped) -> None:
        ended = msg.ended
        if len(ended) > 2:  # many agents ending together: one notice, not a toast each
            self.say("; ".join(ended[:2]) + f"; and {len(ended) - 2} more agents ended")
        else:
            for line in ended:
                self.say(line)
        for p in self.grid.panes:
            p.refresh_title()

    def rearm(self, group: str) -> None:
        """A worker of this screen failed (the App's handler calls this)."""
        if group == "watch-plan" and self.live and self.sup.plan_path is not None:
            self.watch_plan()

    # ---------------------------------------------------------------- the plan
    @work(exclusive=True, group="watch-plan", exit_on_error=False)
    async def watch_plan(self) -> None:
        plan = self.sup.plan_path
        assert plan is not None
        stop = asyncio.Event()
        try:
            async for _ in watch_file(plan, stop):
                self.post_message(PlanChanged())
        finally:
            stop.set()

    async def on_plan_changed(self, _msg: PlanChanged) -> None:
        await self.reload_plan()

    async def reload_plan(self) -> None:
        message = self.sup.reload_plan()
        if message:
            self.say(message, error=True)
        elif self.sup.plan_error:
            self.say(f"plan: {self.sup.plan_error}", error=True)
        else:
            self.say("plan reloaded")
        await self.grid.sync()
        self._trust_notify()
        self.notifier.desktop = self.sup.plan.notify_desktop
        self.refresh_header()
        self.refresh_bindings()

    # ---------------------------------------------------------------- the gate
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fire":
            if self.unsafe_demo:
                return True if not self.sup.fired and not self.firing else None
            c = self.sup.gate.confirmation
            ok = (
                c is not None
                and not self.firing
                and not self.sup.fired
                and self.sup.gate.is_open(self.sup.plan.fingerprint)
            )
            return True if ok else None
        if action == "enter":
            p = self.grid.focused_pane()
            return bool(p is not None and p.run.tmux is not None)
        if action in ("stop", "pause"):
            return True if self.grid.focused_pane() is not None or self.guard_panel.alert_agents() else None
        if action == "restore_worktree":  # (hidden from the footer until a worktree is threatened)
            return self.guard_panel.threatened() is not None
        if action in ("shell", "review", "land"):
            return True if self.grid.focused_pane() is not None else None
        return True

    def action_announce(self) -> None:
        if self.sup.plan_error:
            self.say(f"cannot announce: {self.sup.plan_error}", error=True)
            return
        self.announce_flow()

    @work(exclusive=True, group="announce", exit_on_error=False)
    async def announce_flow(self) -> None:
        try:
            verdict = await asyncio.to_thread(self.sup.announce)
        except AgentTuiError as exc:
            self.say(f"announce failed: {exc.message}", error=True)
            return
        answer = await self.app.push_screen_wait(AnnounceModal(self.sup.plan, verdict))
        if answer is None:
            self.say("announcement cancelled: fire stays disabled")
        else:
            try:
                c = self.sup.confirm(serial=answer == "serial")
            except AgentTuiError as exc:
                self.say(exc.message, error=True)
            else:
                self.say(f"confirmed: {c.sentence} — press f to fire")
                self._trust_notify()
        self.refresh_header()
        self.refresh_bindings()

    def _trust_notify(self) -> None:
        """The plan's notify command runs once the user confirmed a plan carrying it (core.notify.trusted)."""
        command = self.sup.plan.notify_command
        ok = bool(command) and notify_trusted(self.sup.paths, command)
        self.notifier.command = list(command or ()) if ok else None
        if command and not ok:
            self.say(
                "the plan's [notify] command will not run until you confirm an announcement of this plan "
                "(a, y): a repository's plan does not run commands on its own"
            )

    def action_fire(self) -> None:
        # check_action greys the key out; core enforces the gate again inside fire().
        if self.firing:
            return
        self.firing = True
        self.fire_flow()

    @work(exclusive=True, group="fire", exit_on_error=False)
    async def fire_flow(self) -> None:
        try:
            fire = self.sup.fire_unsafe_demo if self.unsafe_demo else self.sup.fire
            messages, error = await asyncio.to_thread(fire), None
        except AgentTuiError as exc:
            messages, error = [], exc.message
        finally:
            self.firing = False
        if error:
            self.say(f"not fired: {error}", error=True)
        else:
            self.say("fired: " + ("; ".join(messages) if messages else f"{len(self.sup.plan.agents)} agents launched"))
            if not self.guard_panel.armed:
                self.guard_panel.arm(by_fire=True)
        await self._discover()
        await self.grid.sync()
        for p in self.grid.panes:
            p.refresh_all()
            self.grid.sampler.busy(p.agent_name)
        self.refresh_header()
        self.refresh_bindings()

    def action_guard(self) -> None:
        self.guard_panel.toggle()

    def action_conflicts(self) -> None:
        from agenttui.tui.screens.review import predict_conflicts

        predict_conflicts(self, self.sup)

    def action_review(self) -> None:
        from agenttui.tui.screens.review import DiffScreen

        p = self.grid.focused_pane()
        if p is None or not p.run.branch:
            self.say("review shows an agent's changes: highlight its pane first", error=True)
            return
        self.app.push_screen(DiffScreen(self.sup.paths, p.agent_name))

    def action_land(self) -> None:
        from agenttui.tui.screens.review import land_flow

        p = self.grid.focused_pane()
        if p is None or not p.run.branch:
            self.say("land takes an agent's branch: highlight its pane first", error=True)
            return
        stop = None
        if p.run.alive:
            name, sup = p.agent_name, self.sup

            def stop() -> bool:  # (on a thread) stop it and wait until it has exited
                return sup.stop_and_wait(name)

        land_flow(self, self.sup.paths, p.agent_name, self.sup.plan.land_check, stop)

    def action_recover(self) -> None:
        from agenttui.tui.screens.recovery import RecoveryScreen

        app: Any = self.app
        self.app.push_screen(RecoveryScreen(self.sup.paths, now=getattr(app, "now", None)))

    def action_move(self, dx: int, dy: int) -> None:
        self.grid.move(dx, dy)
