"""Widgets: the agent pane."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Log, Sparkline, Static

from ..core.procs import ProcStats
from ..core.supervisor import AgentRun
from ..core.watch import Activity, FileChange
from .literal import fmt

STATE_CLASSES = ("planned", "queued", "starting", "running", "paused", "exited", "failed",
                 "stopping", "found")


@dataclass(frozen=True)
class GitInfo:
    branch: str | None
    sha: str | None
    ahead: int | None
    dirty: int | None


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "K", "M", "G"):
        if size < 1024 or unit == "G":
            return f"{size:.0f}{unit}" if unit in ("B", "K") else f"{size:.1f}{unit}"
        size /= 1024
    return f"{size:.1f}G"


def human_time(seconds: float) -> str:
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s"


def short_path(p: Path | None) -> str:
    if p is None:
        return "-"
    home = os.path.expanduser("~")
    s = str(p)
    return "~" + s[len(home):] if home != "/" and s.startswith(home + os.sep) else s


class QuietFooter(Footer):
    """A Footer that rebuilds only when what it shows changes.

    Textual's Footer recomposes on every focus change; on the supervisor that meant a relayout of
    the whole screen per arrow key (about 40 a second while keys repeat, measured by bench_keys)."""

    _shown: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen is not self.app.screen:
            return  # under another screen: checked again when ours is back (Textual refreshes then)
        try:
            shown = tuple((key, b.action, b.description, enabled, tooltip)
                          for key, (_node, b, enabled, tooltip) in screen.active_bindings.items()
                          if b.show or key == self.app.COMMAND_PALETTE_BINDING)
        except Exception:  # noqa: BLE001 - never let an optimisation break the footer
            shown = None
        if shown is not None and shown == self._shown and self._bindings_ready:
            return
        self._shown = shown
        self._forget_removed_keys()
        super().bindings_changed(screen)

    def _forget_removed_keys(self) -> None:
        """Each FooterKey is data-bound to ``Footer.compact``; Textual prunes those watchers only when
        ``compact`` changes, so every rebuild leaked the old keys (bench_keys: +9 widgets per
        rebuild, RSS 120 → 220 MB in 90 s of palette use).  Drop the watchers of removed keys."""
        watchers = getattr(self, "__watchers", None)
        if not isinstance(watchers, dict):
            return
        for entries in watchers.values():
            if isinstance(entries, list):
                entries[:] = [(node, cb) for node, cb in entries
                              if not (getattr(node, "_closing", False) or getattr(node, "_closed", False))]


class AgentPane(Vertical, can_focus=True):
    """One agent: identity and state, process stats, git state, file activity, output tail."""

    BINDINGS = [
        Binding("left", "app.move(-1, 0)", "Left", show=False),
        Binding("right", "app.move(1, 0)", "Right", show=False),
        Binding("up", "app.move(0, -1)", "Up", show=False),
        Binding("down", "app.move(0, 1)", "Down", show=False),
    ]

    def __init__(self, run: AgentRun) -> None:
        super().__init__(id=f"pane-{abs(hash(run.name))}", classes="agent-pane")
        self.agent_name = run.name
        self.run = run
        self.activity = Activity()
        self.stats: ProcStats | None = None
        self.git: GitInfo | None = None
        self.overlap: str | None = None
        self._log_offset = 0
        self._tail: list[str] = []
        self.pending: set[str] = set()  # parts to redraw: title, proc, where, files, tail, log
        self.tail_next: list[str] | None = None  # a tmux agent's latest window lines, to draw
        self.thaw_due = False
        self._last_state = ""

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="pane-title")
        yield Static(id="proc", classes="pane-line")
        yield Static(id="where", classes="pane-line")
        yield Static(id="gitline", classes="pane-line")
        yield Sparkline([0] * 30, id="rate", summary_function=max)
        yield Static(id="files", classes="pane-files")
        log = Log(id="out", max_lines=200, classes="pane-log")
        log.can_focus = False
        yield log

    def on_mount(self) -> None:
        self.border_title = Content(self.agent_name)
        self.refresh_all()

    def on_focus(self) -> None:
        # the highlight in words too: a monochrome terminal (or a screen reader) sees no colour
        self.border_title = Content(f"▶ {self.agent_name}")

    def on_blur(self) -> None:
        self.border_title = Content(self.agent_name)

    # ---------------------------------------------------------------- rendering
    def frozen(self) -> bool:
        """True while another screen (a modal, the palette, recovery) is on top of the panes.

        A change on a screen under a translucent modal repaints both screens whole: with 32 busy
        panes that kept the main thread saturated, so covered panes only note that a redraw is
        due (``thaw_due``) and the app redraws them when the main screen is back."""
        if len(self.app.screen_stack) > 1:
            self.thaw_due = True
            return True
        return False

    def redraw(self, parts: set[str]) -> None:
        """Draw the parts the app scheduled (see ``AgentTuiApp.mark``)."""
        if "all" in parts:
            self.refresh_all()
        else:
            for part in ("title", "proc", "where", "files"):
                if part in parts:
                    getattr(self, f"refresh_{part}")()
        if "tail" in parts and self.tail_next is not None:
            self.set_tail(self.tail_next)
        if "log" in parts:
            self.tail_log()

    def refresh_all(self) -> None:
        self.thaw_due = False
        self.refresh_title()
        self.refresh_proc()
        self.refresh_where()
        self.refresh_files()

    def refresh_title(self) -> None:
        if self.frozen():
            return
        r = self.run
        state = r.state_text
        if r.error:
            state += f": {r.error}"
        src = "" if r.source == "plan" else "  [dim](worktree found in the repository)[/]"
        self.query_one("#title", Static).update(fmt(f"[b]$state[/b]{src}", state=state), layout=False)
        if state != self._last_state:
            for c in STATE_CLASSES:
                self.set_class(r.state == c, f"-{c}")
            self._last_state = state
        self.border_subtitle = Content(state[:40])

    def refresh_proc(self) -> None:
        if self.frozen():
            return
        r, s = self.run, self.stats
        if s is None:
            text = f"pid {r.pid}" if r.pid else "no process"
        else:
            n = len(s.pids)
            text = (f"pid {s.pids[0]}  cpu {s.cpu:5.1f}%  mem {human_bytes(s.rss)}  "
                    f"up {human_time(s.runtime)}  {n} proc{'s' if n != 1 else ''}")
        self.query_one("#proc", Static).update(Content(text), layout=False)

    def refresh_where(self) -> None:
        if self.frozen():
            return
        r, g = self.run, self.git
        self.query_one("#where", Static).update(fmt("[dim]in[/] $p", p=short_path(r.worktree)),
                                                layout=False)
        branch = (g.branch if g and g.branch else r.branch) or "-"
        parts = [fmt("[dim]on[/] $b", b=branch)]
        if g is not None:
            if g.sha:
                parts.append(fmt("[dim]HEAD[/] $s", s=g.sha[:8]))
            if g.ahead is not None:
                parts.append(Content(f"+{g.ahead} ahead"))
            if g.dirty is not None:
                parts.append(Content(f"{g.dirty} dirty"))
        self.query_one("#gitline", Static).update(Content("  ").join(parts), layout=False)

    def refresh_files(self) -> None:
        if self.frozen():
            return
        self.query_one("#rate", Sparkline).data = self.activity.rates(width=30)
        lines = []
        if self.overlap:
            lines.append(fmt("[b $warning]overlap:[/] $o", o=self.overlap))
        marks = {"created": "[green]+[/]", "modified": "[yellow]~[/]", "deleted": "[red]-[/]"}
        now = time.time()
        for c in list(self.activity.latest)[:3]:
            age = max(0, int(now - c.time))
            lines.append(fmt(f"{marks[c.kind]} $p [dim]{age}s[/]", p=c.path))
        if not lines:
            lines.append(Content.from_markup("[dim]no file activity yet[/]"))
        self.query_one("#files", Static).update(Content("\n").join(lines), layout=False)

    def activity_recent(self, window: float = 32.0) -> bool:
        latest = self.activity.latest[0].time if self.activity.latest else 0.0
        return time.time() - latest < window

    def add_changes(self, changes: list[FileChange]) -> None:
        """Record only: the app redraws dirty panes at most 4 times a second."""
        self.activity.add(changes)

    def set_tail(self, lines: list[str]) -> None:
        """A tmux-hosted agent: its window's last lines (replaced, not appended)."""
        if lines == self._tail or self.frozen():
            return
        self._tail = lines
        log = self.query_one("#out", Log)
        log.clear()
        log.write_lines(lines)

    def log_grew(self) -> bool:
        path = self.run.log_path
        try:
            return path is not None and os.stat(path).st_size > self._log_offset
        except OSError:
            return False

    def tail_log(self) -> None:
        """Append whatever the agent wrote since the last call."""
        path = self.run.log_path
        if path is None or self.frozen():
            return
        try:
            if os.stat(path).st_size <= self._log_offset:
                return
            with open(path, "rb") as f:
                f.seek(self._log_offset)
                data = f.read(256 * 1024)
        except OSError:
            return
        if not data:
            return
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) < 256 * 1024:
            return
        chunk = data[:cut] if cut else data
        self._log_offset += len(chunk)
        self.query_one("#out", Log).write_lines(chunk.decode("utf-8", "replace").splitlines())
