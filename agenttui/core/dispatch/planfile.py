"""Where the plan is: ``agenttui.toml`` at the repository root, or a file the user named.

Apart from :mod:`.plan` (its schema and parser) so that finding the file costs no import of the
parser: ``agenttui recover`` passes the path on to the supervisor's screen and never reads it
before its first frame (bench/NOTES.md, "Third pass")."""

from __future__ import annotations

from pathlib import Path

PLAN_FILE = "agenttui.toml"


def find_plan(toplevel: Path | None, explicit: str | Path | None = None) -> Path | None:
    """The plan file to use: *explicit*, else ``agenttui.toml`` at the root, else None."""
    if explicit is not None:
        return Path(explicit)
    if toplevel is not None and (toplevel / PLAN_FILE).is_file():
        return toplevel / PLAN_FILE
    return None
