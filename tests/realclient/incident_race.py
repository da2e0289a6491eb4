"""The incident, as the real Claude Code client plays it against the mock (see MockApi's race).

Four unisolated `general-purpose` subagents dispatched in one turn into ONE checkout; their tool calls
interleave in a fixed order: branches flip under each other, one agent's `stash push -u` sweeps two
others' files, one commits on `main`, one stashes and pops its own notes (a dangling commit) that
another then commits, one makes a worktree of its own in a temporary folder (inheriting another
agent's older files), and the api agent's newest `handlers.py` lives only in a stash while older
copies sit on a branch and in that worktree.  EXPECTED is each agent's latest revision of each
file it wrote: what salvage must put on that agent's branch, and nothing older.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

HANDLERS = "def handle():\n    return 'base'\n"
AGENTS = {"auth": "impl auth", "api": "impl api", "db": "fix db", "docs": "write docs"}


def _bash(command: str) -> dict[str, Any]:
    return {"name": "Bash", "input": {"command": command, "description": "step"}}


def _write(path: Path, content: str) -> dict[str, Any]:
    return {"name": "Write", "input": {"file_path": str(path), "content": content}}


def _read(path: Path) -> dict[str, Any]:
    return {"name": "Read", "input": {"file_path": str(path)}}


def _edit(path: Path, old: str, new: str) -> dict[str, Any]:
    return {"name": "Edit", "input": {"file_path": str(path), "old_string": old, "new_string": new}}


def race(repo: Path, tmp: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(dispatches, {"steps", "order"}) for drive.py."""
    src, wt = repo / "src", tmp / "docs-tmp"
    seq: list[tuple[str, dict[str, Any]]] = [
        ("auth", _write(src / "auth.py", "AUTH = 1\n")),
        ("api", _write(src / "api.py", "API = 1\n")),
        ("auth", _bash("git checkout -b agent-auth-work")),
        ("api", _read(src / "handlers.py")),
        ("api", _edit(src / "handlers.py", "'base'", "'v1'")),
        ("auth", _bash("git add src/auth.py && git commit -q -m 'auth wip 1'")),
        ("auth", _read(src / "auth.py")),
        ("auth", _edit(src / "auth.py", "AUTH = 1", "AUTH = 2")),
        ("db", _write(src / "db.py", "DB = 1\n")),
        ("api", _bash("git stash push -u -m others-work-again")),  # sweeps auth's and db's work too
        ("db", _bash("git checkout main")),
        ("db", _write(src / "db.py", "DB = 2\n")),
        ("db", _bash("git add src/db.py && git commit -q -m 'db fix'")),  # a commit on main
        ("db", _write(src / "db_notes.md", "notes\n")),
        ("db", _bash("git stash push -u -m db-tmp")),
        ("db", _bash("git stash pop")),  # the stash is gone from the list: a dangling commit now
        ("api", _bash("git checkout -b agent-api-work")),
        ("api", _write(src / "api.py", "API = 2\n")),
        ("api", _read(src / "handlers.py")),
        ("api", _edit(src / "handlers.py", "'base'", "'v2'")),
        ("api", _bash("git add -A && git commit -q -m 'api wip'")),
        ("docs", _bash(f"git worktree add -q -b docs-iso {wt}")),  # inherits api's older files
        ("docs", _write(wt / "DOCS.md", "# docs\n")),
        ("docs", _bash(f"cd {wt} && git add -A && git commit -q -m 'docs'")),
        ("api", _read(src / "handlers.py")),
        ("api", _edit(src / "handlers.py", "'v2'", "'v3'")),
        ("api", _bash("git stash push -m api-wip-3")),  # its newest handlers.py: only in this stash
        ("auth", _bash("git stash list")),
        ("auth", _bash("git checkout agent-auth-work")),
    ]
    steps: dict[str, list[dict[str, Any]]] = {}
    for label, call in seq:
        steps.setdefault(label, []).append(call)
    dispatches = [
        {
            "description": AGENTS[label],
            "prompt": f"AGENTTUI-STEPS {label} — the {AGENTS[label]} task",
            "subagent_type": "general-purpose",
            "run_in_background": False,
        }
        for label in AGENTS
    ]
    return dispatches, {"steps": steps, "order": [label for label, _ in seq]}


#: agent description -> path -> its latest content
EXPECTED = {
    "impl auth": {"src/auth.py": "AUTH = 2\n"},
    "impl api": {"src/api.py": "API = 2\n", "src/handlers.py": "def handle():\n    return 'v3'\n"},
    "fix db": {"src/db.py": "DB = 2\n", "src/db_notes.md": "notes\n"},
    "write docs": {"DOCS.md": "# docs\n"},
}
