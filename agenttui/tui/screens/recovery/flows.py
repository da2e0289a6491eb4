"""The recovery screen's flows: one at a time, straight-line code in a worker.  ``confirm`` awaits
the modal that lists exactly what will happen; ``run`` does the operation on a thread, reports every
outcome and reads the lists again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual import work

from agenttui.core.errors import AgentTuiError
from agenttui.core.git.models import RepoPaths
from agenttui.tui.screens.modals import ConfirmModal
from agenttui.tui.screens.recovery.base import TABS, Result
from agenttui.tui.screens.recovery.incident import clean_all

if TYPE_CHECKING:
    from agenttui.tui.screens.recovery.agents import AgentsTab
    from agenttui.tui.screens.recovery.branches import BranchesTab
    from agenttui.tui.screens.recovery.stashes import StashesTab
    from agenttui.tui.screens.recovery.trash import TrashTab
    from agenttui.tui.screens.recovery.worktrees import WorktreesTab


class Flows:
    """Mixed into RecoveryScreen (which provides the tables, the data and the tabs)."""

    busy: bool
    data: Any
    paths: RepoPaths
    selected: dict[str, set[str]]
    app: Any
    stashes: StashesTab
    branches: BranchesTab
    worktrees: WorktreesTab
    trash: TrashTab
    agents: AgentsTab
    tabs: dict[str, Any]

    @property
    def tab(self) -> str:
        raise NotImplementedError

    def tell(self, text: str, *, error: bool = False, title: str = "", timeout: float | None = None) -> None:
        raise NotImplementedError

    def targets(self, tab: str) -> list[str]:
        raise NotImplementedError

    def keys(self, tab: str) -> list[str]:
        raise NotImplementedError

    def action_reload(self) -> None:
        raise NotImplementedError

    def action_tab(self, tab: str) -> None:
        raise NotImplementedError

    def _cursor_key(self, tab: str) -> str | None:
        raise NotImplementedError

    async def confirm(self, title: str, rows: list[str], note: str = "", *, say_cancel: bool = True) -> bool:
        """Show exactly what will happen; True on ``y``."""
        ok = bool(await self.app.push_screen_wait(ConfirmModal(title, rows, note)))  # type: ignore[arg-type]
        if not ok and say_cancel:
            self.tell("cancelled: nothing was changed")
        return ok

    async def run(self, job: Callable[[], Result]) -> None:
        """Run the operation on a thread, report every outcome, then read the lists again."""
        if self.busy:
            self.tell("another operation is running", error=True)
            return
        self.busy = True
        try:
            result = await asyncio.to_thread(job)
        except AgentTuiError as exc:
            result = [(False, exc.message)]
        self._finish(result)

    def _finish(self, messages: Result, *, reload: bool = True) -> None:
        self.busy = False
        for tab in TABS:
            self.selected[tab].clear()
        oks = [m for ok, m in messages if ok]
        if oks:
            self.tell(
                "\n".join(oks[:8]) + (f"\n… {len(oks) - 8} more" if len(oks) > 8 else ""),
                title=f"{len(oks)} done",
                timeout=6,
            )
        for m in [m for ok, m in messages if not ok][:5]:
            self.tell(m, error=True)
        if reload:
            self.action_reload()

    @work(exclusive=True, group="recovery-flow", exit_on_error=False)
    async def flow(self, make: Callable[[], Awaitable[None]]) -> None:
        await make()

    # ---------------------------------------------------------------- actions
    def action_destroy(self) -> None:
        keys = self.targets(self.tab)
        if not keys or self.data is None:
            self.tell("nothing to act on")
            return
        tab = self.tabs[self.tab]
        self.flow(lambda: tab.destroy(keys))

    def action_archive(self) -> None:
        if self.tab != "worktrees":
            self.tell("archive works on the Worktrees tab")
            return
        keys = self.targets("worktrees")
        if keys:
            self.flow(lambda: self.worktrees.remove(keys, archive=True))

    def action_prune(self) -> None:
        self.flow(self.worktrees.prune)

    def action_unlock(self) -> None:
        keys = self.targets("worktrees") if self.tab == "worktrees" else []
        if keys:
            self.flow(lambda: self.worktrees.unlock(keys))

    def _one_stash(self) -> Any:
        if self.tab != "stashes":
            self.tell("this works on the Stashes tab")
            return None
        return self.stashes.by_sha().get(self._cursor_key("stashes") or "")

    def action_apply(self, pop: bool = False) -> None:
        if (s := self._one_stash()) is not None:
            self.flow(lambda: self.stashes.apply(s, pop=pop))

    def action_pop(self) -> None:
        self.action_apply(pop=True)

    def action_to_branch(self) -> None:
        if (s := self._one_stash()) is not None:
            self.flow(lambda: self.stashes.to_branch(s))

    def action_restore(self) -> None:
        if self.tab != "trash":
            self.action_tab("trash")
            return
        keys = self.targets("trash")
        self.flow(lambda: self.trash.restore(keys))

    def action_purge(self) -> None:
        if self.tab != "trash":
            self.tell("purge works on the Trash tab")
            return
        keys = self.targets("trash")
        self.flow(lambda: self.trash.destroy(keys))

    def action_salvage(self) -> None:
        """S: the selected agents' work onto branches of their own (on the Agents tab), else the
        whole incident (and the checkout restored)."""
        # (the selection only: with none, S is the whole incident, whichever row the cursor is on)
        keys = [k for k in self.keys("agents") if k in self.selected["agents"]] if self.tab == "agents" else []
        self.flow(lambda: self.agents.salvage(keys, everything=not keys))

    def action_clean_all(self) -> None:
        self.flow(lambda: clean_all(self))
