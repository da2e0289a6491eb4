"""Claude Code gate: a PreToolUse hook that refuses code-writing subagent dispatches without
worktree isolation (or, with ``--rewrite``, adds ``isolation: "worktree"`` to them).

Only the standard library is imported here: Claude Code waits on this hook for every Agent call.

Payload (PreToolUse on ``Agent|Task``): ``tool_name``, ``cwd``, ``session_id``, ``tool_input`` with
``description``, ``prompt``, ``subagent_type``, ``name``, ``run_in_background`` and ``isolation``
(``"worktree"`` or ``"remote"`` when set).  An agent definition's frontmatter ``isolation:
worktree`` is not in ``tool_input``: it is read from ``.claude/agents/<type>.md`` (project, then
``~/.claude/agents/``).  An agent whose ``tools:`` has none of Edit, Write, NotebookEdit, Bash is
read-only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AGENT_TOOLS = ("Agent", "Task")
WRITE_TOOLS = frozenset({"Edit", "Write", "NotebookEdit", "Bash", "MultiEdit"})
#: Built-in subagents that cannot write (Claude Code ships them read-only).
READ_ONLY_BUILTINS = frozenset({"Explore", "Plan", "statusline-setup", "claude-code-guide"})


@dataclass(frozen=True)
class Decision:
    decision: str  # "allow", "deny", "rewrite", "pass" (not ours to judge)
    reason: str
    updated_input: dict[str, Any] | None = None
    subagent_type: str | None = None
    isolated: bool = False
    read_only: bool = False

    def output(self) -> dict[str, Any] | None:
        """The JSON Claude Code reads on stdout (None: print nothing, exit 0 = no opinion)."""
        if self.decision == "deny":
            return {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                                           "permissionDecisionReason": self.reason}}
        if self.decision == "rewrite":
            return {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow",
                                           "permissionDecisionReason": self.reason,
                                           "updatedInput": self.updated_input}}
        return None


def frontmatter(path: Path) -> dict[str, str]:
    """The ``key: value`` lines of a Markdown file's YAML frontmatter (lists joined by commas)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    out: dict[str, str] = {}
    key = None
    for line in text[3:end].splitlines():
        m = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
        if m:
            key = m.group(1)
            out[key] = m.group(2).strip().strip("'\"")
        elif key and re.match(r"^\s+-\s+", line):  # a YAML list item under the last key
            item = re.sub(r"^\s+-\s+", "", line).strip().strip("'\"")
            out[key] = f"{out[key]}, {item}" if out[key] else item
    return out


def find_agent_file(subagent_type: str, cwd: str | None) -> Path | None:
    """``.claude/agents/<type>.md`` in the project (cwd and its parents), then in ``~/.claude``."""
    if not re.fullmatch(r"[\w.:-]+", subagent_type):
        return None
    starts = [os.environ.get("CLAUDE_PROJECT_DIR"), cwd]
    for start in starts:
        if not start:
            continue
        p = Path(start)
        for d in [p, *p.parents]:
            f = d / ".claude" / "agents" / f"{subagent_type}.md"
            if f.is_file():
                return f
    home = Path(os.path.expanduser("~")) / ".claude" / "agents" / f"{subagent_type}.md"
    return home if home.is_file() else None


def parse_tools(value: str | None) -> set[str] | None:
    """None when the agent inherits every tool (no ``tools:`` key)."""
    if value is None or not value.strip():
        return None
    value = value.strip().strip("[]")
    return {t.strip().strip("'\"").split("(", 1)[0] for t in value.split(",") if t.strip()}


def decide(payload: Any, *, rewrite: bool = False) -> Decision:
    if not isinstance(payload, dict):
        return Decision("pass", "payload is not a JSON object")
    tool = payload.get("tool_name")
    if tool not in AGENT_TOOLS:
        return Decision("pass", f"tool {tool!r} is not a subagent dispatch")
    ti = payload.get("tool_input")
    if not isinstance(ti, dict):
        return Decision("pass", "tool_input is not an object")
    stype = ti.get("subagent_type") or "general-purpose"
    stype = str(stype)
    if ti.get("isolation") in ("worktree", "remote"):
        return Decision("allow", f"isolated ({ti['isolation']})", subagent_type=stype, isolated=True)
    cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
    meta: dict[str, str] = {}
    f = find_agent_file(stype, cwd)
    if f is not None:
        meta = frontmatter(f)
    if meta.get("isolation", "").lower() in ("worktree", "remote"):
        return Decision("allow", f"isolated by the agent definition {f}", subagent_type=stype, isolated=True)
    tools = parse_tools(meta.get("tools")) if f is not None else None
    if (tools is not None and not tools & WRITE_TOOLS) or (f is None and stype in READ_ONLY_BUILTINS):
        return Decision("allow", "read-only subagent", subagent_type=stype, read_only=True)
    what = f"subagent '{stype}'" + (f" ({ti.get('description')})" if ti.get("description") else "")
    if rewrite:
        updated = dict(ti)
        updated["isolation"] = "worktree"
        return Decision("rewrite", f"agenttui added isolation: \"worktree\" to {what}: parallel agents "
                                   "in one checkout race on every git operation",
                        updated_input=updated, subagent_type=stype, isolated=True)
    return Decision(
        "deny",
        f"agenttui: {what} can write code but this dispatch has no worktree isolation. Dispatch it "
        "again with \"isolation\": \"worktree\" in the Agent tool input (agents sharing one checkout "
        "race on every git operation: branches flip, stashes pile up). Read-only agents may omit it.",
        subagent_type=stype,
    )


