"""The Branches tab: delete (``-d``; unmerged ones with ``-D`` only after a second yes)."""

from __future__ import annotations

from collections.abc import Callable

from agenttui.core import recovery
from agenttui.core.git.models import Branch
from agenttui.core.recovery import RecoveryData
from agenttui.tui.format import age, short_path
from agenttui.tui.screens.recovery.base import Result, Row, Tab, each


class BranchesTab(Tab):
    name = "branches"
    columns = ("branch", "age", "merged", "upstream", "worktree", "subject")

    def rows(self, data: RecoveryData, now: float | None, match: Callable[..., bool]) -> list[Row]:
        return [
            (
                b.name,
                (
                    b.name,
                    age(b.date, now),
                    "merged" if b.merged else "unmerged" if b.merged is False else "-",
                    f"{b.upstream} {b.track or ''}".strip() if b.upstream else "-",
                    short_path(b.worktree) if b.worktree else "-",
                    b.subject[:50],
                ),
            )
            for b in data.branches
            if match(b.name, b.subject)
        ]

    def by_name(self) -> dict[str, Branch]:
        d = self.screen.data
        return {b.name: b for b in (d.branches if d else ())}

    async def destroy(self, keys: list[str]) -> None:
        by = self.by_name()
        names = [n for n in keys if n in by]
        merged = [n for n in names if by[n].merged is not False]
        unmerged = [n for n in names if n not in merged]
        rows = [f"git branch -d {n}  ({by[n].sha[:10]}) — backed up first" for n in merged]
        rows += [f"git branch -D {n}  ({by[n].sha[:10]}, NOT MERGED) — asks again" for n in unmerged]

        def delete(todo: list[str], force: list[str]) -> Result:
            return each(lambda n: recovery.delete_branch(self.paths, n, force=n in force), todo)

        if not await self.screen.confirm(f"Delete {len(names)} branch{'es' if len(names) != 1 else ''}", rows):
            return
        if not unmerged:
            await self.screen.run(lambda: delete(names, []))
            return
        if await self.screen.confirm(
            f"{len(unmerged)} branch{'es are' if len(unmerged) != 1 else ' is'} not merged: delete with -D too?",
            [f"git branch -D {n}" for n in unmerged],
            "Their commits stay reachable from the trash (u restores). Any other key keeps them.",
            say_cancel=False,
        ):
            await self.screen.run(lambda: delete(names, unmerged))
        elif merged:
            await self.screen.run(
                lambda: [*delete(merged, []), *[(False, f"kept unmerged branch {n}") for n in unmerged]]
            )
        else:
            self.screen.tell("kept the unmerged branches: nothing was changed")
