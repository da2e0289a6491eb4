"""The guard in the app: the alert feed, which owns the guard's workers and the alert store.

Workers (all on this widget, so Textual cancels them with it): arming (git: a thread), the main
checkout's watcher (async, classifies paths only), the git reader (a thread; at most one, see
:class:`~agenttui.core.guard.events.GuardWatch`), the coverage count and the suspects scan (threads).
It posts :class:`GuardState` and :class:`Notice` upwards and never imports the App.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace
from pathlib import Path

from textual import work
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from agenttui.core.dispatch.supervisor import Supervisor
from agenttui.core.errors import AgentTuiError
from agenttui.core.guard import snapshots
from agenttui.core.guard.events import POLL, Coverage, GuardWatch, coverage
from agenttui.core.guard.main_checkout import Alert, Guard
from agenttui.core.guard.worktrees import KIND as THREAT
from agenttui.core.guard.worktrees import WorktreeKeeper
from agenttui.core.recovery import baseline
from agenttui.tui.literal import plain
from agenttui.tui.messages import ForwardsWorkerFailures, GuardAlerts, GuardState, Notice, ShowAlert

MAX_ALERTS = 200
FEED_GAP = 0.25  # s between feed redraws under a flood of alerts
TOAST_GAP = 1.0  # s between toasts: the feed has every alert


class GuardPanel(ForwardsWorkerFailures, OptionList):
    """Newest first; Enter expands an alert to its paths and suspects."""

    BINDINGS = [Binding("enter", "expand", "Details", show=False)]

    def __init__(self, sup: Supervisor, *, live: bool = True) -> None:
        super().__init__(id="alerts")
        self.sup = sup
        self.live = live
        self.alerts: dict[int, Alert] = {}
        self.guard: Guard | None = None
        self.watcher: GuardWatch | None = None
        self.coverage: Coverage | None = None
        self.armed_by_fire = False
        self._arming = False
        self._last_toast = 0.0
        self._feed_drawn = 0.0
        self._feed_timer: object | None = None
        self.border_title = "Guard: disarmed"
        self.threats: dict[str, Alert] = {}  # agent -> the alert about its threatened worktree
        self.keeper: WorktreeKeeper | None = None

    def on_mount(self) -> None:
        if self.live:
            self.set_interval(POLL, self.poll)
            # agent worktrees: snapshots after bursts, threats named (core threads of its own)
            self.keeper = WorktreeKeeper(
                self.sup.paths,
                self._agent_worktrees,
                lambda alert: self.post_message(GuardAlerts([alert])),
                launched=self._launched,
            )
            self.keeper.start()

    def on_unmount(self) -> None:
        if self.keeper is not None:
            self.keeper.stop()

    def _agent_worktrees(self) -> dict[str, Path]:
        """(called from the keeper's thread: a copy of the runs, never a widget)"""
        main = self.sup.main_checkout
        return {name: r.worktree for name, r in self.sup.run_items() if r.worktree is not None and r.worktree != main}

    def activity(self, roots: list[Path]) -> None:
        """File events in agent worktrees (the grid's watcher): bursts end in snapshots."""
        if self.keeper is not None:
            self.keeper.activity(roots)

    # ---------------------------------------------------------------- restore
    def threatened(self) -> Alert | None:
        """The alert to restore from: the highlighted one when it is a threat, else the newest."""
        a = self.highlighted_alert() if self.has_focus else None
        if a is not None and a.kind == THREAT and a.snapshot:
            return a
        live = [t for t in self.threats.values() if t.snapshot]
        return max(live, key=lambda t: t.id) if live else None

    def restore_threatened(self) -> None:
        alert = self.threatened()
        if alert is None or not alert.snapshot:
            self.post_message(Notice("no threatened agent worktree to restore"))
            return
        self._restore_worker(alert)

    @work(thread=True, group="guard-restore", exit_on_error=False)
    def _restore_worker(self, alert: Alert) -> None:
        agent = alert.agents[0] if alert.agents else ""
        try:
            said = snapshots.restore(self.sup.paths, snapshots.find(self.sup.paths, str(alert.snapshot)))
        except (AgentTuiError, OSError) as exc:
            why = exc.message if isinstance(exc, AgentTuiError) else str(exc)
            self.post_message(Notice(f"cannot restore {alert.worktree}: {why}", error=True))
            return
        if self.keeper is not None:
            self.keeper.restored(agent)
        self.app.call_from_thread(self._restored, agent)
        self.post_message(Notice(said))

    def _restored(self, agent: str) -> None:
        self.threats.pop(agent, None)

    # ---------------------------------------------------------------- arming
    @property
    def armed(self) -> bool:
        return self.guard is not None and self.guard.armed

    def _plan_sets(self) -> tuple[frozenset[str], frozenset[str]]:
        main = self.sup.main_checkout
        runs = [r for r in self.sup.run_list() if r.source == "plan" and r.worktree and r.worktree != main]
        return frozenset(r.branch for r in runs if r.branch), frozenset(str(r.worktree) for r in runs)

    def arm(self, *, by_fire: bool = False) -> None:
        if self.sup.main_checkout is None:
            self.post_message(Notice("no main checkout to guard", error=True))
            return
        if self._arming or self.armed:
            return
        self._arming = True
        self._arm_worker(by_fire, [*self._agent_roots()])

    def _agent_roots(self) -> list[Path]:
        return sorted(set(self._agent_worktrees().values()))

    def _launched(self) -> dict[int, str]:
        return {r.pid: name for name, r in self.sup.run_items() if r.pid and r.alive}

    @work(thread=True, exclusive=True, group="guard-arm", exit_on_error=False)
    def _arm_worker(self, by_fire: bool, agent_roots: list[Path]) -> None:
        """Reading the first reading and status runs git: never on the UI thread."""
        main = self.sup.main_checkout
        assert main is not None
        branches, trees = self._plan_sets()
        try:
            guard = self.guard or Guard(self.sup.paths, main, launched=self._launched)
            guard.plan_branches = branches
            guard.branch_owners = {
                r.branch: name
                for name, r in self.sup.run_items()
                if r.branch and r.worktree is not None and r.worktree != main
            }
            guard.plan_worktrees = frozenset(trees)
            guard.worktree_names = lambda: {str(p): n for n, p in self._agent_worktrees().items()}
            guard.on_escape = lambda alert: self.post_message(GuardAlerts([alert]))
            guard.ignore = self.sup.plan.guard_ignore
            guard.refresh_nested()
            guard.arm()
            base = baseline(self.sup.paths)  # what existed at arming: the incident's baseline
        except AgentTuiError as exc:
            self.app.call_from_thread(self._arm_failed, exc.message)
            return
        self.app.call_from_thread(self._armed, guard, by_fire, agent_roots, base)

    def _arm_failed(self, message: str) -> None:
        self._arming = False
        self.post_message(Notice(f"cannot arm the guard: {message}", error=True))

    def _armed(self, guard: Guard, by_fire: bool, agent_roots: list[Path], base: dict[str, object]) -> None:
        self._arming = False
        self.guard, self.watcher = guard, GuardWatch(guard)
        self.armed_by_fire = by_fire
        self.sup.journal("guard-arm", by_fire=by_fire, baseline=base)
        if self.live:
            self._watch_worker()
            self._coverage_worker([guard.main, *agent_roots])
        self._title()
        self.post_message(GuardState(True, self.coverage))

    def disarm(self, reason: str) -> None:
        if self.guard is None or not self.guard.armed:
            return
        self.guard.disarm()
        self.armed_by_fire = False
        self.workers.cancel_group(self, "guard-watch")
        self.sup.journal("guard-disarm", reason=reason)
        self.post_message(Notice(f"guard disarmed: {reason}"))
        self._title()
        self.post_message(GuardState(False, self.coverage))

    def toggle(self) -> None:
        if self.armed:
            self.disarm("by hand")
        else:
            self.arm()
            self.post_message(Notice("guard armed: watching the main checkout"))

    # ---------------------------------------------------------------- workers
    @work(thread=True, exclusive=True, group="guard-coverage", exit_on_error=False)
    def _coverage_worker(self, roots: list[Path]) -> None:
        cov = coverage(roots)
        self.app.call_from_thread(self._coverage_done, cov)

    def _coverage_done(self, cov: Coverage) -> None:
        self.coverage = cov
        if cov.degraded:
            self.post_message(Notice(cov.describe(), error=True))
        self._title()
        self.post_message(GuardState(self.armed, cov))

    @work(exclusive=True, group="guard-watch", exit_on_error=False)
    async def _watch_worker(self) -> None:
        watcher = self.watcher
        assert watcher is not None
        stop = asyncio.Event()
        try:
            async for event in watcher.events(stop):
                if event.alerts:
                    self.post_message(GuardAlerts(list(event.alerts)))
                if event.parts and watcher.request(event.parts):
                    self._read_worker()
        finally:
            stop.set()

    def poll(self) -> None:
        """Every 2 s: the whole reading, and the git-status re-check for missed file events."""
        if self.armed and self.watcher is not None and self.watcher.request(reconcile=True):
            self._read_worker()

    @work(thread=True, exclusive=False, group="guard-git", exit_on_error=False)
    def _read_worker(self) -> None:
        assert self.watcher is not None

        def emit(alerts: list[Alert]) -> None:
            self.post_message(GuardAlerts(alerts))

        self.watcher.read(emit)

    def rearm(self, group: str) -> None:
        """A worker of this panel failed (the App's handler calls this): restart what loops."""
        if group == "guard-watch" and self.armed and self.live:
            self._watch_worker()

    # ---------------------------------------------------------------- alerts
    def add_alerts(self, alerts: list[Alert]) -> None:
        """Alerts from elsewhere (overlapping agents' paths)."""
        if alerts:
            self.post_message(GuardAlerts(alerts))

    def on_guard_alerts(self, msg: GuardAlerts) -> None:
        msg.stop()
        fresh = [a for a in msg.alerts if a.id not in self.alerts]
        for a in msg.alerts:
            old = self.alerts.get(a.id)
            if old is not None and old.suspects and not a.suspects:
                a = replace(a, suspects=old.suspects, suspect_pids=old.suspect_pids, agents=old.agents)
            self.alerts[a.id] = a
            if a.kind == THREAT and a.agents:
                self.threats[a.agents[0]] = a
            if a.kind == "escape" and a in fresh:  # "verified" is not true any more (once per alert)
                self.sup.revoke(a.text, agent=a.agents[0] if a.agents else None)
                self.post_message(Notice(f"announcement revoked: {a.text}", error=True))
        while len(self.alerts) > MAX_ALERTS:
            self.alerts.pop(next(iter(self.alerts)))
        now = time.monotonic()
        if not self.live or now - self._feed_drawn > FEED_GAP:
            self.render_feed()  # a lone alert shows at once
        elif self._feed_timer is None:  # a flood is redrawn 4 times a second at most
            self._feed_timer = self.set_timer(FEED_GAP, self.render_feed)
        if msg.fresh and fresh:
            if now - self._last_toast > TOAST_GAP:
                self._last_toast = now
                more = f" (+{len(fresh) - 1} more in the feed)" if len(fresh) > 1 else ""
                self.notify(fresh[0].text + more, title="guard", severity="warning", timeout=6, markup=False)
            self.app.bell()
            # overlaps and agent-worktree threats are not main-checkout events (and name their own)
            suspects = [a for a in fresh if a.kind not in ("overlap", THREAT)]
            if suspects:
                self._suspects_worker(suspects)

    @work(thread=True, group="guard-suspects", exit_on_error=False)
    def _suspects_worker(self, alerts: list[Alert]) -> None:
        guard = self.guard
        if guard is None:
            return
        launched = {r.pid: name for name, r in self.sup.run_items() if r.pid and r.alive}
        done = []
        for a in alerts:
            full = guard.suspects(a, launched)
            done.append(full)
            with contextlib.suppress(OSError):
                guard.record(full)
        self.post_message(GuardAlerts(done, fresh=False))

    def render_feed(self) -> None:
        self._feed_timer = None
        self._feed_drawn = time.monotonic()
        highlighted = self.highlighted
        self.clear_options()
        self.add_options(
            [Option(plain(a.line()), id=str(a.id)) for a in sorted(self.alerts.values(), key=lambda a: -a.id)]
        )
        if highlighted is not None and self.option_count:
            self.highlighted = min(highlighted, self.option_count - 1)
        self._title()

    def _title(self) -> None:
        state = "armed" if self.armed else "disarmed"
        degraded = " · DEGRADED COVERAGE" if self.coverage is not None and self.coverage.degraded else ""
        self.border_title = f"Guard: {state}{degraded} · {len(self.alerts)} alerts"
        self.set_class(self.armed, "-armed")

    def highlighted_alert(self) -> Alert | None:
        if self.highlighted is None or not self.option_count:
            return None
        oid = self.get_option_at_index(self.highlighted).id
        return self.alerts.get(int(oid)) if oid else None

    def alert_agents(self) -> list[str]:
        """The suspect agents of the highlighted alert, when the feed has focus."""
        if not self.has_focus:
            return []
        a = self.highlighted_alert()
        return list(a.agents) if a else []

    def action_expand(self) -> None:
        alert = self.highlighted_alert()
        if alert is not None:
            self.post_message(ShowAlert(alert))  # the screen opens the alert's details
