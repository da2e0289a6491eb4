"""The recovery screen: Stashes · Branches · Worktrees · Trash, and the incident line.

Every destructive action goes through a confirmation that lists exactly what will happen, and
through :mod:`agenttui.core.recovery`, which backs everything up before git removes it.  Each tab
is a module of its own (its columns, rows and flows); this screen loads, filters, selects,
previews, and runs one flow at a time: ``confirm`` is a modal awaited in the flow worker,
``run`` the operation on a thread, then the lists are read again.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static, TabbedContent, TabPane

from agenttui.core.errors import AgentTuiError, shown
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths
from agenttui.core.recovery import RecoveryData, load_data, load_stashes
from agenttui.core.recovery.listing import FIRST_STASHES
from agenttui.tui.literal import fmt, plain, plain_lines
from agenttui.tui.messages import BackToMain, ForwardsWorkerFailures
from agenttui.tui.screens.recovery.agents import AgentsTab
from agenttui.tui.screens.recovery.base import TABS, Row, Tab
from agenttui.tui.screens.recovery.branches import BranchesTab
from agenttui.tui.screens.recovery.flows import Flows
from agenttui.tui.screens.recovery.stashes import StashesTab
from agenttui.tui.screens.recovery.trash import TrashTab
from agenttui.tui.screens.recovery.worktrees import WorktreesTab
from agenttui.tui.widgets.footer import QuietFooter

MARK = "●"
FIRST_ROWS = 100  # rows added before the first frame; the rest right after it
FIRST_FRAME_WAIT = 2.0  # seconds the full load waits at most for the stashes to be drawn
PREFETCH_WAIT = 0.15  # seconds the first frame waits at most for the stashes read ahead


@dataclass
class Loaded(Message):
    data: RecoveryData


@dataclass
class Preview(Message):
    sha: str
    text: str


@dataclass
class BranchDetail(Message):
    name: str
    text: str


class RecoveryScreen(Flows, ForwardsWorkerFailures, Screen[None]):
    # the stash list has the keys from the start (Textual's default, the first focusable widget,
    # is the tab bar: the arrow keys and page keys moved nothing in the list)
    AUTO_FOCUS = "#t-stashes"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "back", "Back", show=False),
        Binding("space", "toggle_row", "Select"),
        Binding("d", "destroy", "Drop/delete/remove"),
        Binding("a", "archive", "Archive"),
        Binding("u", "restore", "Restore"),
        Binding("x", "purge", "Purge"),
        Binding("c", "clean_all", "Clean incident"),
        Binding("A", "apply", "Apply", show=False),
        Binding("P", "pop", "Pop", show=False),
        Binding("b", "to_branch", "To branch", show=False),
        Binding("U", "unlock", "Unlock", show=False),
        Binding("z", "prune", "Prune", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("tab", "next_tab", "Next tab", show=False, priority=True),
        Binding("1", "tab('stashes')", "Stashes", show=False),
        Binding("2", "tab('branches')", "Branches", show=False),
        Binding("3", "tab('worktrees')", "Worktrees", show=False),
        Binding("4", "tab('trash')", "Trash", show=False),
        Binding("5", "tab('agents')", "Agents", show=False),
        Binding("S", "salvage", "Salvage", show=False),
        Binding("g", "reload", "Reload", show=False),
        Binding("t", "since", "Since…", show=False),
    ]

    def __init__(
        self, paths: RepoPaths, *, now: float | None = None, read_ahead: Future[RecoveryData] | None = None
    ) -> None:
        super().__init__(classes="recovery")  # no id: `agenttui recover` keeps one under the main screen
        self.paths = paths
        # `agenttui recover`: the stashes read on a thread of their own while Textual starts and
        # composes the screen (git's time overlaps the framework's; the first frame takes the result)
        self._prefetch = read_ahead
        self._first_drawn = threading.Event()  # the stash rows are on the screen: the full load may start
        self.now = now  # pinned clock for snapshots; None: real time
        self.loaded = False
        self.loads = 0  # number of completed loads (tests wait on it)
        self.data: RecoveryData | None = None
        self.selected: dict[str, set[str]] = {t: set() for t in TABS}
        self.filter_text = ""
        self.stale: set[str] = set(TABS)
        self.preview_text = ""
        self.busy = False
        self.since: float | None = None  # a time the user gave for the incident (None: found)
        self.told: list[str] = []  # every notice, newest last
        self._detail_timer: Timer | None = None
        self._fills: dict[str, int] = {}  # per table: how often it was filled (drops stale halves)
        self.stashes, self.branches = StashesTab(self), BranchesTab(self)
        self.worktrees, self.trash, self.agents = WorktreesTab(self), TrashTab(self), AgentsTab(self)
        self.tabs: dict[str, Tab] = {
            t.name: t for t in (self.stashes, self.branches, self.worktrees, self.trash, self.agents)
        }

    def compose(self) -> ComposeResult:
        yield Static("[b]Recovery[/b]  loading…", id="incident")
        with TabbedContent(initial="stashes", id="tabs"):
            with TabPane("Stashes", id="stashes"), Horizontal():
                yield DataTable(id="t-stashes", cursor_type="row")
                with VerticalScroll(id="stash-preview-box"):
                    yield Static(id="stash-preview")
            with TabPane("Branches", id="branches"), Vertical():
                yield DataTable(id="t-branches", cursor_type="row")
                yield Static(id="branch-detail")
            with TabPane("Worktrees", id="worktrees"):
                yield DataTable(id="t-worktrees", cursor_type="row")
            with TabPane("Trash", id="trash"):
                yield DataTable(id="t-trash", cursor_type="row")
            with TabPane("Agents", id="agents"), Vertical():
                yield DataTable(id="t-agents", cursor_type="row")
                yield Static(id="agent-detail")
        yield Input(placeholder="filter rows (Enter to apply, Esc to clear)", id="filter")
        yield Input(placeholder="when the incident began: 30m, 2h, 2026-12-01T14:00 (empty: find it)", id="since")
        yield QuietFooter()

    # ---------------------------------------------------------------- helpers
    def table(self, tab: str) -> DataTable[Any]:
        return self.query_one(f"#t-{tab}", DataTable)

    @property
    def tab(self) -> str:
        return self.query_one(TabbedContent).active or "stashes"

    def tell(self, text: str, *, error: bool = False, title: str = "", timeout: float | None = None) -> None:
        self.told.append(text)
        del self.told[:-200]
        self.notify(
            shown(text, lines=True),
            title=title,
            severity="error" if error else "information",
            markup=False,
            timeout=timeout if timeout is not None else (10 if error else 5),
        )

    def on_mount(self) -> None:
        for name, tab in self.tabs.items():
            # labels as plain text: a str label is parsed as rich markup (and imports rich's emoji table)
            self.table(name).add_columns(*map(plain, (" ", *tab.columns)))
        self.query_one("#filter", Input).display = False
        self.query_one("#since", Input).display = False
        self._take_read_ahead()
        self.action_reload()

    def _take_read_ahead(self) -> None:
        """`agenttui recover`: the stashes read ahead go into the first frame itself when git has
        answered by now or within PREFETCH_WAIT — one frame to the newest stash instead of two, and
        no worker round trip between them (bench/NOTES.md, "Third pass").  Otherwise, or if git
        failed, the load worker takes the read-ahead as before."""
        ahead = self._prefetch
        if ahead is None:
            return
        try:
            first = ahead.result(timeout=PREFETCH_WAIT)
        except Exception:  # noqa: BLE001 - slow or failed: the worker waits for it and reports
            return
        self._prefetch = None
        self.on_loaded(Loaded(first))

    def action_since(self) -> None:
        box = self.query_one("#since", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#since")
    def _since_submitted(self, event: Input.Submitted) -> None:
        from agenttui.core.recovery.report import parse_since

        text = event.value.strip()
        try:
            self.since = parse_since(text) if text else None
        except AgentTuiError as exc:
            self.tell(exc.message, error=True)
            return
        event.input.display = False
        self.table(self.tab).focus()
        self.tell("incident since " + (text if text else "its first shared dispatch (found)"))
        self.action_reload()

    def action_back(self) -> None:
        box = self.query_one("#since", Input)
        if box.display:
            box.display = False
            self.table(self.tab).focus()
            return
        f = self.query_one("#filter", Input)
        if f.display:
            f.value = ""
            f.display = False
            self.filter_text = ""
            self.render_tables()
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.post_message(BackToMain())

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.ensure_filled(tab)
        self.table(tab).focus()

    def action_next_tab(self) -> None:
        i = TABS.index(self.tab) if self.tab in TABS else 0
        self.action_tab(TABS[(i + 1) % len(TABS)])

    def action_filter(self) -> None:
        f = self.query_one("#filter", Input)
        f.display = True
        f.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip().lower()
        self.render_tables()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, _event: Input.Submitted) -> None:
        self.table(self.tab).focus()

    # ---------------------------------------------------------------- loading
    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="recovery-load", exit_on_error=False)
    def load(self) -> None:
        try:
            stashes = None  # (a later load reads them with the rest)
            if not self.loads and not self._first_drawn.is_set():  # the first frame: the newest stashes
                first = self.data  # (taken as the screen mounted)
                if first is None:
                    ahead, self._prefetch = self._prefetch, None
                    first = ahead.result() if ahead is not None else load_stashes(self.paths, FIRST_STASHES)
                    self.post_message(Loaded(first))
                # the rest (the incident: timeline, transcripts, GitPython, psutil — 0.4 s of imports
                # alone) waits until the stashes are on the screen: on this thread it held the
                # interpreter's lock while the UI thread drew the first frame (bench/NOTES.md)
                self._first_drawn.wait(FIRST_FRAME_WAIT)
                stashes = first.stashes
                if len(stashes) >= FIRST_STASHES:  # only the newest were read: the whole list first
                    whole = load_stashes(self.paths)
                    stashes = whole.stashes
                    self.post_message(Loaded(whole))
            self.post_message(Loaded(load_data(self.paths, stashes, self.since)))
        except AgentTuiError as exc:
            self.app.call_from_thread(self._finish, [(False, exc.message)], reload=False)

    def on_loaded(self, msg: Loaded) -> None:
        self.data = msg.data
        inc = msg.data.incident
        if inc is None:  # stashes only, for the first frame
            self.render_tables()
            self.call_after_refresh(self._first_drawn.set)
            return
        for name, tab in self.tabs.items():
            self.selected[name] &= set(tab.keys(msg.data))
        self.render_tables()
        if inc.empty:
            text, summary = "[b]Incident[/b]  nothing stray $summary", inc.summary.split(" appeared ")[-1]
        else:
            text, summary = "[b]Incident[/b]  $summary — [b]c[/b] backs up and cleans all of them", inc.summary
        self.query_one("#incident", Static).update(
            fmt(f"{text}   [dim]trash: {len(msg.data.trash)} entries[/]", summary=summary)
        )
        self.loaded = True
        self.loads += 1
        self._preview_current()

    def _match(self, *fields: object) -> bool:
        return not self.filter_text or any(self.filter_text in str(f).lower() for f in fields)

    def render_tables(self) -> None:
        """Fill the visible table now; the others when they are first shown (tens of thousands of
        branches are slow to add: the first rows must not wait for tables nobody looks at)."""
        self.stale = set(TABS)
        self.ensure_filled(self.tab)

    def ensure_filled(self, tab: str) -> None:
        if tab in self.stale and self.data is not None:
            self.stale.discard(tab)
            self._fill(tab)

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self.ensure_filled(event.pane.id)

    def _fill(self, name: str) -> None:
        """Rows for one table.  A long list is added in two steps: the rows a screen shows first
        (docs/MEASURED.md, "recovery screen"), the rest after it."""
        if self.data is None:
            return
        rows = self.tabs[name].rows(self.data, self.now, self._match)
        t = self.table(name)
        cursor = t.cursor_row
        t.clear()
        self._fills[name] = self._fills.get(name, 0) + 1
        self._add_rows(name, rows[:FIRST_ROWS])
        if len(rows) > FIRST_ROWS:
            generation = self._fills[name]
            self.call_after_refresh(self._fill_rest, name, rows[FIRST_ROWS:], generation, cursor)
        elif rows:
            t.move_cursor(row=min(cursor, len(rows) - 1))

    def _fill_rest(self, name: str, rows: list[Row], generation: int, cursor: int) -> None:
        if self._fills.get(name) != generation:
            return  # filled again meanwhile
        self._add_rows(name, rows)
        t = self.table(name)
        t.move_cursor(row=min(cursor, t.row_count - 1))

    def _add_rows(self, name: str, rows: list[Row]) -> None:
        t, sel = self.table(name), self.selected[name]
        for key, cells in rows:
            t.add_row(plain(MARK if key in sel else " "), *(plain(c) for c in cells), key=key)

    # ---------------------------------------------------------------- selection
    def _cursor_key(self, tab: str) -> str | None:
        t = self.table(tab)
        if t.row_count == 0:
            return None
        try:
            return str(t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value)
        except Exception:
            return None

    def keys(self, tab: str) -> list[str]:
        """The keys of every row of *tab* (stash shas, branch names, paths, trash ids)."""
        return self.tabs[tab].keys(self.data) if self.data else []

    def targets(self, tab: str) -> list[str]:
        """The selection, or the highlighted row when nothing is selected."""
        keys = self.keys(tab)
        sel = [k for k in keys if k in self.selected[tab]]
        if sel:
            return sel
        key = self._cursor_key(tab)
        return [key] if key else []

    def action_toggle_row(self) -> None:
        tab = self.tab
        key = self._cursor_key(tab)
        if key is None:
            return
        sel = self.selected[tab]
        sel.symmetric_difference_update({key})
        t = self.table(tab)
        t.update_cell(key, t.ordered_columns[0].key, plain(MARK if key in sel else " "))
        if t.cursor_row < t.row_count - 1:
            t.move_cursor(row=t.cursor_row + 1)

    # ---------------------------------------------------------------- previews
    @on(DataTable.RowHighlighted, "#t-stashes")
    def _stash_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._preview_current()

    def _preview_current(self) -> None:
        if self.tab == "stashes" and self.data is not None:
            key = self._cursor_key("stashes")
            if key:
                self.preview(key)

    @work(thread=True, exclusive=True, group="stash-preview", exit_on_error=False)
    def preview(self, sha: str) -> None:
        self.post_message(Preview(sha, gitrepo.stash_patch(self.paths, sha)))

    def on_preview(self, msg: Preview) -> None:
        from rich.syntax import Syntax  # (pygments: not before the first preview)

        if self.tab == "stashes" and self._cursor_key("stashes") not in (None, msg.sha):
            return  # a stale result: the cursor moved on while it was read (its own preview follows)
        self.preview_text = msg.text
        self.query_one("#stash-preview", Static).update(
            Syntax(msg.text or "(empty)", "diff", theme="ansi_dark", word_wrap=False)
        )

    @on(DataTable.RowHighlighted, "#t-agents")
    def _agent_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        key = self._cursor_key("agents")
        self.query_one("#agent-detail", Static).update(plain_lines(self.agents.detail(key) if key else ""))

    @on(DataTable.RowHighlighted, "#t-branches")
    def _branch_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        # one git call per branch: only for the row the cursor rests on (debounced while scrolling)
        if self._detail_timer is not None:
            self._detail_timer.stop()

        def fire() -> None:
            key = self._cursor_key("branches")
            if key:
                self.branch_detail(key)

        self._detail_timer = self.set_timer(0.15, fire)

    @work(thread=True, exclusive=True, group="branch-detail", exit_on_error=False)
    def branch_detail(self, name: str) -> None:
        counts = gitrepo.ahead_behind(self.paths, "HEAD", f"refs/heads/{name}")
        text = f"{name}: " + (f"{counts[0]} ahead, {counts[1]} behind HEAD" if counts else "")
        self.post_message(BranchDetail(name, text))  # (widgets are touched on the UI thread only)

    def on_branch_detail(self, msg: BranchDetail) -> None:
        if self._cursor_key("branches") not in (None, msg.name):
            return  # stale: the cursor moved on while it was read
        self.query_one("#branch-detail", Static).update(plain(msg.text))
