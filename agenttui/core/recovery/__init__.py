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
