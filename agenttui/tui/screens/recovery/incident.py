"""The incident line: back up and clean every stray at once (unmerged branches ask again)."""

from __future__ import annotations

from agenttui.core import recovery
from agenttui.tui.format import short_path
from agenttui.tui.screens.recovery.base import Host, outcomes


async def clean_all(screen: Host) -> None:
    inc = screen.data.incident if screen.data is not None else None
    if inc is None:
        screen.tell("still reading the repository: try again in a moment")
        return
    if inc.empty:
        screen.tell("nothing stray to clean")
        return
    rows = [f"archive worktree {short_path(p)}" for p in inc.worktrees]
    rows += [f"delete branch {b}{' (NOT MERGED: asks again)' if b in inc.unmerged else ''}" for b in inc.branches]
    rows += [f"drop {s.ref} ({s.message[:50]})" for s in sorted(inc.stashes, key=lambda s: -s.index)]
    if not await screen.confirm(
        f"Back up and clean the incident: {inc.summary}",
        rows,
        note="Everything goes to the trash first; u on the Trash tab restores it.",
    ):
        return
    force = False
    if inc.unmerged:
        force = await screen.confirm(
            f"{len(inc.unmerged)} branches are not merged: delete them too (-D)?",
            list(inc.unmerged),
            "y deletes them (backed up); any other key keeps them and cleans the rest.",
            say_cancel=False,
        )
    await screen.run(lambda: outcomes(recovery.clean_incident(screen.paths, inc, force_unmerged=force)))
