"""The Stashes tab: drop (backed up, highest index first), apply, pop, turn into a branch."""

from __future__ import annotations

from collections.abc import Callable

from agenttui.core import recovery
from agenttui.core.git.models import Stash
from agenttui.core.recovery import RecoveryData
from agenttui.tui.format import age
from agenttui.tui.screens.recovery.base import Row, Tab, outcomes


class StashesTab(Tab):
    name = "stashes"
    columns = ("stash", "age", "branch", "files", "message")

    def rows(self, data: RecoveryData, now: float | None, match: Callable[..., bool]) -> list[Row]:
        return [
            (s.sha, (s.ref, age(s.date, now), s.branch or "-", s.files_text, s.message[:70]))
            for s in data.stashes
            if match(s.ref, s.message, s.branch)
        ]

    def by_sha(self) -> dict[str, Stash]:
        d = self.screen.data
        return {s.sha: s for s in (d.stashes if d else ())}

    async def destroy(self, keys: list[str]) -> None:
        by = self.by_sha()
        stashes = sorted((by[k] for k in keys if k in by), key=lambda s: -s.index)
        rows = [f"git stash drop {s.ref}  ({s.sha[:10]}, {s.message[:60]}) — backed up first" for s in stashes]
        targets = [(s.index, s.sha) for s in stashes]
        title = f"Drop {len(stashes)} stash{'es' if len(stashes) != 1 else ''}, highest index first"
        if await self.screen.confirm(title, rows):
            await self.screen.run(lambda: outcomes(recovery.drop_stashes(self.paths, targets)))

    async def apply(self, stash: Stash, *, pop: bool) -> None:
        rows = [f"git stash apply {stash.ref} into the main checkout ({stash.message[:60]})"]
        if pop:
            rows.append(f"then drop {stash.ref} — backed up first")
        if await self.screen.confirm(f"{'Pop' if pop else 'Apply'} {stash.ref}", rows):
            await self.screen.run(lambda: outcomes([recovery.apply_stash(self.paths, stash, pop=pop)]))

    async def to_branch(self, stash: Stash) -> None:
        name = f"rescued/stash-{stash.sha[:8]}"
        rows = [f"create branch {name}: one commit with the stash's changes on its base (no checkout touched)"]
        if await self.screen.confirm(f"Turn {stash.ref} into a branch", rows):
            await self.screen.run(lambda: outcomes([recovery.stash_to_branch(self.paths, stash, name)]))
