"""The supervisor app: a pane per agent, the gate, fire / stop / pause / shell."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult, ScreenStackError, SystemCommand
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static
from textual.widgets.option_list import Option

from ..core import journal
from ..core import repo as gitrepo
from ..core.claude import latest_burst
from ..core.errors import AgentTuiError
from ..core.guard import PARTS as GUARD_PARTS
from ..core.guard import Alert, Coverage, Guard
from ..core.models import HeadState, RepoPaths, Worktree
from ..core.procs import ProcSampler, ProcStats, processes_in
from ..core.supervisor import Supervisor
from ..core.tmux import TmuxPane
from ..core.watch import FileChange, watch_worktrees
from . import textual_fixes
from .collector import CollectorPacer
from .guardfeed import MAX_ALERTS, POLL, AlertFeed, GuardAlerts
from .literal import fmt
from .modals import AnnounceModal, ConflictModal
from .screens import RecoveryScreen
from .widgets import AgentPane, GitInfo, QuietFooter, short_path

textual_fixes.apply()

SAMPLE_INTERVAL = 2.0  # psutil + git sampling; file activity is live regardless


def _while_mounted(fn: Callable[..., Any]) -> Callable[..., Any]:
    """UI refreshes that late messages may trigger while the app tears its screen down."""

    if asyncio.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def awrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(self, *args, **kwargs)
            except (NoMatches, ScreenStackError):
                return None

        return awrapper

    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except (NoMatches, ScreenStackError):
            return None

    return wrapper
GIT_INTERVAL = 2.0
GIT_PER_ROUND = 8
TICK = 0.5
WATCHER_NICE = 19  # the agents' file watcher thread: the UI thread answers keys first
INPUT_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)
FLUSH_GAP = 0.2  # seconds between pane redraw rounds under a flood of changes
HEAVY_PARTS = frozenset({"files", "log", "tail", "all"})
QUICK_GAP = 0.02  # ... and when the last round drew every visible pane that was due
PANES_PER_FLUSH = 3  # panes drawn per round: each pane costs a few ms of Textual rendering


@dataclass(frozen=True)
class SampleJob:
    name: str
    pid: int | None
    worktree: Path | None
    want_git: bool
    tmux: TmuxPane | None = None


class Sampled(Message):
    def __init__(self, stats: dict[str, ProcStats | None], git: dict[str, GitInfo],
                 worktrees: list[Worktree] | None, revoke: str | None, claude: str | None = None,
                 tails: dict[str, list[str]] | None = None, head: HeadState | None = None) -> None:
        super().__init__()
        self.head = head
        self.stats, self.git, self.worktrees, self.revoke = stats, git, worktrees, revoke
        self.claude = claude
        self.tails = tails or {}


class FileActivity(Message):
    def __init__(self, batch: dict[Path, list[FileChange]]) -> None:
        super().__init__()
        self.batch = batch


class PlanChanged(Message):
    pass


class MainScreen(Screen[Any]):
    """The supervisor's screen.  Textual repaints a whole screen when its focus moves; the panes that
    gain and lose focus repaint themselves, so here it does not (a full frame of 32 panes per arrow
    key was most of the key's latency under load, bench_keys)."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def _screen_resized(self, size: Size) -> None:
        """Textual lays out every screen under a new modal again when the modal gets its first
        Resize, at the same size: 32 panes arranged for nothing on each palette open."""
        if size == self._size and not self._layout_required:
            return
        super()._screen_resized(size)


class AgentTuiApp(App[int]):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses live elsewhere
    PANE = AgentPane  # the pane class (benchmarks subclass it to time drawing)
    TITLE = "agenttui"
    BINDINGS = [
        Binding("a", "announce", "Announce"),
        Binding("f", "fire", "Fire"),
        Binding("s", "stop", "Stop"),
        Binding("p", "pause", "Pause/resume"),
        Binding("o", "shell", "Shell"),
        Binding("enter", "enter", "Tmux window"),
        Binding("g", "guard", "Guard"),
        Binding("m", "conflicts", "Conflicts"),
        Binding("r", "recover", "Recovery"),
        Binding("q", "quit", "Quit"),
        Binding("left", "move(-1, 0)", "Left", show=False),
        Binding("right", "move(1, 0)", "Right", show=False),
        Binding("up", "move(0, -1)", "Up", show=False),
        Binding("down", "move(0, 1)", "Down", show=False),
    ]

    def __init__(self, paths: RepoPaths, plan_path: Path | None, *, recover: bool = False,
                 live: bool = True, now: float | None = None, unsafe_demo: bool = False) -> None:
        super().__init__()
        self.paths = paths
        self.sup = Supervisor(paths, plan_path)
        self.start_in_recovery = recover
        self.now = now  # pinned clock for snapshot tests
        self.unsafe_demo = unsafe_demo  # `agenttui demo --incident --unsafe` only: no gate
        self.live = live  # False in snapshot tests: no timers, watchers or samplers
        self.sampler = ProcSampler()
        self._firing = False
        self._announcing = False
        self._last_git = 0.0
        self._git_due: set[str] = set()
        self._git_rounds = 0
        self._watched: tuple[Path, ...] = ()
        self._columns = 2
        self.guard: Guard | None = None
        self.alerts: dict[int, Alert] = {}
        self._guard_pending = False
        self._guard_running = False
        self._guard_parts: set[str] = set()
        self._guard_reconcile = False
        self._armed_by_fire = False
        self._last_toast = 0.0
        self._texts: dict[str, tuple[object, ...]] = {}
        self._redraw_due: dict[AgentPane, None] = {}  # insertion-ordered: drawn round robin
        self._flush_at: float | None = None
        self._last_flush = 0.0
        self._backlog = False  # the last round left visible panes undrawn: pace the next one
        self._urgent: dict[AgentPane, None] = {}  # panes with live file activity to draw first
        self._binding_key: tuple[object, ...] = ()
        self.head: HeadState | None = None
        self.coverage: Coverage | None = None
        self._journal_offset = 0
        self._claude_records: list[dict[str, object]] = []
        self.claude_sentence: str | None = None
        self._touched: dict[str, dict[str, float]] = {}  # relative path -> {agent: time}
        self._overlap_paths: dict[tuple[str, str], dict[str, None]] = {}
        self._overlap_alerts: dict[tuple[str, str], Alert] = {}
        self._pane_cache: list[AgentPane] | None = None
        self._feed_dirty = False
        self._feed_drawn = 0.0
        self.collector: CollectorPacer | None = None
        self._collect_handle: asyncio.TimerHandle | None = None

    # ---------------------------------------------------------------- crash
    crash_log: Path | None = None
    crash_line: str | None = None

    def _fatal_error(self) -> None:
        """An unhandled exception: the traceback goes to a log file, the terminal gets one line
        naming it, and the process exits 3 (Textual's default prints a screenful and exits 0).
        Textual calls this inside the ``except`` that caught the error (see textual_compat)."""
        import sys
        import traceback

        exc = sys.exc_info()[1]
        self.crash_line = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"
        self.crash_log = write_crash_log(self.paths, traceback.format_exc())
        self.panic(Text(f"agenttui: internal error: {self.crash_line.splitlines()[0] if self.crash_line else ''}"
                        f" (traceback in {self.crash_log})"))

    # ---------------------------------------------------------------- input
    async def on_event(self, event: events.Event) -> None:
        if self.collector is not None and isinstance(event, INPUT_EVENTS) and not event.is_forwarded:
            self.collector.input()  # a due full collection waits until input is quiet, then runs
            if self._collect_handle is not None:
                self._collect_handle.cancel()
            self._collect_handle = asyncio.get_running_loop().call_later(self.collector.quiet, self.collector.tick)
        await super().on_event(event)

    # ---------------------------------------------------------------- layout
    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield Static(id="header")
        yield Static(id="gate")
        yield Static(id="notice")
        yield VerticalScroll(id="panes")
        yield from self.compose_feed()
        yield QuietFooter()

    @property
    def panes(self) -> list[AgentPane]:
        if self._pane_cache is None:  # a DOM query per call showed up in profiles under load
            self._pane_cache = list(self.query(AgentPane))
        return self._pane_cache

    def pane(self, name: str) -> AgentPane | None:
        for p in self.panes:
            if p.agent_name == name:
                return p
        return None

    async def on_mount(self) -> None:
        with contextlib.suppress(AgentTuiError):
            if self.sup.main_checkout:
                self.head = gitrepo.head_state(self.sup.main_checkout)
        self._discover_now()
        await self._sync_panes()
        self.setup_guard()
        self.refresh_header()
        if self.sup.plan_error:
            self.say(f"plan: {self.sup.plan_error}", error=True)
        if self.panes:
            self.panes[0].focus()
        self.screen_change_signal.subscribe(self, self._on_screen_change)
        self.watch(self.query_one("#panes"), "scroll_y", self._panes_scrolled, init=False)
        if self.live:
            self.set_interval(TICK, self.tick)
            self.set_interval(POLL, self.guard_poll)
            self.arm_sampler(0.05)
            self.watch_agents()
            if self.sup.plan_path is not None:
                self.watch_plan()
        if self.start_in_recovery:
            self.push_screen(RecoveryScreen(self.paths, now=self.now))

    def _on_screen_change(self, screen: Screen[Any]) -> None:
        """Back on the main screen: redraw what changed while it was covered."""
        if screen is not self.screen_stack[0]:
            return
        for p in self.panes:
            if p.thaw_due and p.is_mounted:
                p.thaw_due = False
                self.mark(p, "all", "log")
        self._schedule_flush()

    def _discover_now(self) -> None:
        with contextlib.suppress(AgentTuiError):
            self.sup.discover(gitrepo.list_worktrees(self.paths))

    async def _sync_panes(self) -> None:
        self._pane_cache = None
        container = self.query_one("#panes", VerticalScroll)
        have = {p.agent_name: p for p in self.panes}
        new = [self.PANE(run) for name, run in self.sup.runs.items() if name not in have]
        for name, p in have.items():
            if name not in self.sup.runs:
                await p.remove()
            elif p.run is not self.sup.runs[name]:
                p.run = self.sup.runs[name]
                p.refresh_all()
        if new:
            await container.mount_all(new)
        self._pane_cache = None
        self.set_class(not self.sup.runs, "-empty")
        self._layout_grid()

    def on_resize(self) -> None:
        self._layout_grid()

    @_while_mounted
    def _layout_grid(self) -> None:
        width = self.size.width or 120
        n = max(1, len(self.sup.runs))
        self._columns = max(1, min(n, width // 56, 4))
        self.query_one("#panes").styles.grid_size_columns = self._columns

    @_while_mounted
    def refresh_header(self) -> None:
        """Rendered from cached state only: the UI thread never runs git (the sampler reads HEAD).
        Every value goes in as a template variable: shown literally (see literal.py)."""
        h = self.head
        c = self.sup.gate.confirmation
        if self.unsafe_demo:
            gate = "[b reverse $error] UNSAFE INCIDENT DEMO: the isolation gate is OFF — f replays the incident [/]"
        elif c is not None:
            gate = "[b $success]$sentence[/]"
        elif self.sup.gate.revoked_reason:
            gate = "[b $warning]not announced[/] [dim](revoked: $revoked)[/]"
        else:
            gate = "[b $warning]not announced[/]"
        running, exited = self.sup.counts()
        self._set_text("#header",
                       "[b]agenttui[/b]  [dim]agents[/] $running running · $exited exited  "
                       "[dim]on[/] $branch  [dim]plan[/] $plan  [dim]repo[/] $repo",
                       running=running, exited=exited, branch=h.describe if h else "-",
                       plan=self.sup.plan_path.name if self.sup.plan_path else "no plan",
                       repo=short_path(self.sup.main_checkout or self.paths.common_dir))
        guard = "[b $error]armed[/]" if self.armed else "[dim]disarmed[/]"
        claude = ""
        if self.claude_sentence:
            style = "$error" if "denied" in self.claude_sentence else "$success"
            claude = f"  [dim]claude[/] [{style}]$claude[/]"
        degraded = self.coverage is not None and self.coverage.degraded and self.armed
        if degraded:
            guard += " [b $warning]($coverage)[/]"
        self._set_text("#gate", f"[dim]guard[/] {guard}  [dim]gate[/] {gate}{claude}",
                       sentence=c.sentence if c else "", revoked=self.sup.gate.revoked_reason or "",
                       claude=self.claude_sentence or "",
                       coverage=self.coverage.describe() if degraded and self.coverage else "")

    def _set_text(self, selector: str, template: str, **values: object) -> None:
        key = (template, *sorted((k, str(v)) for k, v in values.items()))
        if self._texts.get(selector) != key:
            self._texts[selector] = key
            self.query_one(selector, Static).update(fmt(template, **values), layout=False)

    @_while_mounted
    def say(self, text: str, *, error: bool = False) -> None:
        notice = self.query_one("#notice", Static)
        notice.update(Content(text))
        notice.set_class(error, "-error")
        self.notify(text, severity="error" if error else "information", timeout=4, markup=False)

    # ---------------------------------------------------------------- gate
    SUPERVISOR_ACTIONS = frozenset({"announce", "fire", "stop", "pause", "shell", "recover", "move",
                                    "guard", "conflicts", "enter"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.SUPERVISOR_ACTIONS and isinstance(self.screen, RecoveryScreen):
            return False  # the recovery screen has its own keys
        if action == "fire" and self.unsafe_demo:
            return True if not self.sup.fired and not self._firing else None
        if action == "fire":
            c = self.sup.gate.confirmation
            ok = (c is not None and not self._firing and not self.sup.fired
                  and self.sup.gate.is_open(self.sup.plan.fingerprint))
            return True if ok else None
        if action == "enter":
            p = self.focused_run()
            return bool(p is not None and p.run.tmux is not None)
        if action in ("stop", "pause"):
            return True if self.focused_run() is not None or self.alert_agents() else None
        if action == "shell":
            return True if self.focused_run() is not None else None
        return True

    def action_announce(self) -> None:
        if self._announcing:
            return
        if self.sup.plan_error:
            self.say(f"cannot announce: {self.sup.plan_error}", error=True)
            return
        self._announcing = True
        self._announce_worker()

    @work(thread=True, exclusive=True, group="announce", exit_on_error=False)
    def _announce_worker(self) -> None:
        try:
            verdict = self.sup.announce()
        except AgentTuiError as exc:
            self.call_from_thread(self._announce_failed, exc.message)
            return
        self.call_from_thread(self._show_verdict, verdict)

    def _announce_failed(self, message: str) -> None:
        self._announcing = False
        self.say(f"announce failed: {message}", error=True)

    def _show_verdict(self, verdict: object) -> None:
        self._announcing = False
        from ..core.check import Verdict

        assert isinstance(verdict, Verdict)
        self.push_screen(AnnounceModal(self.sup.plan, verdict), self._after_announce)

    def _after_announce(self, answer: str | None) -> None:
        if answer is None:
            self.say("announcement cancelled: fire stays disabled")
        else:
            try:
                c = self.sup.confirm(serial=answer == "serial")
            except AgentTuiError as exc:
                self.say(exc.message, error=True)
            else:
                self.say(f"confirmed: {c.sentence} — press f to fire")
        self.refresh_header()
        self.refresh_bindings()

    def action_fire(self) -> None:
        # check_action greys the key out; core enforces the gate again inside fire().
        if self._firing:
            return
        self._firing = True
        self.refresh_bindings()
        self._fire_worker()

    @work(thread=True, exclusive=True, group="fire", exit_on_error=False)
    def _fire_worker(self) -> None:
        try:
            messages = self.sup.fire_unsafe_demo() if self.unsafe_demo else self.sup.fire()
            error = None
        except AgentTuiError as exc:
            messages, error = [], exc.message
        self.call_from_thread(self._fired, messages, error)  # type: ignore[arg-type]

    async def _fired(self, messages: list[str], error: str | None) -> None:
        self._firing = False
        if error:
            self.say(f"not fired: {error}", error=True)
        else:
            self.say("fired: " + ("; ".join(messages) if messages else
                                  f"{len(self.sup.plan.agents)} agents launched"))
            if not self.armed:
                self.arm_guard(by_fire=True)
        self._discover_now()
        await self._sync_panes()
        for p in self.panes:
            p.refresh_all()
            self._git_due.add(p.agent_name)
        self.refresh_header()
        self.refresh_bindings()
        if self.live:
            self.watch_agents()

    # ---------------------------------------------------------------- agent actions
    def focused_run(self) -> AgentPane | None:
        f = self.focused
        while f is not None and not isinstance(f, AgentPane):
            f = f.parent  # type: ignore[assignment]
        return f if isinstance(f, AgentPane) else None

    def _on_targets(self, op: Callable[[str], str]) -> None:
        """Apply *op* to the highlighted agent, or to the suspect agents of the highlighted alert."""
        p = self.focused_run()
        for name in [p.agent_name] if p is not None else self.alert_agents():
            self.say(op(name))
            pane = self.pane(name)
            if pane is not None:
                pane.refresh_title()

    def action_stop(self) -> None:
        self._on_targets(self.sup.stop)

    def action_pause(self) -> None:
        self._on_targets(self.sup.toggle_pause)

    def action_shell(self) -> None:
        p = self.focused_run()
        if p is None or p.run.worktree is None or not os.path.isdir(p.run.worktree):
            self.say("no worktree to open a shell in", error=True)
            return
        cwd = p.run.worktree
        shell = os.environ.get("SHELL") or shutil.which("bash") or "/bin/sh"
        if os.environ.get("TMUX") and shutil.which("tmux"):
            subprocess.run(["tmux", "new-window", "-c", str(cwd), "-n", p.agent_name[:20]],
                           check=False, capture_output=True)
            self.say(f"opened a tmux window in {cwd}")
            return
        with self.suspend():
            print(f"agenttui: shell in {cwd} — exit to return")
            subprocess.run([shell], cwd=cwd, check=False)

    def action_enter(self) -> None:
        """A tmux-hosted agent: switch to its window (or say how to attach from outside tmux)."""
        p = self.focused_run()
        if p is None or p.run.tmux is None:
            self.say("enter switches to an agent's tmux window (runner = \"tmux\" agents only)")
            return
        from ..core import tmux

        try:
            self.say(tmux.focus(p.run.tmux))
        except AgentTuiError as exc:
            self.say(exc.message, error=True)

    def action_conflicts(self) -> None:
        main = self.sup.main_checkout
        branches = {r.name: r.branch for r in self.sup.runs.values()
                    if r.branch and r.worktree and r.worktree != main}
        if len(branches) < 1:
            self.say("no agent branches to compare yet")
            return
        bases = {r.name: (r.spec.base if r.spec else "HEAD") for r in self.sup.runs.values()
                 if r.name in branches}
        self.say("predicting merge conflicts…")
        self._conflict_worker(branches, bases)  # type: ignore[arg-type]

    @work(thread=True, exclusive=True, group="conflicts", exit_on_error=False)
    def _conflict_worker(self, branches: dict[str, str], bases: dict[str, str]) -> None:
        from ..core.conflicts import predict

        names = sorted(branches)
        cells: dict[tuple[str, str], str] = {}
        details: list[str] = []
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                p = predict(self.paths, branches[a], branches[b])
                cells[(a, b)] = p.cell
                if p.clean is False:
                    details.append(f"{a} × {b}: {', '.join(p.files[:5])}")
            p = predict(self.paths, bases[a], branches[a])
            cells[(a, "base")] = p.cell
            if p.clean is False:
                details.append(f"{a} × its base {bases[a]}: {', '.join(p.files[:5])}")
        self.call_from_thread(self.push_screen, ConflictModal(names, cells, details))

    def action_recover(self) -> None:
        if not isinstance(self.screen, RecoveryScreen):
            self.push_screen(RecoveryScreen(self.paths, now=self.now))

    def action_move(self, dx: int, dy: int) -> None:
        panes = self.panes
        if not panes:
            return
        cur = self.focused_run()
        i = panes.index(cur) if cur in panes else 0
        j = min(max(0, i + dx + dy * self._columns), len(panes) - 1)
        panes[j].focus()
        panes[j].scroll_visible()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:  # type: ignore[override]
        yield from super().get_system_commands(screen)
        yield SystemCommand("Announce", "Run the isolation check and show the announcement",
                            self.action_announce)
        yield SystemCommand("Fire", "Dispatch the planned agents (after a confirmed announcement)",
                            self.action_fire)
        yield SystemCommand("Stop agent", "SIGTERM, then SIGKILL, the highlighted agent's tree",
                            self.action_stop)
        yield SystemCommand("Pause / resume agent", "SIGSTOP / SIGCONT the highlighted agent's tree",
                            self.action_pause)
        yield SystemCommand("Open shell", "A shell in the highlighted agent's worktree",
                            self.action_shell)
        yield SystemCommand("Arm / disarm the guard", "Watch the main checkout for mutations",
                            self.action_guard)
        yield SystemCommand("Predict merge conflicts", "git merge-tree between every pair of agent branches",
                            self.action_conflicts)
        yield SystemCommand("Recovery", "Stashes, branches and worktrees", self.action_recover)

    # ---------------------------------------------------------------- live updates
    @_while_mounted
    def tick(self) -> None:
        if self.collector is not None:
            self.collector.tick()
        if not self._firing:
            ended = self.sup.poll()
            if len(ended) > 2:  # many agents ending together: one notice, not a toast each
                self.say("; ".join(ended[:2]) + f"; and {len(ended) - 2} more agents ended")
            else:
                for line in ended:
                    self.say(line)
            if self._armed_by_fire and self.sup.fired and self.sup.counts()[0] == 0:
                self.disarm_guard("the last agent exited")
        for p in self.panes:
            if p.log_grew():
                self.mark(p, "log")
            if p.run.state_text != p._last_state:
                p.refresh_title()
        if self._redraw_due:  # e.g. panes scrolled into view since the last round
            self._schedule_flush()
        self.refresh_header()
        c = self.sup.gate.confirmation
        key = (id(c) if c else None, self.sup.fired, self._firing, self.sup.plan.fingerprint, self.armed,
               self.sup.counts())
        if key != self._binding_key:  # rebuilding the footer 4 times a second costs real CPU
            self._binding_key = key
            self.refresh_bindings()

    def mark(self, pane: AgentPane, *parts: str, urgent: bool = False) -> None:
        """Schedule parts of a pane for redrawing.  Drawing is what costs under load (Textual renders
        every changed line), so redraws are paced: a quiet pane is drawn at once, and under a flood
        a round every FLUSH_GAP seconds draws a budget of visible panes, oldest first.  *urgent*
        (live file activity) goes before the routine refresh of stats; a pane off screen keeps its
        parts until it is scrolled into view."""
        pane.pending.update(parts)
        self._redraw_due[pane] = None
        if urgent:
            self._urgent[pane] = None
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_at is not None:
            return
        gap = FLUSH_GAP if self._backlog else QUICK_GAP  # a lone change is drawn at once
        delay = max(0.0, self._last_flush + gap - time.monotonic())
        self._flush_at = time.monotonic() + delay
        if delay < 0.002:
            self.call_later(self._flush)  # (a Textual timer of 0 s divides by zero)
        else:
            self.set_timer(delay, self._flush, name="flush")

    @_while_mounted
    def _flush(self) -> None:
        self._flush_at = None
        if len(self.screen_stack) != 1:
            return  # covered: redrawn when the main screen is back (_on_screen_change); or closing
        self._last_flush = time.monotonic()
        # widget.is_on_screen is true for panes scrolled out of view too: ask the compositor
        visible = self.screen._compositor.visible_widgets
        total = 3 * PANES_PER_FLUSH  # a pane's one-line parts cost 1, its files / output / all 3
        routine = [p for p in self._redraw_due if p not in self._urgent]
        reserve = 3 if routine else 0  # under a flood of file events the stats still move
        spent, urgent_left = self._draw_round(list(self._urgent), total - reserve, visible)
        _, routine_left = self._draw_round(routine, total - spent, visible)
        if self._feed_dirty and time.monotonic() - self._feed_drawn > 0.25:
            self._feed_dirty = False
            self._feed_drawn = time.monotonic()
            self.render_feed()
        self._backlog = urgent_left
        if urgent_left or routine_left or self._feed_dirty:  # (panes off screen wait to be seen)
            self._schedule_flush()

    def _draw_round(self, panes: list[AgentPane], budget: int, visible: Container[object]) -> tuple[int, bool]:
        """Draw the visible *panes* in order while *budget* lasts: (budget spent, panes left)."""
        spent = 0
        for p in panes:
            if not p.is_mounted:
                self._redraw_due.pop(p, None)
                self._urgent.pop(p, None)
                continue
            if p not in visible:
                continue
            cost = 3 if p.pending & HEAVY_PARTS else 1
            if spent + cost > budget:
                return spent, True
            self._redraw_due.pop(p, None)
            self._urgent.pop(p, None)
            parts, p.pending = p.pending, set()
            p.redraw(parts)
            spent += cost
        return spent, False

    def _panes_scrolled(self, _y: float) -> None:
        """Panes scrolled into view draw what they missed."""
        if self._redraw_due:
            self._schedule_flush()

    def arm_sampler(self, delay: float = SAMPLE_INTERVAL) -> None:
        self.set_timer(delay, self._start_sample)

    def _start_sample(self) -> None:
        now = time.monotonic()
        git_round = now - self._last_git >= GIT_INTERVAL
        due: set[str] = set()
        if git_round:
            self._last_git = now
            self._git_rounds += 1
            # at most 8 busy worktrees a round (4 git calls each); the rest wait for the next one
            due = set(sorted(self._git_due)[:GIT_PER_ROUND])
            self._git_due -= due
        full = self._git_rounds % 15 == 1  # every 15th git round (30 s) refreshes every pane
        jobs = [
            SampleJob(r.name, r.pid if r.alive else None, r.worktree,
                      git_round and (full or r.name in due), r.tmux)
            for r in self.sup.runs.values()
        ]
        self._sample_worker(jobs, git_round)

    @work(thread=True, exclusive=True, group="sample", exit_on_error=False)
    def _sample_worker(self, jobs: list[SampleJob], git_round: bool) -> None:
        stats: dict[str, ProcStats | None] = {}
        gitinfo: dict[str, GitInfo] = {}
        worktrees: list[Worktree] | None = None
        revoke: str | None = None
        claude: str | None = None
        head: HeadState | None = None
        tails: dict[str, list[str]] = {}
        try:
            for j in jobs:
                if j.tmux is not None:
                    from ..core import tmux

                    tails[j.name] = tmux.capture(j.tmux)
            folders = [j.worktree for j in jobs if j.worktree is not None and j.pid is None]
            inside = processes_in(folders, exclude={os.getpid()}) if folders else {}
            for j in jobs:
                if j.pid is not None:
                    stats[j.name] = self.sampler.sample(j.pid)
                elif j.worktree is not None and inside.get(j.worktree):
                    pids = inside[j.worktree]
                    stats[j.name] = self.sampler.sample(pids[0], tuple(pids[1:]))
                else:
                    stats[j.name] = None
            if git_round:
                worktrees = gitrepo.list_worktrees(self.paths)
                main_sha = None
                if self.sup.main_checkout:
                    head = gitrepo.head_state(self.sup.main_checkout)
                    main_sha = head.sha
                for j in jobs:
                    if j.want_git and j.worktree is not None and os.path.isdir(j.worktree):
                        gitinfo[j.name] = self._git_info(j.worktree, main_sha)
                revoke = self.sup.revalidate()
                claude = self._claude_sentence()
            self.sampler.forget_dead()
        except AgentTuiError:
            pass
        self.post_message(Sampled(stats, gitinfo, worktrees, revoke, claude, tails, head))

    def _claude_sentence(self) -> str | None:
        """The announcement for Claude Code's latest burst of subagent dispatches (hook journal)."""
        records, self._journal_offset = journal.read_from(self.paths, self._journal_offset)
        self._claude_records.extend(r for r in records if r.get("event") == "claude-code-dispatch")
        del self._claude_records[:-500]
        burst = latest_burst(self._claude_records)
        if burst is None or time.time() - burst.end > 600:
            return None
        return burst.sentence

    @staticmethod
    def _git_info(worktree: Path, base_sha: str | None) -> GitInfo:
        try:
            h = gitrepo.head_state(worktree)
            ahead = None
            if h.sha and base_sha:
                from ..core import gitcmd

                st, out, _ = gitcmd.run(worktree, ["rev-list", "--count", f"{base_sha}..HEAD"],
                                        check=False)
                ahead = int(out.strip()) if st == 0 and out.strip().isdigit() else None
            return GitInfo(h.branch, h.sha, ahead, gitrepo.dirty_count(worktree))
        except AgentTuiError:
            return GitInfo(None, None, None, None)

    @_while_mounted
    async def on_sampled(self, msg: Sampled) -> None:
        if msg.worktrees is not None and self.sup.discover(msg.worktrees):
            await self._sync_panes()
            self.watch_agents()
        for p in self.panes:
            parts = []
            if p.agent_name in msg.stats:
                p.stats = msg.stats[p.agent_name]
                parts.append("proc")
            if p.agent_name in msg.git:
                p.git = msg.git[p.agent_name]
                parts.append("where")
            if p.agent_name in msg.tails:
                p.tail_next = msg.tails[p.agent_name]
                parts.append("tail")
            if p.activity_recent():  # the sparkline only moves while there is activity
                parts.append("files")
            if parts:
                self.mark(p, *parts)
        if msg.revoke:
            self.say(msg.revoke, error=True)
            self.refresh_bindings()
        if msg.claude != self.claude_sentence:
            self.claude_sentence = msg.claude
        if msg.head is not None:
            self.head = msg.head
        self.refresh_header()
        self.arm_sampler()

    # ---------------------------------------------------------------- watchers
    def agent_roots(self) -> tuple[Path, ...]:
        main = self.sup.main_checkout
        roots = {r.worktree for r in self.sup.runs.values()
                 if r.worktree is not None and r.worktree != main and os.path.isdir(r.worktree)}
        return tuple(sorted(roots))

    def watch_agents(self) -> None:
        roots = self.agent_roots()
        if roots == self._watched and roots:
            return
        self._watched = roots
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

    @_while_mounted
    def on_file_activity(self, msg: FileActivity) -> None:
        by_root = {p.run.worktree: p for p in self.panes if p.run.worktree is not None}
        overlaps: list[Alert] = []
        for root, changes in msg.batch.items():
            p = by_root.get(root)
            if p is not None:
                p.add_changes(changes)
                self.mark(p, "files", urgent=True)
                self._git_due.add(p.agent_name)
                overlaps += self._note_overlaps(p.agent_name, changes)
        if overlaps:
            self.post_message(GuardAlerts(overlaps))

    def _note_overlaps(self, agent: str, changes: list[FileChange]) -> list[Alert]:
        """Two agents changing the same path in their worktrees: both panes and the feed say so.
        One alert per pair of agents, grown as more shared paths turn up (agents that touch the
        same thousands of files must not flood the feed)."""
        from dataclasses import replace

        from ..core.guard import new_alert

        grown: dict[tuple[str, str], Alert] = {}
        for c in changes:
            who = self._touched.setdefault(c.path, {})
            first = agent not in who
            who[agent] = c.time
            if not first:
                continue
            for other in who:
                if other == agent:
                    continue
                pair = (min(agent, other), max(agent, other))
                paths = self._overlap_paths.setdefault(pair, {})  # insertion-ordered set
                if c.path in paths:
                    continue
                paths[c.path] = None
                old = self._overlap_alerts.get(pair)
                n = len(paths)
                first3 = list(itertools.islice(paths, 3))
                text = (f"'{pair[0]}' and '{pair[1]}' both changed {c.path}" if n == 1 else
                        f"'{pair[0]}' and '{pair[1]}' both changed {n} paths: {', '.join(first3)}"
                        + (" …" if n > 3 else ""))
                alert = (replace(old, text=text, paths=tuple(itertools.islice(paths, 500))) if old is not None else
                         new_alert("overlap", text, paths=(c.path,), agents=pair))
                self._overlap_alerts[pair] = grown[pair] = alert
                for me, them in ((pair[0], pair[1]), (pair[1], pair[0])):
                    pane = self.pane(me)
                    if pane is not None:
                        pane.overlap = f"{c.path} also changed by {them}"
                        self.mark(pane, "files")
        if len(self._touched) > 20_000:
            self._touched.clear()
        return list(grown.values())

    @work(exclusive=True, group="watch-plan", exit_on_error=False)
    async def watch_plan(self) -> None:
        import watchfiles

        plan = self.sup.plan_path
        assert plan is not None
        target = plan.resolve()
        stop = asyncio.Event()
        async for changes in watchfiles.awatch(
            plan.parent, recursive=False, debounce=50, step=20, stop_event=stop,
            watch_filter=lambda _c, p: Path(p).resolve() == target,
        ):
            if changes:
                self.post_message(PlanChanged())

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
        await self._sync_panes()
        self.refresh_header()
        self.refresh_bindings()


    # ---------------------------------------------------------------- guard
    def compose_feed(self) -> ComposeResult:
        feed = AlertFeed(id="alerts")
        feed.border_title = "Guard: disarmed"
        yield feed

    def setup_guard(self) -> None:
        self.alerts = {}
        self._guard_pending = False
        self._guard_running = False
        self._armed_by_fire = False
        main = self.sup.main_checkout
        self.guard = None
        if main is not None:
            self.guard = Guard(self.paths, main, ignore=self.sup.plan.guard_ignore,
                               plan_branches=self.plan_branches(), plan_worktrees=self.plan_worktrees())

    def plan_branches(self) -> frozenset[str]:
        return frozenset(r.branch for r in self.sup.runs.values()
                         if r.source == "plan" and r.branch and r.worktree != self.sup.main_checkout)

    def plan_worktrees(self) -> frozenset[str]:
        return frozenset(str(r.worktree) for r in self.sup.runs.values()
                         if r.source == "plan" and r.worktree and r.worktree != self.sup.main_checkout)

    @property
    def armed(self) -> bool:
        return self.guard is not None and self.guard.armed

    def arm_guard(self, *, by_fire: bool = False) -> None:
        if self.guard is None:
            self.say("no main checkout to guard", error=True)
            return
        self.guard.plan_branches = self.plan_branches()
        self.guard.plan_worktrees = self.plan_worktrees()
        self.guard.ignore = self.sup.plan.guard_ignore
        self.guard.refresh_nested()
        self.guard.arm()
        self._armed_by_fire = by_fire
        self.sup._journal("guard-arm", by_fire=by_fire)
        if self.live:
            self._guard_watch(self.guard.main)
            self._coverage_worker([self.guard.main, *self.agent_roots()])
        self._feed_title()

    @work(thread=True, exclusive=True, group="guard-coverage", exit_on_error=False)
    def _coverage_worker(self, roots: list[Path]) -> None:
        from ..core.guard import coverage

        cov = coverage(roots)
        self.call_from_thread(self._coverage_done, cov)

    def _coverage_done(self, cov: Any) -> None:
        self.coverage = cov
        if cov.degraded:
            self.say(cov.describe(), error=True)
        self.refresh_header()
        self._feed_title()

    def disarm_guard(self, reason: str) -> None:
        if self.guard is None or not self.guard.armed:
            return
        self.guard.disarm()
        self._armed_by_fire = False
        self.workers.cancel_group(self, "guard-watch")
        self.sup._journal("guard-disarm", reason=reason)
        self.say(f"guard disarmed: {reason}")
        self._feed_title()

    def action_guard(self) -> None:
        if self.armed:
            self.disarm_guard("by hand")
        else:
            self.arm_guard()
            self.say("guard armed: watching the main checkout")
        self.refresh_header()

    @_while_mounted
    def _feed_title(self) -> None:
        feed = self.query_one("#alerts", AlertFeed)
        state = "armed" if self.armed else "disarmed"
        degraded = " · DEGRADED COVERAGE" if self.coverage is not None and self.coverage.degraded else ""
        feed.border_title = f"Guard: {state}{degraded} · {len(self.alerts)} alerts"
        feed.set_class(self.armed, "-armed")

    # ---------------------------------------------------------------- watching
    @work(exclusive=True, group="guard-watch", exit_on_error=False)
    async def _guard_watch(self, main: Path) -> None:
        """The main checkout's own watcher (never shared with agent worktrees)."""
        import watchfiles

        guard = self.guard
        assert guard is not None
        objects = os.sep + os.path.join(".git", "objects") + os.sep
        stop = asyncio.Event()
        try:
            async for changes in watchfiles.awatch(
                main, watch_filter=lambda _c, p: objects not in p, debounce=10, step=5,
                stop_event=stop, recursive=True,
            ):
                files: list[str] = []
                parts: set[str] = set()
                for _change, path in changes:
                    if guard.is_git_path(path):
                        parts |= guard.git_parts(path)
                    else:
                        rel = guard.relevant_file(path)
                        if rel is not None:
                            files.append(rel)
                if files:
                    alert = guard.on_files(files)
                    if alert is not None:
                        self.post_message(GuardAlerts([alert]))
                if parts:
                    self.request_guard_git(frozenset(parts))
        finally:
            stop.set()

    def request_guard_git(self, parts: frozenset[str] = GUARD_PARTS) -> None:
        """At most one snapshot read in flight; a request meanwhile reruns it once after."""
        self._guard_parts |= parts
        if self._guard_running:
            self._guard_pending = True
            return
        self._guard_running = True
        self._guard_git_worker()

    def guard_poll(self) -> None:
        """Every 2 s: the whole snapshot, and the git-status re-check for missed file events."""
        if self.armed:
            self._guard_reconcile = True
            self.request_guard_git()

    @work(thread=True, exclusive=False, group="guard-git", exit_on_error=False)
    def _guard_git_worker(self) -> None:
        guard = self.guard
        assert guard is not None
        try:
            while True:
                self._guard_pending = False
                parts, self._guard_parts = frozenset(self._guard_parts), set()
                alerts = guard.on_git(parts or GUARD_PARTS)
                if alerts:
                    self.post_message(GuardAlerts(alerts))
                if self._guard_reconcile:
                    self._guard_reconcile = False
                    missed = guard.reconcile()
                    if missed is not None:
                        self.post_message(GuardAlerts([missed]))
                if not self._guard_pending:
                    break
        except AgentTuiError:
            pass
        finally:
            self._guard_running = False

    # ---------------------------------------------------------------- alerts
    @_while_mounted
    def on_guard_alerts(self, msg: GuardAlerts) -> None:
        fresh = [a for a in msg.alerts if a.id not in self.alerts]
        for a in msg.alerts:
            old = self.alerts.get(a.id)
            if old is not None and old.suspects and not a.suspects:
                from dataclasses import replace

                a = replace(a, suspects=old.suspects, suspect_pids=old.suspect_pids, agents=old.agents)
            self.alerts[a.id] = a
        while len(self.alerts) > MAX_ALERTS:
            self.alerts.pop(next(iter(self.alerts)))
        now = time.monotonic()
        if not self.live or now - self._feed_drawn > 0.25:
            self._feed_drawn = now
            self.render_feed()  # a lone alert shows at once
        else:
            self._feed_dirty = True  # a flood is redrawn by _flush, 4 times a second at most
            self._schedule_flush()
        if msg.fresh and fresh:
            now = time.monotonic()
            if now - self._last_toast > 1.0:  # a toast a second at most; the feed has them all
                self._last_toast = now
                more = f" (+{len(fresh) - 1} more in the feed)" if len(fresh) > 1 else ""
                self.notify(fresh[0].text + more, title="guard", severity="warning", timeout=6, markup=False)
            self.bell()
            suspects = [a for a in fresh if a.kind != "overlap"]  # overlaps are not main-checkout events
            if suspects:
                self._find_suspects(suspects)

    @work(thread=True, group="guard-suspects", exit_on_error=False)
    def _find_suspects(self, alerts: list[Alert]) -> None:
        guard = self.guard
        if guard is None:
            return
        launched = {r.pid: name for name, r in self.sup.runs.items() if r.pid and r.alive}
        done = []
        for a in alerts:
            full = guard.suspects(a, launched)
            done.append(full)
            with contextlib.suppress(OSError):
                guard.record(full)
        self.post_message(GuardAlerts(done, fresh=False))

    @_while_mounted
    def render_feed(self) -> None:
        feed = self.query_one("#alerts", AlertFeed)
        highlighted = feed.highlighted
        feed.clear_options()
        feed.add_options([Option(Text(a.line()), id=str(a.id))
                          for a in sorted(self.alerts.values(), key=lambda a: -a.id)])
        if highlighted is not None and feed.option_count:
            feed.highlighted = min(highlighted, feed.option_count - 1)
        self._feed_title()

    def highlighted_alert(self) -> Alert | None:
        feed = self.query_one("#alerts", AlertFeed)
        if feed.highlighted is None or not feed.option_count:
            return None
        oid = feed.get_option_at_index(feed.highlighted).id
        return self.alerts.get(int(oid)) if oid else None

    def alert_agents(self) -> list[str]:
        """The suspect agents of the highlighted alert, when the feed has focus."""
        if not isinstance(self.focused, AlertFeed):
            return []
        a = self.highlighted_alert()
        return list(a.agents) if a else []


def write_crash_log(paths: RepoPaths, text: str) -> Path:
    """Append a traceback to ``<git-common-dir>/agenttui/crash.log`` (else a temporary file)."""
    import tempfile

    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    for folder in (paths.agenttui_dir, Path(tempfile.gettempdir())):
        target = folder / "crash.log" if folder == paths.agenttui_dir else folder / f"agenttui-crash-{os.getpid()}.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(target, "a", encoding="utf-8") as f:
                f.write(f"--- {stamp} pid {os.getpid()}\n{text}\n")
            return target
        except OSError:
            continue
    return Path("(no writable place for the log)")


EXIT_CRASH = 3


def run_app(paths: RepoPaths, plan_path: Path | None, *, recover: bool = False,
            unsafe_demo: bool = False) -> int:
    app = AgentTuiApp(paths, plan_path, recover=recover, unsafe_demo=unsafe_demo)
    pacer = app.collector = CollectorPacer()  # the real process only: tests share their heap
    app.call_after_refresh(lambda: app.set_timer(1.0, pacer.start))  # once the first screen is up
    result = app.run()
    if app.return_code:  # a crash: Textual printed our one line on the way out
        return EXIT_CRASH
    return int(result or 0)
