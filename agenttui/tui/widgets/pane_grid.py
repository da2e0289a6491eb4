"""The grid of agent panes: owns the sampler worker, the agents' watcher worker and the redraw
scheduler.

Workers (on this widget): the sampler (a thread, re-armed only after its sample was drawn, so polls
never overlap) and one watcher over every agent worktree (async; its reader thread reniced: keys
first).  Drawing is what costs under load (Textual renders every changed line), so redraws are
paced: a quiet pane is drawn at once; under a flood a round every ``FLUSH_GAP`` draws a budget of
visible panes, oldest first, live file activity before the routine refresh of stats; a pane off
screen keeps its parts until it is scrolled into view; covered panes wait for the main screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Container
from pathlib import Path

from textual import work
from textual.containers import VerticalScroll

from agenttui.core import journal
from agenttui.core.agents.activity import watch_worktrees
from agenttui.core.agents.overlap import OverlapTracker
from agenttui.core.agents.sampler import SAMPLE_INTERVAL, Sampler
from agenttui.core.agents.state import StateTracker, dispatch_titles, hooks_by_agent, title_signal, urgency
from agenttui.core.dispatch.supervisor import Supervisor
from agenttui.core.host.inotify import LockWatcher, journal_watcher
from agenttui.tui.messages import (
    AgentsChanged,
    AgentStateChanged,
    FileActivity,
    ForwardsWorkerFailures,
    GuardAlerts,
    Sampled,
)
from agenttui.tui.textual_compat import visible_widgets
from agenttui.tui.widgets.agent_list import AgentList
from agenttui.tui.widgets.pane import AgentPane, DetailPane, proc_line

TICK = 0.5
WATCHER_NICE = 19  # the agents' file watcher thread: the UI thread answers keys first
FLUSH_GAP = 0.2  # seconds between pane redraw rounds under a flood of changes
QUICK_GAP = 0.02  # ... and when the last round drew every visible pane that was due
PANES_PER_FLUSH = 3  # panes drawn per round: each pane costs a few ms of Textual rendering
HEAVY_PARTS = frozenset({"files", "log", "tail", "all"})
ROUTINE_PARTS = frozenset({"files", "log", "tail", "proc", "where"})  # (what a list row may draw late)
PANE_WIDTH = 56
MAX_COLUMNS = 4
LIST_FROM = 9  # from this many agents the grid is a list: one row each, the focused one in a detail
ROW_GAP = 0.5  # seconds between redraws of a row for routine parts (its sparkline moves once a second)
DETAIL_GAP = 0.25  # ... and of the detail's activity and output


class PaneGrid(ForwardsWorkerFailures, VerticalScroll):
    def __init__(self, sup: Supervisor, *, live: bool = True, pane_class: type[AgentPane] = AgentPane) -> None:
        super().__init__(id="panes")
        self.sup = sup
        self.live = live
        self.pane_class = pane_class
        self.sampler = Sampler(sup.paths, sup.main_checkout, sup.revalidate)
        self.overlaps = OverlapTracker()
        self.watched_roots: tuple[Path, ...] = ()
        self.columns = 2
        self.redraw_due: dict[AgentPane, None] = {}  # insertion-ordered: drawn round robin
        self._titles: dict[str, str] = {}  # subagent worktree folder -> its dispatch (from the journal)
        self._urgent: dict[AgentPane, None] = {}  # panes with live file activity, drawn first
        self._flush_at: float | None = None
        self._last_flush = 0.0
        self._backlog = False  # the last round left visible panes undrawn: pace the next one
        self._pane_cache: list[AgentPane] | None = None
        self.states = StateTracker()
        self.hooks: dict[str, tuple[str, str, float]] = {}
        self.titled: dict[str, tuple[str, str, float]] = {}  # from tmux pane titles (Codex, Gemini)
        self.generation = 0  # bumped when the pane set changes: samples taken before are dropped
        self._journal_offset = 0
        self._journal_watch: LockWatcher | None = None
        self._journal_due = False
        self.by_urgency = False  # the grid ordered by who needs the user first (toggle: u)
        self.list_layout: bool | None = None  # None: a list from LIST_FROM agents on (toggle: l)
        self.highlighted: str | None = None  # the list layout's highlighted agent, shown in the detail
        self.detail: DetailPane | None = None  # (mounted beside the grid on the first list layout)
        self.agent_list: AgentList | None = None  # the list layout's rows (one widget)

    # ---------------------------------------------------------------- panes
    def _signal(self, name: str) -> tuple[str, str, float] | None:
        """The newest word on an agent's state: its hooks' records, or its pane title."""
        hook, title = self.hooks.get(name), self.titled.get(name)
        if hook is None or (title is not None and title[2] > hook[2]):
            return title
        return hook

    @property
    def panes(self) -> list[AgentPane]:
        if self._pane_cache is None:  # a DOM query per call showed up in profiles under load
            self._pane_cache = list(self.query(AgentPane))
        return self._pane_cache

    def pane(self, name: str) -> AgentPane | None:
        return next((p for p in self.panes if p.agent_name == name), None)

    def focused_pane(self) -> AgentPane | None:
        if self.is_list and self.agent_list is not None:  # the list's cursor is the highlighted agent
            return self.pane(self.highlighted) if self.highlighted else None
        f = self.screen.focused
        while f is not None and not isinstance(f, AgentPane):
            f = f.parent  # type: ignore[assignment]
        return f if isinstance(f, AgentPane) else None

    async def sync(self) -> None:
        """One pane per agent run, in the Supervisor's order."""
        self._pane_cache = None
        have = {p.agent_name: p for p in self.panes}
        runs = dict(self.sup.run_items())
        new = [self.pane_class(run) for name, run in runs.items() if name not in have]
        listed = self.is_list
        for p in new:  # a row of the list from the start: no widgets composed only to be dropped
            p.row_only = listed
        for name, p in have.items():
            if name not in runs:
                await p.remove()
                self.generation += 1
            elif p.run is not runs[name]:
                p.run = runs[name]
                p.refresh_all()
                self.generation += 1  # (a sample taken for the old run must not land on the new one)
        if new:
            await self.mount_all(new)
        self._pane_cache = None
        self.reorder()
        self.layout_grid()
        if self.live:
            self.watch_agents()

    def toggle_urgency(self) -> bool:
        self.by_urgency = not self.by_urgency
        self.reorder()
        return self.by_urgency

    def reorder(self) -> None:
        """Panes by urgency (stable: the Supervisor's order within a level), or back in the
        Supervisor's order; moves only when the order changed (focus stays on its pane)."""
        panes = self.panes
        order = {name: i for i, name in enumerate(self.sup.runs)}
        target = sorted(
            panes, key=lambda p: ((urgency(p.attention) if self.by_urgency else 0), order.get(p.agent_name, len(order)))
        )
        if target == panes:
            return
        self.move_child(target[0], before=panes[0])
        for prev, p in zip(target, target[1:], strict=False):
            self.move_child(p, after=prev)
        self._pane_cache = None

    @property
    def is_list(self) -> bool:
        return self.list_layout if self.list_layout is not None else len(self.sup.runs) >= LIST_FROM

    def toggle_layout(self) -> bool:
        """Grid <-> list; True when it is a list now."""
        self.list_layout = not self.is_list
        self.layout_grid()
        return self.is_list

    def layout_grid(self) -> None:
        width = self.app.size.width or 120
        listed = self.is_list
        self.set_class(listed, "-list")
        self.columns = 1 if listed else max(1, min(max(1, len(self.sup.runs)), width // PANE_WIDTH, MAX_COLUMNS))
        self.styles.grid_size_columns = self.columns
        panes = self.panes
        if listed and (self.highlighted is None or self.pane(self.highlighted) is None) and panes:
            self.highlighted = panes[0].agent_name
        for p in panes:
            p.row_sink = self._row_changed if listed else None
            p.set_row_only(listed)
        self._show_list(listed)

    def _show_list(self, listed: bool) -> None:
        """The list layout's two widgets beside the (then hidden) grid: the rows and the detail."""
        src = self.pane(self.highlighted) if self.highlighted else None
        if listed and src is not None and self.agent_list is None and self.is_attached:
            self.agent_list, self.detail = AgentList(highlight_sink=self.show_agent), DetailPane(src.run)
            self.screen.mount(self.agent_list, self.detail, after=self)
        if self.agent_list is None or self.detail is None:
            return
        if not (self.agent_list.is_mounted and self.detail.is_mounted):
            self.call_after_refresh(self._show_list, listed)
            return
        focused = self.screen.focused
        self.agent_list.set_class(listed, "-shown")
        self.detail.set_class(listed and src is not None, "-shown")
        if listed:
            self.agent_list.set_rows(self.panes)
            if self.highlighted:
                self.agent_list.select(self.highlighted)
            if src is not None:
                self.detail.follow(src)
            if focused is None or focused is self or isinstance(focused, AgentPane):
                self.agent_list.focus()
        elif focused is self.agent_list:
            p = self.pane(self.highlighted) if self.highlighted else None
            if p is not None:
                self.call_after_refresh(p.focus)

    def _row_changed(self, name: str) -> None:
        """A hidden pane's data changed (the list layout): its row is drawn again, and the detail
        too when it shows that agent (its title, state and attention)."""
        if self.agent_list is not None and self.agent_list.is_mounted:
            self.agent_list.refresh_row(name)
        if name == self.highlighted and self.detail is not None and self.detail.is_mounted:
            p = self.pane(name)
            if p is not None:
                self.detail.follow(p)
                self.detail.refresh_title()

    def show_agent(self, name: str) -> None:
        """Agent *name* is the highlighted one now (its pane focused, or its row under the cursor)."""
        self.highlighted = name
        if self.is_list and self.detail is not None and self.detail.is_mounted:
            src = self.pane(name)
            if src is not None:
                self.detail.follow(src)

    def on_resize(self) -> None:
        self.layout_grid()

    def move(self, dx: int, dy: int) -> None:
        panes = self.panes
        if not panes:
            return
        if self.is_list and self.agent_list is not None:
            self.agent_list.action_cursor(dx + dy)
            self.agent_list.focus()
            return
        cur = self.focused_pane()
        i = panes.index(cur) if cur in panes else 0
        j = min(max(0, i + dx + dy * self.columns), len(panes) - 1)
        panes[j].focus()
        panes[j].scroll_visible()

    # ---------------------------------------------------------------- lifecycle
    def on_mount(self) -> None:
        self.watch(self, "scroll_y", self._scrolled, init=False)
        self.app.screen_change_signal.subscribe(self, self._screen_changed)
        if self.live:
            self.set_interval(TICK, self.tick)
            self.arm_sampler(0.05)
            self._watch_journal()

    def _watch_journal(self) -> None:
        """Hook events (a Claude Code session asking for permission, stopping) show at once: the
        journal's appends wake the state update (its own inotify thread; the tick stays the fallback)."""
        folder = self.sup.paths.agenttui_dir
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
        app = self.app

        def changed(_name: str) -> None:
            with contextlib.suppress(Exception):  # the app may be closing
                app.call_from_thread(self._journal_changed)

        self._journal_watch = journal_watcher(folder, changed)
        self._journal_watch.start()

    def _journal_changed(self) -> None:
        if not self._journal_due:  # coalesce a burst of appends into one update
            self._journal_due = True
            self.set_timer(0.02, self._journal_update)

    def _journal_update(self) -> None:
        self._journal_due = False
        self.update_states()

    def on_unmount(self) -> None:
        if self._journal_watch is not None:
            self._journal_watch.stop()
            self._journal_watch = None

    def tick(self) -> None:
        now = time.time()
        for p in self.panes:
            if p.log_grew():
                p.last_output = now
                self.mark(p, "log")
            if p.run.state_text != p.last_state:
                p.refresh_title()
        self.update_states(now)
        if self.redraw_due:  # e.g. panes scrolled into view since the last round
            self._schedule_flush()

    def update_states(self, now: float | None = None) -> None:
        """Each agent's attention state from its hook events, exit code and activity; an edge
        goes up as AgentStateChanged (the screen notifies)."""
        now = time.time() if now is None else now
        records, self._journal_offset = journal.read_from(self.sup.paths, self._journal_offset)
        names = {str(p.run.worktree): p.agent_name for p in self.panes if p.run.worktree is not None}
        self.hooks.update(hooks_by_agent(records, names))
        self._titles.update(dispatch_titles(records))
        if self._titles:
            retitled = set(self.sup.title_subagents(self._titles))
            for p in self.panes:
                if p.agent_name in retitled:
                    p.relabel()
        focused = self.focused_pane()
        attention_changed = False
        for p in self.panes:
            r = p.run
            latest = p.activity.latest[0].time if p.activity.latest else None
            activity = (
                max(x for x in (latest, p.last_output or None, r.started) if x)
                if (latest or p.last_output or r.started)
                else None
            )
            exited = r.state in ("exited", "failed")
            code = (r.exit_code if r.exit_code is not None else 1) if exited else None
            state, changed = self.states.observe(
                p.agent_name,
                now=now,
                alive=not exited,
                exit_code=code,
                last_activity=activity,
                hook=self._signal(p.agent_name),
                focused=p is focused,
            )
            if changed or p.attention is None or p.attention.unseen != state.unseen:
                p.set_attention(state)
                attention_changed = True
                if changed:
                    self.post_message(AgentStateChanged(p.agent_name, state.state, state.reason, p is focused))
        if attention_changed and self.by_urgency:
            self.reorder()

    def next_attention(self) -> bool:
        """Focus the next agent that needs the user (needs input first, then done unseen)."""
        cur = self.focused_pane()
        name = self.states.next_for_attention([p.agent_name for p in self.panes], cur.agent_name if cur else None)
        pane = self.pane(name) if name else None
        if pane is None:
            return False
        self.focus_agent(pane)
        return True

    def focus_agent(self, pane: AgentPane) -> None:
        """Highlight *pane*'s agent: the pane itself in the grid, its row in the list."""
        if self.is_list and self.agent_list is not None:
            self.agent_list.select(pane.agent_name)
            self.agent_list.focus()
            return
        pane.focus()
        pane.scroll_visible()

    def _screen_changed(self, screen: object) -> None:
        """Back on the main screen: redraw what changed while it was covered."""
        if screen is not self.screen:
            return
        for p in self.panes:
            if p.thaw_due and p.is_mounted:
                p.thaw_due = False
                self.mark(p, "all", "log")
        self._schedule_flush()

    def _scrolled(self, _y: float) -> None:
        if self.redraw_due:
            self._schedule_flush()

    def rearm(self, group: str) -> None:
        """A worker of this grid failed (the App's handler calls this): restart what loops."""
        if group == "sample" and self.live:
            self.arm_sampler()
        elif group == "watch-agents" and self.live:
            self.watched_roots = ()
            self.watch_agents()

    # ---------------------------------------------------------------- sampling
    def arm_sampler(self, delay: float = SAMPLE_INTERVAL) -> None:
        self.set_timer(delay, self._start_sample)

    def _start_sample(self) -> None:
        jobs, git_round = self.sampler.jobs(self.sup.run_list())
        self._sample_worker(jobs, git_round, self.generation)

    @work(thread=True, exclusive=True, group="sample", exit_on_error=False)
    def _sample_worker(self, jobs: list, git_round: bool, generation: int) -> None:  # type: ignore[type-arg]
        self.post_message(Sampled(self.sampler.sample(jobs, git_round, generation)))

    async def on_sampled(self, msg: Sampled) -> None:
        s = msg.sample  # (the message bubbles on: the screen reads HEAD, the gate and Claude Code)
        if s.worktrees is not None and self.sup.discover(s.worktrees):
            await self.sync()
            self.post_message(AgentsChanged())
        elif s.worktrees is not None and self.live:
            self.watch_agents()  # a worktree deleted (or restored) since: watched again as it is
        for p in self.panes if s.generation == self.generation else ():  # (stale: gitui's generation check)
            parts = []
            if p.agent_name in s.stats:
                stats = s.stats[p.agent_name]
                if proc_line(p.run, stats) != proc_line(p.run, p.stats):  # (what the pane and row show)
                    parts.append("proc")
                p.stats = stats
            if p.agent_name in s.git and s.git[p.agent_name] != p.git:
                p.git = s.git[p.agent_name]
                parts.append("where")
            if p.agent_name in s.titles:  # Codex, Gemini: the title they set says their state
                sig = title_signal(p.run.spec.client if p.run.spec else None, s.titles[p.agent_name])
                old = self.titled.get(p.agent_name)
                if sig is not None and (old is None or old[:2] != sig):
                    self.titled[p.agent_name] = (*sig, time.time())
            if p.agent_name in s.tails:  # a tmux agent: its window changing is its output
                if p.tail_next is not None and s.tails[p.agent_name] != p.tail_next:
                    p.last_output = time.time()
                p.tail_next = s.tails[p.agent_name]
                parts.append("tail")
            if p.agent_name in s.outside and p.outside != s.outside[p.agent_name]:
                p.outside = s.outside[p.agent_name]
                parts.append("files")
            if p.activity_recent():  # the sparkline only moves while there is activity
                parts.append("files")
            if parts:
                self.mark(p, *parts)
        if self.live:
            self.arm_sampler()

    # ---------------------------------------------------------------- file activity
    def agent_roots(self) -> tuple[Path, ...]:
        main = self.sup.main_checkout
        return tuple(
            sorted(
                {
                    r.worktree
                    for r in self.sup.run_list()
                    if r.worktree is not None and r.worktree != main and os.path.isdir(r.worktree)
                }
            )
        )

    def watch_agents(self) -> None:
        roots = self.agent_roots()
        if roots == self.watched_roots and roots:
            return
        self.watched_roots = roots
        if roots:
            self._watch_worker(list(roots))

    @work(exclusive=True, group="watch-agents", exit_on_error=False)
    async def _watch_worker(self, roots: list[Path]) -> None:
        stop = asyncio.Event()
        try:
            async for batch in watch_worktrees(roots, stop, thread_nice=WATCHER_NICE):
                if batch:
                    self.post_message(FileActivity(batch))
        finally:
            stop.set()

    def on_file_activity(self, msg: FileActivity) -> None:  # (it bubbles on: the guard snapshots)
        by_root = {p.run.worktree: p for p in self.panes if p.run.worktree is not None}
        alerts = []
        for root, changes in msg.batch.items():
            p = by_root.get(root)
            if p is None:
                continue
            p.add_changes(changes)
            self.mark(p, "files", urgent=True)
            self.sampler.busy(p.agent_name)
            found = self.overlaps.note(p.agent_name, changes)
            alerts += found.alerts
            for name, note in found.notes.items():
                other = self.pane(name)
                if other is not None:
                    other.overlap = note
                    self.mark(other, "files")
        if alerts:
            self.post_message(GuardAlerts(alerts))  # the screen hands them to the guard panel

    # ---------------------------------------------------------------- paced redraws
    def mark(self, pane: AgentPane, *parts: str, urgent: bool = False) -> None:
        """Schedule parts of a pane for redrawing (see the module docstring)."""
        pane.pending.update(parts)
        self.redraw_due[pane] = None
        if urgent:
            self._urgent[pane] = None
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_at is not None or not self.is_attached:
            return
        gap = FLUSH_GAP if self._backlog else QUICK_GAP  # a lone change is drawn at once
        delay = max(0.0, self._last_flush + gap - time.monotonic())
        self._flush_at = time.monotonic() + delay
        if delay < 0.002:
            self.call_later(self._flush)  # (a Textual timer of 0 s divides by zero)
        else:
            self.set_timer(delay, self._flush, name="flush")

    def _flush(self) -> None:
        self._flush_at = None
        if not self.is_attached or self.app.screen is not self.screen:
            return  # covered: redrawn when the main screen is back (_screen_changed); or closing
        self._last_flush = time.monotonic()
        if self.is_list:  # rows are lines of one widget: every due row is drawn (a line each)
            self._draw_rows()
            return
        visible = visible_widgets(self.screen)
        total = 3 * PANES_PER_FLUSH  # a pane's one-line parts cost 1, its files / output / all 3
        routine = [p for p in self.redraw_due if p not in self._urgent]
        reserve = 3 if routine else 0  # under a flood of file events the stats still move
        spent, urgent_left = self._draw_round(list(self._urgent), total - reserve, visible)
        _, routine_left = self._draw_round(routine, total - spent, visible)
        self._backlog = urgent_left
        if urgent_left or routine_left:  # (panes off screen wait to be seen)
            self._schedule_flush()

    def _draw_rows(self) -> None:
        """The list layout's round: each due agent's row (one line), and the detail for the focused
        one — at most one detail redraw a round, so the file rate never sets the drawing rate."""
        now = time.monotonic()
        due, self.redraw_due, self._urgent = list(self.redraw_due), {}, {}
        waiting = False
        for p in due:
            if not p.is_mounted:
                continue
            detail = p.agent_name == self.highlighted and self.detail is not None and self.detail.is_mounted
            gap = DETAIL_GAP if detail else ROW_GAP
            if p.pending <= ROUTINE_PARTS and now - p.drawn_at < gap:  # drawn a moment ago: later
                self.redraw_due[p] = None
                waiting = True
                continue
            parts, p.pending = p.pending, set()
            p.drawn_at = now
            p.redraw(parts)  # (the row; and the detail's data, through _row_changed)
            if detail and self.detail is not None:
                self.detail.redraw(parts | {"log"})
        self._backlog = bool(due)  # (a busy round paces the next one to FLUSH_GAP)
        if waiting:
            self._schedule_flush()

    def _draw_round(self, panes: list[AgentPane], budget: int, visible: Container[object] | None) -> tuple[int, bool]:
        """Draw the visible *panes* in order while *budget* lasts: (budget spent, panes left)."""
        spent = 0
        for p in panes:
            if not p.is_mounted:
                self.redraw_due.pop(p, None)
                self._urgent.pop(p, None)
                continue
            if visible is not None and p not in visible:
                continue
            cost = 3 if p.pending & HEAVY_PARTS else 1
            if spent + cost > budget:
                return spent, True
            self.redraw_due.pop(p, None)
            self._urgent.pop(p, None)
            parts, p.pending = p.pending, set()
            p.redraw(parts)
            spent += cost
        return spent, False
