"""The agent pane: identity and state, process stats, git state, file activity, output tail.

A pane draws only what its grid scheduled (:meth:`AgentPane.redraw`), from data the grid's workers
sampled; it runs nothing itself but reading its agent's log file.  In the grid's list layout a pane
is hidden and draws nothing: the list draws its row, and the detail (a :class:`DetailPane`) its pane
while it is the highlighted agent.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Log, Static

from agenttui.core.agents.activity import Activity, FileChange
from agenttui.core.agents.sampler import GitInfo
from agenttui.core.agents.state import STATES as ATTENTION
from agenttui.core.agents.state import AgentState
from agenttui.core.dispatch.launcher import AgentRun
from agenttui.core.host.procs import ProcStats
from agenttui.tui.format import human_bytes, human_time, short_path
from agenttui.tui.literal import fmt, output
from agenttui.tui.messages import PaneFocused
from agenttui.tui.widgets.spark import Spark

LOG_CATCH_UP = 64 * 1024  # bytes of an agent's log the detail shows when it turns to that agent

STATE_CLASSES = ("planned", "queued", "starting", "running", "paused", "exited", "failed", "stopping", "found")


class AgentPane(Vertical, can_focus=True):
    """One agent: identity and state, process stats, git state, file activity, output tail."""

    BINDINGS = [
        Binding("left", "screen.move(-1, 0)", "Left", show=False),
        Binding("right", "screen.move(1, 0)", "Right", show=False),
        Binding("up", "screen.move(0, -1)", "Up", show=False),
        Binding("down", "screen.move(0, 1)", "Down", show=False),
    ]

    def __init__(self, run: AgentRun, *, pane_id: str | None = None, classes: str = "agent-pane") -> None:
        super().__init__(id=pane_id or f"pane-{abs(hash(run.name))}", classes=classes)
        self.agent_name = run.name
        self.run = run
        self.activity = Activity()
        self.stats: ProcStats | None = None
        self.git: GitInfo | None = None
        self.overlap: str | None = None
        self.outside: str | None = None  # a process of its tree working outside its worktree
        self._log_offset = 0
        self._tail: list[str] = []
        self.pending: set[str] = set()  # parts to redraw: title, proc, where, files, tail, log
        self.tail_next: list[str] | None = None  # a tmux agent's latest window lines, to draw
        self.thaw_due = False
        self.last_state = ""
        self.attention: AgentState | None = None
        self.last_output = 0.0  # when its output last grew (activity, for its state)
        self.row_only = False  # the list layout: hidden; its agent is a row of the list (and the detail)
        self.row_sink: Callable[[str], None] | None = None  # the list's "row changed" (set by the grid)
        self.drawn_at = 0.0  # (monotonic) when the list layout last drew its row
        self._drawn: dict[str, object] = {}  # line -> what it shows (see _put)
        self.has_parts = False  # its widgets are mounted (a row of the list has none)

    def compose(self) -> ComposeResult:
        if self.row_only:  # a row of the list: its data, no widgets (see set_row_only)
            return
        self.has_parts = True
        yield from self._parts()

    @staticmethod
    def _parts() -> list[Widget]:
        log = Log(id="out", max_lines=200, classes="pane-log")
        log.can_focus = False
        return [
            Static(id="title", classes="pane-title"),
            Static(id="proc", classes="pane-line"),
            Static(id="where", classes="pane-line"),
            Static(id="gitline", classes="pane-line"),
            Spark([0] * 30, id="rate"),
            Static(id="files", classes="pane-files"),
            log,
        ]

    def on_mount(self) -> None:
        self.relabel()
        self.refresh_all()

    def relabel(self, focused: bool | None = None) -> None:
        """The border title: the agent's label (a subagent's dispatch and its folder), ▶ when focused
        — the highlight in words too: a monochrome terminal (or a screen reader) sees no colour."""
        focused = self.has_focus if focused is None else focused
        self.border_title = Content(f"▶ {self.run.label}" if focused else self.run.label)

    def on_focus(self) -> None:
        self.relabel(True)
        self.post_message(PaneFocused(self.agent_name))

    def on_blur(self) -> None:
        self.relabel(False)

    # ---------------------------------------------------------------- rendering
    def frozen(self) -> bool:
        """True while another screen (a modal, the palette, recovery) is on top of the panes.

        A change on a screen under a translucent modal repaints both screens whole: with 32 busy
        panes that kept the main thread saturated, so covered panes only note that a redraw is
        due (``thaw_due``) and the app redraws them when the main screen is back."""
        if not self.has_parts:  # (back from the list: its lines are being mounted, then drawn)
            return True
        if self.app.screen is not self.screen:
            self.thaw_due = True
            return True
        return False

    def set_row_only(self, row_only: bool) -> None:
        """The grid's layout for this pane: a bordered pane, or (hidden) a row of the list.

        A row keeps its agent's data but none of its seven widgets: Textual restyles every widget
        of the screen when the palette or a modal closes and every widget of the grid when the
        focus leaves or enters it, hidden or not (32 hidden panes were 230 widgets restyled each
        time).  Back in the grid, the widgets are mounted again and drawn from the data."""
        was_row_only, self.row_only = self.row_only, row_only
        if row_only:
            if not was_row_only and self.has_parts:
                self.has_parts = False
                self._drawn.clear()
                self.remove_children()
            self.row_changed()
        elif was_row_only:
            if self.has_parts:
                self._catch_up()
            else:
                self.call_later(self._grow_parts)

    async def _grow_parts(self) -> None:
        if not self.row_only and not self.has_parts and self.is_attached:
            await self.mount_all(self._parts())
            if self.row_only:  # (a list again meanwhile)
                await self.remove_children()
                return
            self.has_parts = True
            self._catch_up()

    def _catch_up(self) -> None:
        """Everything drawn again from the data: what it missed as a row (or, the detail, the agent
        it turned to); lines that already show the right text stay as they are (``_put``)."""
        self.last_state = ""
        if self.attention is not None:
            self.set_attention(self.attention)
        self.refresh_all()
        self.tail_log()
        if self.tail_next is not None:
            self.set_tail(self.tail_next)

    def row_changed(self) -> None:
        """In the list layout: tell the list this agent's row is to be drawn again."""
        if self.row_sink is not None:
            self.row_sink(self.agent_name)

    def redraw(self, parts: set[str]) -> None:
        """Draw the parts the grid scheduled (see ``PaneGrid.mark``)."""
        if self.row_only:  # a row: one line, whatever changed (the detail reads the log)
            if parts - {"log", "tail"}:
                self.row_changed()
            return
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
        if self.row_only:
            self.last_state = self.run.state_text  # (the grid's tick asks again only on a change)
            self.row_changed()
            return
        if self.frozen():
            return
        r = self.run
        state = r.state_text
        if r.error:
            state += f": {r.error}"
        src = "" if r.source == "plan" else "  [dim](worktree found in the repository)[/]"
        self._put("title", fmt(f"[b]$state[/b]{src}", state=state))
        if state != self.last_state:
            for c in STATE_CLASSES:
                self.set_class(r.state == c, f"-{c}")
            self.last_state = state
        self._subtitle_to(self._subtitle(state))

    def _put(self, line: str, content: Content) -> None:
        """Line *line* shows *content*: drawn again only when its text or styles changed (the
        detail's lines are set again each time it follows its agent's data: four times a second
        under load, most of them the same)."""
        key = (content.plain, tuple(content.spans))
        if self._drawn.get(line) != key:
            self._drawn[line] = key
            self.query_one(f"#{line}", Static).update(content, layout=False)

    def _subtitle_to(self, text: str) -> None:
        if self._drawn.get("subtitle") != text:
            self._drawn["subtitle"] = text
            self.border_subtitle = Content(text)

    def _subtitle(self, state: str) -> str:
        a = self.attention
        if a is None:
            return state[:40]
        mark = "● " if a.unseen else ""
        reason = f": {a.reason}" if a.state == "needs-input" and a.reason else ""
        return f"{mark}{a.state.replace('-', ' ')}{reason}"[:48]

    def set_attention(self, attention: AgentState) -> None:
        """The agent's attention state (working / needs input / idle / done / failed; ● unseen)."""
        self.attention = attention
        if self.row_only:  # (no class changes on a hidden pane: each restyles its whole subtree)
            self.row_changed()
            return
        for s in ATTENTION:
            self.set_class(attention.state == s, f"-attn-{s}")
        self.set_class(attention.unseen, "-unseen")
        if not self.frozen():
            self._subtitle_to(self._subtitle(self.run.state_text))

    def refresh_proc(self) -> None:
        if self.row_only:
            self.row_changed()
            return
        if self.frozen():
            return
        self._put("proc", Content(proc_line(self.run, self.stats)))

    def refresh_where(self) -> None:
        if self.row_only:
            self.row_changed()
            return
        if self.frozen():
            return
        r, g = self.run, self.git
        self._put("where", fmt("[dim]in[/] $p", p=short_path(r.worktree)))
        branch = (g.branch if g and g.branch else r.branch) or "-"
        parts = [fmt("[dim]on[/] $b", b=branch)]
        if g is not None:
            if g.sha:
                parts.append(fmt("[dim]HEAD[/] $s", s=g.sha[:8]))
            if g.ahead is not None:
                parts.append(Content(f"+{g.ahead} ahead"))
            if g.dirty is not None:
                parts.append(Content(f"{g.dirty} dirty"))
        self._put("gitline", Content("  ").join(parts))

    def refresh_files(self) -> None:
        if self.row_only:
            self.row_changed()
            return
        if self.frozen():
            return
        self.query_one("#rate", Spark).set_data(self.activity.rates(width=30))
        lines = []
        if self.outside:
            lines.append(fmt("[b $error]outside its worktree:[/] $o", o=self.outside))
        if self.overlap:
            lines.append(fmt("[b $warning]overlap:[/] $o", o=self.overlap))
        marks = {"created": "[green]+[/]", "modified": "[yellow]~[/]", "deleted": "[red]-[/]"}
        now = time.time()
        for c in list(self.activity.latest)[:3]:
            age = max(0, int(now - c.time))
            lines.append(fmt(f"{marks[c.kind]} $p [dim]{age}s[/]", p=c.path))
        if not lines:
            lines.append(Content.from_markup("[dim]no file activity yet[/]"))
        self._put("files", Content("\n").join(lines))

    def activity_recent(self, window: float = 32.0) -> bool:
        latest = self.activity.latest[0].time if self.activity.latest else 0.0
        return time.time() - latest < window

    def add_changes(self, changes: list[FileChange]) -> None:
        """Record only: the grid redraws dirty panes, paced."""
        self.activity.add(changes)

    def set_tail(self, lines: list[str]) -> None:
        """A tmux-hosted agent: its window's last lines (replaced, not appended)."""
        if lines == self._tail or self.frozen() or self.row_only:
            return
        self._tail = lines
        log = self.query_one("#out", Log)
        log.clear()
        log.write_lines([output(line) for line in lines])

    def log_grew(self) -> bool:
        path = self.run.log_path
        try:
            return path is not None and os.stat(path).st_size > self._log_offset
        except OSError:
            return False

    def tail_log(self) -> None:
        """Append whatever the agent wrote since the last call."""
        path = self.run.log_path
        if path is None or self.frozen() or self.row_only:
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
        lines = chunk.decode("utf-8", "replace").splitlines()
        self.query_one("#out", Log).write_lines([output(line) for line in lines])


