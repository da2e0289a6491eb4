"""Recovery screen: Stashes · Branches · Worktrees · Trash, and the incident summary.

Every destructive action goes through a confirmation modal that lists exactly what will happen,
and through :mod:`agenttui.core.recovery`, which backs everything up before git removes it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Static, TabbedContent, TabPane

from ..core import gitcmd, recovery
from ..core import repo as gitrepo
from ..core.errors import AgentTuiError
from ..core.models import Branch, RepoPaths, Stash, Worktree
from ..core.procs import describe, processes_in
from .literal import fmt, plain
from .widgets import short_path

TABS = ("stashes", "branches", "worktrees", "trash")
MARK = "●"


def age(ts: float, now: float | None = None) -> str:
    d = max(0, int(time.time() if now is None else now) - int(ts))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if d >= size:
            return f"{d // size}{unit}"
    return f"{d}s"


class ConfirmModal(ModalScreen[bool]):
    """Lists exactly what will happen, row by row.  ``y`` confirms; any other key cancels."""

    def __init__(self, title: str, rows: list[str], note: str = "") -> None:
        super().__init__(classes="confirm")
        self.title_text = title
        self.rows = rows
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(Text(self.title_text, style="bold"), id="confirm-title")
            with VerticalScroll(id="confirm-rows"):
                yield Static(Text("\n".join(f"  {r}" for r in self.rows)))
            if self.note:
                yield Static(Text(self.note), classes="hint")
            yield Static(Text.from_markup("[b]y[/b] confirm   any other key cancels"), classes="hint")

    def on_key(self, event: Any) -> None:
        event.stop()
        event.prevent_default()
        self.dismiss(event.key == "y")


@dataclass(frozen=True)
class WorktreeRow:
    wt: Worktree
    untracked: int
    ignored: int
    procs: tuple[str, ...]


@dataclass(frozen=True)
class RecoveryData:
    stashes: tuple[Stash, ...]
    branches: tuple[Branch, ...]
    worktrees: tuple[WorktreeRow, ...]
    trash: tuple[recovery.TrashEntry, ...]
    incident: recovery.Incident


def load_data(paths: RepoPaths) -> RecoveryData:
    snap = gitrepo.snapshot(paths, dirty=True)
    linked = [w.path for w in snap.worktrees if os.path.isdir(w.path)]
    inside = processes_in(linked, exclude={os.getpid()}) if linked else {}
    rows = []
    for w in snap.worktrees:
        untracked = ignored = 0
        if os.path.isdir(w.path) and not w.bare:
            text = gitcmd.out(w.path, "status", "--porcelain", "--ignored=matching", "-z")
            items = text.split("\0")
            untracked = sum(1 for i in items if i.startswith("?? "))
            ignored = sum(1 for i in items if i.startswith("!! "))
        procs = tuple(describe(p) for p in inside.get(w.path, [])[:4])
        rows.append(WorktreeRow(w, untracked, ignored, procs))
    branches = sorted(snap.branches, key=lambda b: (not b.name.startswith("agents/"), b.name))
    return RecoveryData(snap.stashes, tuple(branches), tuple(rows),
                        tuple(recovery.list_trash(paths)), recovery.find_incident(paths, snap=snap))


class RecoveryScreen(Screen[None]):
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
        Binding("g", "reload", "Reload", show=False),
    ]

    class Loaded(Message):
        def __init__(self, data: RecoveryData) -> None:
            super().__init__()
            self.data = data

    class Done(Message):
        def __init__(self, messages: list[tuple[bool, str]]) -> None:
            super().__init__()
            self.messages = messages

    class Preview(Message):
        def __init__(self, sha: str, text: str) -> None:
            super().__init__()
            self.sha, self.text = sha, text

    def __init__(self, paths: RepoPaths, *, now: float | None = None) -> None:
        super().__init__(id="recovery")
        self.paths = paths
        self.now = now  # pinned clock for snapshots; None: real time
        self.loaded = False
        self.loads = 0  # number of completed loads (tests wait on it)
        self.data: RecoveryData | None = None
        self.selected: dict[str, set[str]] = {t: set() for t in TABS}
        self.filter_text = ""
        self.stale: set[str] = set(TABS)
        self._detail_timer: Any = None
        self.preview_text = ""
        self.busy = False

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
        yield Input(placeholder="filter rows (Enter to apply, Esc to clear)", id="filter")
        yield Footer()

    # ---------------------------------------------------------------- helpers
    def table(self, tab: str) -> DataTable[Any]:
        return self.query_one(f"#t-{tab}", DataTable)

    @property
    def tab(self) -> str:
        return self.query_one(TabbedContent).active or "stashes"

    def on_mount(self) -> None:
        self.table("stashes").add_columns(" ", "stash", "age", "branch", "files", "message")
        self.table("branches").add_columns(" ", "branch", "age", "merged", "upstream", "worktree", "subject")
        self.table("worktrees").add_columns(" ", "path", "branch", "HEAD", "dirty", "untracked",
                                            "ignored", "flags", "processes")
        self.table("trash").add_columns(" ", "id", "kind", "sha", "age", "description")
        self.query_one("#filter", Input).display = False
        self.action_reload()

    def action_back(self) -> None:
        f = self.query_one("#filter", Input)
        if f.display:
            f.value = ""
            f.display = False
            self.filter_text = ""
            self.render_tables()
            return
        self.app.pop_screen()

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
            self.post_message(self.Loaded(load_data(self.paths)))
        except AgentTuiError as exc:
            self.post_message(self.Done([(False, exc.message)]))

    def on_recovery_screen_loaded(self, msg: Loaded) -> None:
        self.data = msg.data
        for tab in TABS:
            self.selected[tab] &= set(self._keys(tab))
        self.render_tables()
        inc = msg.data.incident
        if inc.empty:
            text = "[b]Incident[/b]  nothing stray $summary"
            summary = inc.summary.split(" appeared ")[-1]
        else:
            text, summary = "[b]Incident[/b]  $summary — [b]c[/b] backs up and cleans all of them", inc.summary
        self.query_one("#incident", Static).update(
            fmt(f"{text}   [dim]trash: {len(msg.data.trash)} entries[/]", summary=summary))
        self.loaded = True
        self.loads += 1
        self._preview_current()

    def _keys(self, tab: str) -> list[str]:
        d = self.data
        if d is None:
            return []
        if tab == "stashes":
            return [s.sha for s in d.stashes]
        if tab == "branches":
            return [b.name for b in d.branches]
        if tab == "worktrees":
            return [str(r.wt.path) for r in d.worktrees]
        return [e.id for e in d.trash]

    def _match(self, *fields: object) -> bool:
        if not self.filter_text:
            return True
        return any(self.filter_text in str(f).lower() for f in fields)

    def render_tables(self) -> None:
        """Fill the visible table now; the others when they are first shown (10,000 branches
        cost most of a second to add: the first rows must not wait for tables nobody looks at)."""
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

    def _fill(self, which: str) -> None:
        d = self.data
        if d is None:
            return
        now = self.now

        def fill(tab: str, rows: list[tuple[str, tuple[object, ...]]]) -> None:
            t = self.table(tab)
            cursor = t.cursor_row
            t.clear()
            sel = self.selected[tab]
            for key, cells in rows:
                t.add_row(MARK if key in sel else " ", *(plain(c) for c in cells), key=key)
            if rows:
                t.move_cursor(row=min(cursor, len(rows) - 1))

        if which == "stashes":
            fill("stashes", [(s.sha, (s.ref, age(s.date, now), s.branch or "-", s.files, s.message[:70]))
                             for s in d.stashes if self._match(s.ref, s.message, s.branch)])
        elif which == "branches":
            fill("branches", [
                (b.name, (b.name, age(b.date, now),
                          "merged" if b.merged else "unmerged" if b.merged is False else "-",
                          f"{b.upstream} {b.track or ''}".strip() if b.upstream else "-",
                          short_path(b.worktree) if b.worktree else "-", b.subject[:50]))
                for b in d.branches if self._match(b.name, b.subject)])
        elif which == "worktrees":
            fill("worktrees", [
                (str(r.wt.path), (short_path(r.wt.path), r.wt.branch or "(detached)", (r.wt.head or "-")[:8],
                                  "-" if r.wt.dirty is None else r.wt.dirty, r.untracked, r.ignored,
                                  self._flags(r.wt), ", ".join(r.procs) or "-"))
                for r in d.worktrees if self._match(r.wt.path, r.wt.branch)])
        else:
            fill("trash", [(e.id, (e.id, e.kind, e.sha[:10], age(e.time, now), e.description[:70]))
                           for e in d.trash if self._match(e.id, e.kind, e.description)])

    @staticmethod
    def _flags(w: Worktree) -> str:
        flags = []
        if w.is_main:
            flags.append("main")
        if w.locked:
            flags.append(f"locked: {w.locked_reason}" if w.locked_reason else "locked")
        if w.prunable:
            flags.append("prunable")
        return ", ".join(flags) or "-"

    # ---------------------------------------------------------------- selection
    def _cursor_key(self, tab: str) -> str | None:
        t = self.table(tab)
        if t.row_count == 0:
            return None
        try:
            return str(t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value)
        except Exception:
            return None

    def targets(self, tab: str) -> list[str]:
        """The selection, or the highlighted row when nothing is selected."""
        sel = [k for k in self._keys(tab) if k in self.selected[tab]]
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
        t.update_cell(key, t.ordered_columns[0].key, MARK if key in sel else " ")
        if t.cursor_row < t.row_count - 1:
            t.move_cursor(row=t.cursor_row + 1)

    # ---------------------------------------------------------------- stash preview
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
        try:
            text = gitcmd.out(self.paths.toplevel or self.paths.common_dir, "stash", "show",
                              "--include-untracked", "--stat", "-p", sha)
        except AgentTuiError as exc:
            text = exc.message
        lines = text.splitlines()
        if len(lines) > 2000:
            lines = [*lines[:2000], f"... {len(lines) - 2000} more lines"]
        self.post_message(self.Preview(sha, "\n".join(lines)))

    def on_recovery_screen_preview(self, msg: Preview) -> None:
        self.preview_text = msg.text
        self.query_one("#stash-preview", Static).update(
            Syntax(msg.text or "(empty)", "diff", theme="ansi_dark", word_wrap=False))

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
        """Ahead/behind is one git call per branch: computed lazily, for the highlighted row."""
        st, out, _ = gitcmd.run(self.paths.common_dir, ["rev-list", "--left-right", "--count",
                                                        f"HEAD...refs/heads/{name}"], check=False)
        text = f"{name}: "
        if st == 0 and len(out.split()) == 2:
            behind, ahead = out.split()
            text += f"{ahead} ahead, {behind} behind HEAD"
        self.app.call_from_thread(self.query_one("#branch-detail", Static).update, Text(text))

    # ---------------------------------------------------------------- actions
    def _run(self, job: Callable[[], list[tuple[bool, str]]]) -> None:
        if self.busy:
            self.notify("another operation is running", severity="warning", markup=False)
            return
        self.busy = True
        self._worker(job)

    @work(thread=True, exclusive=True, group="recovery-op", exit_on_error=False)
    def _worker(self, job: Callable[[], list[tuple[bool, str]]]) -> None:
        try:
            result = job()
        except AgentTuiError as exc:
            result = [(False, exc.message)]
        self.post_message(self.Done(result))

    def on_recovery_screen_done(self, msg: Done) -> None:
        self.busy = False
        for tab in TABS:
            self.selected[tab].clear()
        failures = [m for ok, m in msg.messages if not ok]
        oks = [m for ok, m in msg.messages if ok]
        if oks:
            self.notify("\n".join(oks[:8]) + (f"\n… {len(oks) - 8} more" if len(oks) > 8 else ""),
                        title=f"{len(oks)} done", timeout=6, markup=False)
        for m in failures[:5]:
            self.notify(m, severity="error", timeout=10, markup=False)
        self.action_reload()

    def _confirm(self, title: str, rows: list[str], then: Callable[[], None], note: str = "") -> None:
        def done(ok: bool | None) -> None:
            if ok:
                then()
            else:
                self.notify("cancelled: nothing was changed", markup=False)
        self.app.push_screen(ConfirmModal(title, rows, note), done)

    def _stash_by_sha(self) -> dict[str, Stash]:
        return {s.sha: s for s in (self.data.stashes if self.data else ())}

    def _branch_by_name(self) -> dict[str, Branch]:
        return {b.name: b for b in (self.data.branches if self.data else ())}

    def _wt_by_path(self) -> dict[str, WorktreeRow]:
        return {str(r.wt.path): r for r in (self.data.worktrees if self.data else ())}

    def action_destroy(self) -> None:
        tab = self.tab
        keys = self.targets(tab)
        if not keys or self.data is None:
            self.notify("nothing to act on", markup=False)
            return
        if tab == "stashes":
            self._drop_stashes([self._stash_by_sha()[k] for k in keys if k in self._stash_by_sha()])
        elif tab == "branches":
            self._delete_branches(keys)
        elif tab == "worktrees":
            self._remove_worktrees(keys, archive=False)
        else:
            self.action_purge()

    def _drop_stashes(self, stashes: list[Stash]) -> None:
        stashes = sorted(stashes, key=lambda s: -s.index)
        rows = [f"git stash drop {s.ref}  ({s.sha[:10]}, {s.message[:60]}) — backed up first"
                for s in stashes]
        targets = [(s.index, s.sha) for s in stashes]
        self._confirm(f"Drop {len(stashes)} stash{'es' if len(stashes) != 1 else ''}, highest index first",
                      rows, lambda: self._run(lambda: [(o.ok, o.message) for o in
                                                       recovery.drop_stashes(self.paths, targets)]))

    def _delete_branches(self, names: list[str], *, then_force: bool = True) -> None:
        by = self._branch_by_name()
        merged = [n for n in names if by.get(n) is not None and by[n].merged is not False]
        unmerged = [n for n in names if n not in merged]
        rows = [f"git branch -d {n}  ({by[n].sha[:10]}) — backed up first" for n in merged]
        rows += [f"git branch -D {n}  ({by[n].sha[:10]}, NOT MERGED) — asks again" for n in unmerged
                 if n in by]

        def delete(todo: list[str], force: list[str]) -> list[tuple[bool, str]]:
            out: list[tuple[bool, str]] = []
            for n in todo:
                try:
                    out.append((True, recovery.delete_branch(self.paths, n, force=n in force).message))
                except AgentTuiError as exc:
                    out.append((False, exc.message))
            return out

        def second(ok: bool | None) -> None:
            if ok:
                self._run(lambda: delete(names, unmerged))
            elif merged:
                self._run(lambda: [*delete(merged, []), *[(False, f"kept unmerged branch {n}")
                                                          for n in unmerged]])
            else:
                self.notify("kept the unmerged branches: nothing was changed", markup=False)

        def first() -> None:
            if not unmerged:
                self._run(lambda: delete(names, []))
                return
            self.app.push_screen(ConfirmModal(
                f"{len(unmerged)} branch{'es are' if len(unmerged) != 1 else ' is'} not merged: "
                "delete with -D too?", [f"git branch -D {n}" for n in unmerged],
                "Their commits stay reachable from the trash (u restores). Any other key keeps them."),
                second)

        self._confirm(f"Delete {len(names)} branch{'es' if len(names) != 1 else ''}", rows, first)

    def _remove_worktrees(self, keys: list[str], *, archive: bool) -> None:
        by = self._wt_by_path()
        rows = []
        for k in keys:
            r = by.get(k)
            if r is None:
                continue
            what = (f"{r.wt.dirty or 0} changed/untracked, {r.ignored} ignored files")
            verb = "archive (snapshot everything, then git worktree remove)" if archive else \
                "git worktree remove (only if clean)"
            rows.append(f"{verb}: {short_path(r.wt.path)} [{r.wt.branch or 'detached'}] — {what}")

        def job() -> list[tuple[bool, str]]:
            out: list[tuple[bool, str]] = []
            for k in keys:
                try:
                    o = recovery.archive_worktree(self.paths, Path(k), require_clean=not archive)
                    out.append((o.ok, o.message))
                except AgentTuiError as exc:
                    out.append((False, exc.message))
            return out

        title = "Archive" if archive else "Remove"
        self._confirm(f"{title} {len(rows)} worktree{'s' if len(rows) != 1 else ''}", rows,
                      lambda: self._run(job))

    def action_archive(self) -> None:
        if self.tab != "worktrees":
            self.notify("archive works on the Worktrees tab", markup=False)
            return
        keys = self.targets("worktrees")
        if keys:
            self._remove_worktrees(keys, archive=True)

    def action_prune(self) -> None:
        self._confirm("Prune stale worktrees", ["git worktree prune (each stale HEAD backed up first)"],
                      lambda: self._run(lambda: [(o.ok, o.message) for o in
                                                 recovery.prune_worktrees(self.paths)]))

    def action_unlock(self) -> None:
        keys = self.targets("worktrees") if self.tab == "worktrees" else []
        if keys:
            self._run(lambda: [(recovery.unlock_worktree(self.paths, Path(k)).ok, f"unlocked {k}")
                               for k in keys])

    def _one_stash(self) -> Stash | None:
        if self.tab != "stashes":
            self.notify("this works on the Stashes tab", markup=False)
            return None
        key = self._cursor_key("stashes")
        return self._stash_by_sha().get(key or "")

    def action_apply(self, pop: bool = False) -> None:
        s = self._one_stash()
        if s is None:
            return
        verb = "pop" if pop else "apply"
        rows = [f"git stash apply {s.ref} into the main checkout ({s.message[:60]})"]
        if pop:
            rows.append(f"then drop {s.ref} — backed up first")
        self._confirm(f"{verb.title()} {s.ref}", rows,
                      lambda: self._run(lambda: [self._outcome(recovery.apply_stash(self.paths, s, pop=pop))]))

    def action_pop(self) -> None:
        self.action_apply(pop=True)

    def action_to_branch(self) -> None:
        s = self._one_stash()
        if s is None:
            return
        name = f"rescued/stash-{s.sha[:8]}"
        self._confirm(f"Turn {s.ref} into a branch", [f"create branch {name}: one commit with the stash's "
                                                      "changes on its base (no checkout touched)"],
                      lambda: self._run(lambda: [self._outcome(recovery.stash_to_branch(self.paths, s, name))]))

    @staticmethod
    def _outcome(o: recovery.Outcome) -> tuple[bool, str]:
        return (o.ok, o.message)

    def action_restore(self) -> None:
        if self.tab != "trash":
            self.action_tab("trash")
            return
        keys = self.targets("trash")
        by = {e.id: e for e in (self.data.trash if self.data else ())}
        rows = [f"restore {by[k].description} ({by[k].sha[:10]})" for k in keys if k in by]
        if rows:
            self._confirm(f"Restore {len(rows)} entr{'ies' if len(rows) != 1 else 'y'}", rows,
                          lambda: self._run(lambda: [(o.ok, o.message) for o in
                                                     recovery.restore_many(self.paths, keys)]))

    def action_purge(self) -> None:
        if self.tab != "trash":
            self.notify("purge works on the Trash tab", markup=False)
            return
        keys = self.targets("trash")
        by = {e.id: e for e in (self.data.trash if self.data else ())}
        rows = [f"delete backup {by[k].ref} ({by[k].description}) — gone for good" for k in keys if k in by]
        if rows:
            self._confirm(f"Purge {len(rows)} trash entr{'ies' if len(rows) != 1 else 'y'}", rows,
                          lambda: self._run(lambda: self._each(recovery.purge, keys)))

    def _each(self, op: Callable[[RepoPaths, str], recovery.Outcome], keys: list[str]) -> list[tuple[bool, str]]:
        out: list[tuple[bool, str]] = []
        for k in keys:
            try:
                o = op(self.paths, k)
                out.append((o.ok, o.message))
            except AgentTuiError as exc:
                out.append((False, exc.message))
        return out

    def action_clean_all(self) -> None:
        if self.data is None or self.data.incident.empty:
            self.notify("nothing stray to clean", markup=False)
            return
        inc = self.data.incident
        rows = [f"archive worktree {short_path(p)}" for p in inc.worktrees]
        rows += [f"delete branch {b}{' (NOT MERGED: asks again)' if b in inc.unmerged else ''}"
                 for b in inc.branches]
        rows += [f"drop {s.ref} ({s.message[:50]})" for s in sorted(inc.stashes, key=lambda s: -s.index)]

        def run(force: bool) -> None:
            self._run(lambda: [(o.ok, o.message) for o in
                               recovery.clean_incident(self.paths, inc, force_unmerged=force)])

        def first() -> None:
            if not inc.unmerged:
                run(False)
                return

            def second(ok: bool | None) -> None:
                run(bool(ok))

            self.app.push_screen(ConfirmModal(
                f"{len(inc.unmerged)} branches are not merged: delete them too (-D)?",
                list(inc.unmerged), "y deletes them (backed up); any other key keeps them and cleans the rest."),
                second)

        self._confirm(f"Back up and clean the incident: {inc.summary}", rows, first,
                      note="Everything goes to the trash first; u on the Trash tab restores it.")