def journal_file(payload: Any) -> Path | None:
    """The journal of the repository the payload's cwd is in (None: not in a repository)."""
    cwd = payload.get("cwd") if isinstance(payload, dict) else None
    cwd = cwd if isinstance(cwd, str) and os.path.isdir(cwd) else os.getcwd()
    res = subprocess.run(["git", "--no-optional-locks", "rev-parse", "--path-format=absolute",
                          "--git-common-dir"], cwd=cwd, capture_output=True, text=True, timeout=2,
                         env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    if res.returncode != 0:
        return None
    path = Path(res.stdout.strip()) / "agenttui" / "journal.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


EVENT_FIELDS = ("session_id", "agent_id", "agent_type", "cwd", "message", "tool_name", "notification_type",
                "stop_hook_active", "prompt")


def record_event(stdin_text: str) -> int:
    """A Claude Code hook event (UserPromptSubmit, Notification, PermissionRequest, Stop,
    SubagentStart, SubagentStop, PostToolUse): one journal record for the agent-state view and the
    incident's record.  Observational: always exit 0, never blocks the client."""
    try:
        payload = json.loads(stdin_text) if stdin_text.strip() else {}
        if not isinstance(payload, dict):
            return 0
        path = journal_file(payload)
        if path is None:
            return 0
        rec: dict[str, Any] = {"time": time.time(), "event": "claude-code-hook",
                               "hook": payload.get("hook_event_name"),
                               "agent": os.environ.get("AGENTTUI_AGENT")}
        for key in EVENT_FIELDS:
            value = payload.get(key)
            if value is not None:
                rec[key] = value[:2000] if isinstance(value, str) else value
        ti = payload.get("tool_input")
        if isinstance(ti, dict):
            rec["paths"] = [v for k, v in ti.items() if k in ("file_path", "notebook_path") and isinstance(v, str)]
            if isinstance(ti.get("command"), str):
                rec["command"] = ti["command"][:2000]
            if isinstance(ti.get("description"), str):
                rec["description"] = ti["description"][:500]
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    except Exception:  # noqa: BLE001 - an observer never fails the client
        return 0
    return 0


def journal(payload: Any, d: Decision) -> None:
    """Append the decision to the repository's agenttui journal (best effort, never raises)."""
    try:
        path = journal_file(payload)
        if path is None:
            return
        ti = payload.get("tool_input") if isinstance(payload, dict) else None
        rec = {
            "time": time.time(), "event": "claude-code-dispatch", "decision": d.decision,
            "reason": d.reason[:300], "subagent_type": d.subagent_type, "isolated": d.isolated,
            "read_only": d.read_only,
            "session": payload.get("session_id") if isinstance(payload, dict) else None,
            "description": (ti or {}).get("description") if isinstance(ti, dict) else None,
        }
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    except Exception:  # the hook must never fail Claude Code's tool call
        return


def run_pre_tool_use(stdin_text: str, *, rewrite: bool = False) -> tuple[int, str]:
    """(exit code, stdout).  Malformed input allows (exit 0) and is logged; nothing raises."""
    try:
        return _run(stdin_text, rewrite)
    except Exception:
        return 0, ""


def _run(stdin_text: str, rewrite: bool) -> tuple[int, str]:
    try:
        payload = json.loads(stdin_text) if stdin_text.strip() else None
    except ValueError:
        payload = None
    if payload is None:
        d = Decision("pass", "empty or malformed hook input: allowed")
        journal({}, d)
        return 0, ""
    try:
        d = decide(payload, rewrite=rewrite)
    except Exception as exc:  # unexpected shapes: allow and log
        d = Decision("pass", f"unexpected hook input ({type(exc).__name__}): allowed")
    if d.decision != "pass" or (isinstance(payload, dict) and payload.get("tool_name") in AGENT_TOOLS):
        journal(payload, d)
    out = d.output()
    return 0, (json.dumps(out) if out is not None else "")
