"""Agents caught acting outside their worktree through something the tool call did not show.

A subagent that runs ``sh tidy.sh`` from its worktree, the script stashing the main checkout: no
hook reading the command text can see that.  The guard sees the ``git`` process working on the main
checkout and, walking up its ancestry, the agent's shell in its own worktree (:mod:`.actors`).
Then (here): the announcement is revoked (by the UI, which owns the gate), and a marker is left
that the stdlib tool-call hook reads (:func:`agenttui.base.dotgit.escape_marker`): that
agent's shell tools (Bash, PowerShell, Monitor) are refused from then on, with the reason.  The
markers go when the user announces again (:func:`clear`), each step journaled.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

from agenttui.base.dotgit import escape_marker
from agenttui.base.safefile import write_atomic
from agenttui.core import journal
from agenttui.core.git.models import RepoPaths
from agenttui.core.guard.actors import Actor


def mark(paths: RepoPaths, actor: Actor, what: str) -> str:
    """Leave the marker for *actor*'s worktree; the reason it gives (also journaled)."""
    assert actor.worktree is not None
    reason = (
        f"agent '{actor.agent}' changed the main checkout from its worktree {actor.worktree}: {what} (pid {actor.pid})"
    )
    target = Path(escape_marker(str(paths.common_dir), actor.worktree))
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(
            target,
            json.dumps(
                {
                    "time": time.time(),
                    "agent": actor.agent,
                    "worktree": actor.worktree,
                    "reason": reason,
                    "actor": actor.to_json(),
                }
            ),
        )
    with contextlib.suppress(OSError):
        journal.append(paths, "escape", agent=actor.agent, worktree=actor.worktree, what=what, actor=actor.to_json())
    return reason


def _markers(paths: RepoPaths) -> list[tuple[Path, dict[str, object]]]:
    """Every marker file with what it says ({} when unreadable)."""
    folder = paths.common_dir / "agenttui" / "escaped"
    found: list[tuple[Path, dict[str, object]]] = []
    for f in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        rec: object = {}
        with contextlib.suppress(OSError, ValueError):
            rec = json.loads(f.read_text())
        found.append((f, rec if isinstance(rec, dict) else {}))
    return found


def active(paths: RepoPaths) -> list[dict[str, object]]:
    return [rec for _f, rec in _markers(paths) if rec]


def clear(paths: RepoPaths) -> list[str]:
    """Release every caught agent (the user announced again): the agents released."""
    released: list[str] = []
    for f, rec in _markers(paths):
        if rec:
            released.append(str(rec.get("agent")))
        with contextlib.suppress(OSError):
            f.unlink()
    if released:
        with contextlib.suppress(OSError):
            journal.append(paths, "escape-release", agents=released)
    return released
