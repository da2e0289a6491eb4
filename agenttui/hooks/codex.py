"""OpenAI Codex CLI hooks (0.171.0; ../shared/OTHER-CLIENTS-NOTES.md, 1.3): the same gate and guard as
Claude Code's, through Codex's own PreToolUse.

- ``spawn_agent`` is refused: Codex's sub-agents have no isolation option and run in the parent's
  checkout (a sub-agent's file landed in the main checkout), so two agents would share it.  The
  way out is one more Codex session in a worktree of its own (``codex --worktree``, or a plan agent).
- ``Bash`` (Codex's ``exec_command`` reaches hooks as ``Bash`` with ``{"command": ...}``) goes to the
  tool-call guard Claude Code's calls go to (``toolguard.check_tool_call``: the same shell reader,
  the same rules).  Every Codex session is an agent here — a session in a linked worktree may not
  write outside it, one in the main checkout may not write there while other agents run — so a
  call without ``agent_id`` (a session's own thread) is judged as the session's.
- The observing events are recorded as Claude Code's are (agent state, the incident), marked
  ``client: "codex"``.
A deny is ``{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", ...}}``,
which Codex honours as Claude Code does (the command does not run; the model is told why).
"""

from __future__ import annotations

import json

from agenttui.hooks.claude_code import Decision, record_event, run_pre_tool_use, stdin_text

SPAWN_TOOLS = ("spawn_agent", "multi_agent_v1spawn_agent")


def pre_tool_use(stdin_text: str) -> tuple[int, str]:
    try:
        payload = json.loads(stdin_text) if stdin_text.strip() else None
    except (ValueError, RecursionError):
        payload = None
    if isinstance(payload, dict):
        tool = str(payload.get("tool_name") or "")
        if tool in SPAWN_TOOLS or tool.endswith("spawn_agent"):
            d = Decision(
                "deny",
                "agenttui: Codex sub-agents run in this checkout, unisolated (spawn_agent has no "
                "worktree option), so two agents would share it. Do the work yourself, or have "
                "the user start another Codex session in its own worktree (codex --worktree, or "
                "an agenttui plan agent).",
                subagent_type="codex",
            )
            _journal_dispatch(payload, d)
            out = d.output()
            return 0, json.dumps(out) if out is not None else ""
        if not payload.get("agent_id") and payload.get("session_id"):
            payload["agent_id"] = payload["session_id"]  # every Codex session is an agent
            payload.setdefault("agent_type", "codex session")
        stdin_text = json.dumps(payload)
    return run_pre_tool_use(stdin_text)


def _journal_dispatch(payload: dict[str, object], d: Decision) -> None:
    from agenttui.hooks.claude_code import journal

    journal(payload, d)


def hot(argv: list[str]) -> int:
    text = stdin_text()
    if argv[:1] == ["event"]:
        return record_event(text, client="codex")
    code, out = pre_tool_use(text)
    if out:
        print(out)
    return code
