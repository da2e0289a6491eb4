"""The Agents tab: the incident untangled by agent (its stashes, commits, branches, worktree and
files; paths another agent changed too), and salvage: each agent's work onto its own branch."""

from __future__ import annotations

from collections.abc import Callable

from agenttui.core.recovery import RecoveryData
from agenttui.tui.screens.recovery.base import Result, Row, Tab


class AgentsTab(Tab):
    name = "agents"
    columns = ("agent", "dispatch", "git changes", "files", "stashes", "commits", "branches", "worktree", "conflicts")

    def rows(self, data: RecoveryData, now: float | None, match: Callable[..., bool]) -> list[Row]:
        return [
            (
                a.agent,
                (
                    a.agent,
                    f"{a.name} {a.agent_id[:10]}".strip() if a.name != a.agent else a.agent_id[:10],
                    a.changes,
                    len(a.files),
                    f"{a.stashes} ({a.unique_stashes} unique)",
                    a.commits,
                    ", ".join(a.branches) or "-",
                    ", ".join(a.worktrees) or "-",
                    ", ".join(a.conflicts[:3]) + (" …" if len(a.conflicts) > 3 else "") or "-",
                ),
            )
            for a in data.agents
            if match(a.agent, a.name, a.agent_id, *a.branches, *a.files)
        ]

    def detail(self, key: str) -> str:
        """Where the highlighted agent's work is: each file's latest revision and its source."""
        d = self.screen.data
        row = next((a for a in (d.agents if d else ()) if a.agent == key), None)
        if row is None:
            return ""
        return "\n".join([f"salvage/{row.agent}: {row.name} ({row.agent_id or 'no agent id'})", *row.sources])

    async def destroy(self, keys: list[str]) -> None:
        self.screen.tell("S salvages the selected agents' work onto branches of their own (nothing is deleted)")

    async def salvage(self, keys: list[str], *, everything: bool) -> None:
        d = self.screen.data
        by = {a.agent: a for a in (d.agents if d else ())}
        chosen = list(by) if everything else [k for k in keys if k in by]
        if not chosen:
            self.screen.tell("no agent work to salvage (no baseline on record, or nothing changed since)")
            return
        rows = []
        for n in chosen:
            rows.append(f"salvage/{n}: {len(by[n].files)} files, each its latest revision")
            rows += [f"    {src}" for src in by[n].sources[:12]]
        conflicts = sorted({c for n in chosen for c in by[n].conflicts})
        rows += [f"conflict: {c} (each agent's branch keeps its own version)" for c in conflicts[:20]]
        if everything:
            rows.append(
                "then: the main checkout back to its baseline branch and SHA, clean; stashes dropped, "
                "agent branches deleted, self-made worktrees archived — everything to the trash first"
            )
        title = f"Salvage {'the incident' if everything else ', '.join(chosen)}"
        if not await self.screen.confirm(title, rows, "Nothing is lost: u on the Trash tab restores what it removes."):
            return

        def job() -> Result:
            from agenttui.core.recovery.salvage import salvage  # (not on the recovery screen's start-up)

            res = salvage(self.paths, agents=None if everything else chosen, since=d.since if d else None)
            out = [(o.ok, o.message) for o in res.outcomes]
            if res.plan:
                out.append((True, f"re-dispatch plan: {res.plan}"))
            return out

        await self.screen.run(job)
