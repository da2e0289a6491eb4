"""Recovery screen (read-only listings for now: stashes, branches, worktrees)."""

from __future__ import annotations

import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from ..core import repo as gitrepo
from ..core.models import RepoPaths, RepoSnapshot
from .widgets import short_path


def age(ts: int, now: float | None = None) -> str:
    d = max(0, int(time.time() if now is None else now) - ts)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if d >= size:
            return f"{d // size}{unit}"
    return f"{d}s"


class RecoveryScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,r", "app.pop_screen", "Back"),
        Binding("1", "tab('stashes')", "Stashes"),
        Binding("2", "tab('branches')", "Branches"),
        Binding("3", "tab('worktrees')", "Worktrees"),
        Binding("g", "reload", "Reload"),
    ]

    class Loaded(Message):
        def __init__(self, snap: RepoSnapshot) -> None:
            super().__init__()
            self.snap = snap

    def __init__(self, paths: RepoPaths, *, now: float | None = None) -> None:
        super().__init__(id="recovery")
        self.paths = paths
        self.now = now  # pinned clock for snapshots; None: real time
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static("[b]Recovery[/b]  loading…", id="recovery-summary")
        with TabbedContent(initial="stashes"):
            with TabPane("Stashes", id="stashes"):
                yield DataTable(id="t-stashes", cursor_type="row")
            with TabPane("Branches", id="branches"):
                yield DataTable(id="t-branches", cursor_type="row")
            with TabPane("Worktrees", id="worktrees"):
                yield DataTable(id="t-worktrees", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#t-stashes", DataTable).add_columns("stash", "age", "branch", "files", "message")
        self.query_one("#t-branches", DataTable).add_columns("branch", "age", "merged", "worktree", "subject")
        self.query_one("#t-worktrees", DataTable).add_columns("path", "branch", "HEAD", "dirty", "flags")
        self.action_reload()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="recovery-load", exit_on_error=False)
    def load(self) -> None:
        self.post_message(self.Loaded(gitrepo.snapshot(self.paths, dirty=True)))

    def on_recovery_screen_loaded(self, msg: Loaded) -> None:
        snap = msg.snap
        self.loaded = True
        ts = self.query_one("#t-stashes", DataTable)
        ts.clear()
        for s in snap.stashes:
            ts.add_row(s.ref, age(s.date, self.now), s.branch or "-", str(s.files), s.message[:80])
        tb = self.query_one("#t-branches", DataTable)
        tb.clear()
        for b in snap.branches:
            merged = "merged" if b.merged else "unmerged" if b.merged is False else "-"
            tb.add_row(b.name, age(b.date, self.now), merged, short_path(b.worktree) if b.worktree else "-",
                       b.subject[:60])
        tw = self.query_one("#t-worktrees", DataTable)
        tw.clear()
        for w in snap.worktrees:
            flags = [f for f, on in (("main", w.is_main), ("locked", w.locked),
                                     ("prunable", w.prunable), ("detached", w.detached)) if on]
            tw.add_row(short_path(w.path), w.branch or "-", (w.head or "-")[:8],
                       "-" if w.dirty is None else str(w.dirty), ", ".join(flags))
        self.query_one("#recovery-summary", Static).update(
            f"[b]Recovery[/b]  {len(snap.stashes)} stashes · {len(snap.branches)} branches · "
            f"{len(snap.worktrees)} worktrees   [dim](read-only listing: drop / delete / archive "
            "with backup arrive with the recovery issue)[/]"
        )
