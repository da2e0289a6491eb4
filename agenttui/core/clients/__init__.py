"""What agenttui knows of the agents' clients, one module per client, all reading into one model.

Each reader turns what its client left on disk (transcripts) into :class:`AgentRun` records — one per
dispatched agent, with its prompt and its tool calls in time order — so that the incident timeline
(``core/recovery/timeline.py``) is built the same way whichever client ran the agents.  Nothing read
here is ever run: commands in a transcript are text to match, prompts are data for a re-dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    """One tool call an agent made, as its client recorded it."""

    agent_id: str
    tool: str  # "Bash", "Write", "Edit", "Read", "Agent", ...
    input: dict[str, Any]
    start: float  # the call was issued (unix seconds, ms precision)
    end: float  # its result came back (= start when only one time is known)
    result: str  # the result's text ("Switched to a new branch 'x'"), "" when unknown
    ok: bool  # False: the client or the tool reported an error (nothing happened, or not all of it)
    cwd: str  # the agent's working directory when it made the call
    source: str  # "transcript" or "hook"

    @property
    def command(self) -> str:
        c = self.input.get("command")
        return c if isinstance(c, str) else ""


@dataclass
class AgentRun:
    """One agent: a dispatched subagent (or a session's own main thread) and what it did."""

    client: str  # "claude-code"
    id: str  # the client's agent id (a session id for a main thread)
    name: str  # how its dispatch named it (Claude Code: the Agent call's description)
    agent_type: str
    prompt: str  # its task, verbatim
    session: str
    dispatched: float  # when it was dispatched (its first record's time for a main thread)
    isolation: str | None  # "worktree" when its client isolated it
    worktree: str | None  # its client's worktree for it, where isolated
    transcript: str  # where it was read from ("" for journal-only agents)
    main_thread: bool = False  # a session's own thread, not a dispatched agent
    calls: list[ToolCall] = field(default_factory=list)
    last: float = 0.0  # its last record's time (it was at work from dispatched to here)

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "agent_id": self.id,
            "name": self.name,
            "agent_type": self.agent_type,
            "session": self.session,
            "dispatched": self.dispatched,
            "isolation": self.isolation,
            "worktree": self.worktree,
            "transcript": self.transcript,
            "main_thread": self.main_thread,
            "calls": len(self.calls),
        }


@dataclass
class ReadStats:
    """What a reader skipped, counted (never a crash): bad lines, unreadable files, other repos' sessions."""

    files: int = 0
    bad_lines: int = 0
    unreadable: int = 0
    other: int = 0  # sessions of other repositories or other times
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "bad_lines": self.bad_lines,
            "unreadable": self.unreadable,
            "other": self.other,
            "notes": self.notes,
        }