def proc_line(run: AgentRun, s: ProcStats | None) -> str:
    """The pane's process line (its row shows the CPU of the same stats): a new sample whose line
    is the same draws nothing, so 32 idle agents' samples redraw no row and no pane."""
    if s is None:
        return f"pid {run.pid}" if run.pid else "no process"
    n = len(s.pids)
    return (
        f"pid {s.pids[0]}  cpu {s.cpu:5.1f}%  mem {human_bytes(s.rss)}  "
        f"up {human_time(s.runtime)}  {n} proc{'s' if n != 1 else ''}"
    )


class DetailPane(AgentPane, can_focus=False):
    """The list layout's detail: the focused agent's pane as in the grid, drawn from the data its row
    holds (the grid's workers fill the rows; the detail follows the focused one).  Its size never
    changes, so moving the focus redraws this pane and two rows, and lays nothing out again."""

    def __init__(self, run: AgentRun) -> None:
        super().__init__(run, pane_id="detail", classes="agent-detail")

    def relabel(self, focused: bool | None = None) -> None:
        self.border_title = Content(f"▶ {self.run.label}")

    def follow(self, src: AgentPane) -> None:
        """Show *src*'s agent: its data by reference; its log from its last LOG_CATCH_UP bytes."""
        switched = src.run is not self.run
        self.agent_name, self.run = src.agent_name, src.run
        self.activity, self.stats, self.git = src.activity, src.stats, src.git
        self.overlap, self.outside, self.tail_next = src.overlap, src.outside, src.tail_next
        if src.attention is not None and src.attention != self.attention:
            self.set_attention(src.attention)
        if not switched:
            return
        self._tail = []
        self.query_one("#out", Log).clear()
        path = self.run.log_path
        try:
            size = os.stat(path).st_size if path is not None else 0
        except OSError:
            size = 0
        self._log_offset = max(0, size - LOG_CATCH_UP)
        self.relabel()
        self._catch_up()
