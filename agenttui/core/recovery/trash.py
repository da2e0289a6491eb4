"""The trash: backups of everything recovery removes, listing, restore and purge.

Recovery operations lose nothing (GIT-NOTES.md, "Destroying safely").

Every destructive step: quiesce, journal the before-state, back up under
``refs/agenttui/trash/<id>/<kind>`` in one ``update-ref --stdin`` transaction that also verifies
the target did not move, run git's own command, check the SHA it prints.  Anything under
``refs/`` survives gc, so a dropped stash, a deleted branch or an archived worktree can always be
restored (:func:`restore`) until the user purges it (:func:`purge`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agenttui.core import journal
from agenttui.core.errors import AgentTuiError, first_line
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git.models import RepoPaths
from agenttui.core.recovery.lock import locked

TRASH = "refs/agenttui/trash"
KINDS = ("stash", "branch", "worktree")


class RecoveryError(AgentTuiError):
    """A refusal or failure; nothing was removed."""


@dataclass(frozen=True)
class TrashEntry:
    id: str
    kind: str  # stash / branch / worktree
    sha: str
    time: float
    description: str
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def ref(self) -> str:
        return f"{TRASH}/{self.id}/{self.kind}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "sha": self.sha, "time": self.time, "description": self.description}


@dataclass(frozen=True)
class Outcome:
    """What one operation did, in words (for the UI and the CLI)."""

    ok: bool
    message: str
    trash_id: str | None = None


#: Tests and snapshots may pin trash ids (an iterator of strings); None: time + random.
ID_OVERRIDE: Iterator[str] | None = None


def new_id() -> str:
    if ID_OVERRIDE is not None:
        return next(ID_OVERRIDE)
    import secrets  # (hashlib and hmac: not on the way to `agenttui recover`'s first frame)

    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def _cwd(paths: RepoPaths) -> Path:
    return paths.toplevel or paths.common_dir


def _backup(paths: RepoPaths, entry_id: str, kind: str, sha: str, verify: tuple[str, str] | None = None) -> str:
    """Create the trash ref (and verify *verify* = (ref, sha)) in one transaction."""
    ref = f"{TRASH}/{entry_id}/{kind}"
    lines = ["start", f"create {ref} {sha}"]
    if verify is not None:
        lines.append(f"verify {verify[0]} {verify[1]}")
    lines += ["prepare", "commit"]
    status, _, err = gitcmd.run(paths.common_dir, ["update-ref", "--stdin"], input="\n".join(lines) + "\n", check=False)
    if status != 0:
        first = first_line(err, "update-ref failed")
        if verify is not None and ("but expected" in err or "cannot lock" in err or "is at" in err):
            raise RecoveryError(
                f"{verify[0]} moved since it was listed (an agent may be using it): "
                "nothing was removed; reload and try again"
            )
        raise RecoveryError(f"backup failed, nothing was removed: {first.removeprefix('fatal: ')}")
    return ref


def backup_into_trash(paths: RepoPaths, kind: str, sha: str, description: str, meta: dict[str, Any]) -> str:
    """Put *sha* in the trash as a new entry (restorable with ``agenttui restore ID``): its id."""
    entry = new_id()
    _backup(paths, entry, kind, sha)
    _record(paths, "trash", id=entry, kind=kind, sha=sha, description=description, meta=meta)
    return entry


def _unbackup(paths: RepoPaths, ref: str) -> None:
    gitcmd.run(paths.common_dir, ["update-ref", "-d", ref], check=False)


def _record(paths: RepoPaths, event: str, **data: Any) -> None:
    journal.append(paths, event, **data)


# ------------------------------------------------------------------------ trash
def list_trash(paths: RepoPaths) -> list[TrashEntry]:
    """Every backed-up item, newest first: one ``for-each-ref`` joined with the journal."""
    text = gitcmd.out(paths.common_dir, "for-each-ref", "--format=%(refname)%00%(objectname)", TRASH)
    info: dict[str, dict[str, Any]] = {}
    for rec in journal.read(paths):
        # "trash" is written after the removal; a crash before it leaves only "trash-before"
        event, eid = rec.get("event"), rec.get("id")
        if isinstance(eid, str) and (event == "trash" or (event == "trash-before" and eid not in info)):
            info[eid] = rec
    entries: list[TrashEntry] = []
    for line in text.splitlines():
        ref, _, sha = line.partition("\0")
        parts = ref.removeprefix(TRASH + "/").split("/")
        if len(parts) != 2 or parts[1] not in KINDS:
            continue
        entry_id, kind = parts
        rec = info.get(entry_id, {})
        when = float(rec.get("time", 0.0)) or _id_time(entry_id)
        entries.append(
            TrashEntry(
                entry_id,
                kind,
                sha,
                when,
                str(rec.get("description") or f"{kind} {sha[:10]}"),
                dict(rec.get("meta") or {}),
            )
        )
    entries.sort(key=lambda e: (e.time, e.id), reverse=True)
    return entries


def _id_time(entry_id: str) -> float:
    try:
        return time.mktime(time.strptime(entry_id[:15], "%Y%m%d-%H%M%S"))
    except ValueError:
        return 0.0


def get_entry(paths: RepoPaths, entry_id: str) -> TrashEntry:
    for e in list_trash(paths):
        if e.id == entry_id:
            return e
    raise RecoveryError(f"no trash entry {entry_id!r} (agenttui trash lists them)")


@locked
def purge(paths: RepoPaths, entry_id: str) -> Outcome:
    """Empty one trash entry for good (``update-ref -d``)."""
    e = get_entry(paths, entry_id)
    gitcmd.out(paths.common_dir, "update-ref", "-d", e.ref, e.sha)
    _record(paths, "purge", id=e.id, kind=e.kind, sha=e.sha)
    return Outcome(True, f"purged {e.description}")
