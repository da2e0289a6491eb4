"""The Worktrees tab: remove (only if clean), archive (snapshot everything first), prune, unlock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agenttui.core import recovery
from agenttui.core.git.models import Worktree
from agenttui.core.recovery import RecoveryData, WorktreeRow
from agenttui.tui.format import short_path
from agenttui.tui.screens.recovery.base import Row, Tab, each, outcomes


def flags(w: Worktree) -> str:
    out = []
    if w.is_main:
        out.append("main")
    if w.locked:
        out.append(f"locked: {w.locked_reason}" if w.locked_reason else "locked")
    if w.prunable:
        out.append("prunable")
    return ", ".join(out) or "-"


class WorktreesTab(Tab):
    name = "worktrees"
    columns = ("path", "branch", "HEAD", "dirty", "untracked", "ignored", "flags", "processes")

    def rows(self, data: RecoveryData, now: float | None, match: Callable[..., bool]) -> list[Row]:
        return [
            (
                str(r.wt.path),
                (
                    short_path(r.wt.path),
                    r.wt.branch or "(detached)",
                    (r.wt.head or "-")[:8],
                    "-" if r.wt.dirty is None else r.wt.dirty,
                    r.untracked,
                    r.ignored,
                    flags(r.wt),
                    ", ".join(r.procs) or "-",
                ),
            )
            for r in data.worktrees
            if match(r.wt.path, r.wt.branch)
        ]

    def by_path(self) -> dict[str, WorktreeRow]:
        d = self.screen.data
        return {str(r.wt.path): r for r in (d.worktrees if d else ())}

    async def destroy(self, keys: list[str]) -> None:
        await self.remove(keys, archive=False)

    async def remove(self, keys: list[str], *, archive: bool) -> None:
        by = self.by_path()
        verb = (
            "archive (snapshot everything, then git worktree remove)"
            if archive
            else "git worktree remove (only if clean)"
        )
        rows = [
            f"{verb}: {short_path(r.wt.path)} [{r.wt.branch or 'detached'}] — "
            f"{r.wt.dirty or 0} changed/untracked, {r.ignored} ignored files"
            for k in keys
            if (r := by.get(k)) is not None
        ]
        title = f"{'Archive' if archive else 'Remove'} {len(rows)} worktree{'s' if len(rows) != 1 else ''}"
        if await self.screen.confirm(title, rows):
            await self.screen.run(
                lambda: each(lambda k: recovery.archive_worktree(self.paths, Path(k), require_clean=not archive), keys)
            )

    async def prune(self) -> None:
        if await self.screen.confirm("Prune stale worktrees", ["git worktree prune (each stale HEAD backed up first)"]):
            await self.screen.run(lambda: outcomes(recovery.prune_worktrees(self.paths)))

    async def unlock(self, keys: list[str]) -> None:
        await self.screen.run(lambda: each(lambda k: recovery.unlock_worktree(self.paths, Path(k)), keys))
