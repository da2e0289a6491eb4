"""The Trash tab: restore (stashes back in their order), purge (gone for good)."""

from __future__ import annotations

from collections.abc import Callable

from agenttui.core import recovery
from agenttui.core.recovery import RecoveryData, TrashEntry
from agenttui.tui.format import age
from agenttui.tui.screens.recovery.base import Row, Tab, each, outcomes


class TrashTab(Tab):
    name = "trash"
    columns = ("id", "kind", "sha", "age", "description")

    def rows(self, data: RecoveryData, now: float | None, match: Callable[..., bool]) -> list[Row]:
        return [
            (e.id, (e.id, e.kind, e.sha[:10], age(e.time, now), e.description[:70]))
            for e in data.trash
            if match(e.id, e.kind, e.description)
        ]

    def by_id(self) -> dict[str, TrashEntry]:
        d = self.screen.data
        return {e.id: e for e in (d.trash if d else ())}

    async def restore(self, keys: list[str]) -> None:
        by = self.by_id()
        rows = [f"restore {by[k].description} ({by[k].sha[:10]})" for k in keys if k in by]
        if rows and await self.screen.confirm(f"Restore {len(rows)} entr{'ies' if len(rows) != 1 else 'y'}", rows):
            await self.screen.run(lambda: outcomes(recovery.restore_many(self.paths, keys)))

    async def destroy(self, keys: list[str]) -> None:
        by = self.by_id()
        rows = [f"delete backup {by[k].ref} ({by[k].description}) — gone for good" for k in keys if k in by]
        if rows and await self.screen.confirm(f"Purge {len(rows)} trash entr{'ies' if len(rows) != 1 else 'y'}", rows):
            await self.screen.run(lambda: each(lambda k: recovery.purge(self.paths, k), keys))
