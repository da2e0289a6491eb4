"""Recovery that loses nothing (GIT-NOTES.md, "Destroying safely"), by job:

* :mod:`.trash` — the backups (``refs/agenttui/trash/<id>/<kind>``), listing, restore, purge;
* :mod:`.ops` — drop stashes, delete branches, archive / prune / unlock worktrees, each backed up
  in the same ``update-ref --stdin`` transaction that verifies the target did not move;
* :mod:`.incident` — what appeared since the baseline, and cleaning it up;
* :mod:`.listing` — everything the recovery screen lists, read in one go;
* :mod:`.report` — the incident reconstructed (``agenttui incident``);
* :mod:`.salvage` — one branch per agent, the checkout restored (``agenttui salvage``);
* :mod:`.lock` — one recovery operation at a time per repository.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # (for the type checker: at run time each name is imported on first use, below)
    from agenttui.core.recovery.incident import Incident, baseline, clean_incident, find_incident, owned_by_plan
    from agenttui.core.recovery.listing import AgentRow, RecoveryData, WorktreeRow, agent_rows, load_data, load_stashes
    from agenttui.core.recovery.ops import (
        apply_stash,
        archive_worktree,
        delete_branch,
        drop_stashes,
        find_worktree,
        ignored_count,
        prune_worktrees,
        snapshot_worktree,
        stash_to_branch,
        unlock_worktree,
        untracked_ignored,
        worktree_blockers,
    )
    from agenttui.core.recovery.restore import restore, restore_many
    from agenttui.core.recovery.trash import (
        KINDS,
        TRASH,
        Outcome,
        RecoveryError,
        TrashEntry,
        get_entry,
        list_trash,
        new_id,
        purge,
    )

#: name -> the submodule that defines it: imported when first asked for (PEP 562), so that a screen
#: importing one name (the recovery screen's first frame needs the listing) does not pay for the
#: timeline, salvage and the incident report.
_WHERE = {
    "AgentRow": "listing",
    "Incident": "incident",
    "KINDS": "trash",
    "Outcome": "trash",
    "RecoveryData": "listing",
    "RecoveryError": "trash",
    "TRASH": "trash",
    "TrashEntry": "trash",
    "WorktreeRow": "listing",
    "agent_rows": "listing",
    "apply_stash": "ops",
    "archive_worktree": "ops",
    "baseline": "incident",
    "clean_incident": "incident",
    "delete_branch": "ops",
    "drop_stashes": "ops",
    "find_incident": "incident",
    "find_worktree": "ops",
    "get_entry": "trash",
    "ignored_count": "ops",
    "list_trash": "trash",
    "load_data": "listing",
    "load_stashes": "listing",
    "new_id": "trash",
    "owned_by_plan": "incident",
    "prune_worktrees": "ops",
    "purge": "trash",
    "snapshot_worktree": "ops",
    "stash_to_branch": "ops",
    "unlock_worktree": "ops",
    "untracked_ignored": "ops",
    "worktree_blockers": "ops",
}


# (eager: a function named like its submodule would be replaced by the module on that submodule's
# first import; imported here, once, the name stays the function)
from agenttui.core.recovery.restore import restore, restore_many  # noqa: E402


def __getattr__(name: str) -> object:
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "KINDS",
    "TRASH",
    "AgentRow",
    "Incident",
    "Outcome",
    "RecoveryData",
    "RecoveryError",
    "TrashEntry",
    "WorktreeRow",
    "agent_rows",
    "apply_stash",
    "archive_worktree",
    "baseline",
    "clean_incident",
    "delete_branch",
    "drop_stashes",
    "find_incident",
    "find_worktree",
    "get_entry",
    "ignored_count",
    "list_trash",
    "load_data",
    "load_stashes",
    "new_id",
    "owned_by_plan",
    "prune_worktrees",
    "purge",
    "restore",
    "restore_many",
    "snapshot_worktree",
    "stash_to_branch",
    "unlock_worktree",
    "untracked_ignored",
    "worktree_blockers",
]
