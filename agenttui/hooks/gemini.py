"""Google Gemini CLI hooks (0.61.0; ../shared/OTHER-CLIENTS-NOTES.md, 2.2): the same gate and guard
as Claude Code's, through Gemini's BeforeTool (``{"decision": "deny", "reason": ...}`` refuses).

- ``invoke_agent`` is refused: Gemini's sub-agents have no worktree isolation (a sub-agent's file
  landed in the main checkout) and their tool calls carry no agent id.
- ``run_shell_command`` (its ``dir_path`` as the working directory), ``write_file`` and ``replace``
  go to the tool-call guard as Claude Code's Bash, Write and Edit do; every Gemini session is an agent.
- The observing events are recorded as Claude Code's equivalents (BeforeAgent as UserPromptSubmit,
  AfterAgent as Stop, AfterTool as PostToolUse; a ToolPermission Notification as needs input),
  marked ``client: "gemini"``.
"""

from __future__ import annotations

import json
import os

from agenttui.hooks.claude_code import Decision, journal, record_event, run_pre_tool_use, stdin_text

SPAWN_TOOLS = ("invoke_agent",)
#: Gemini's event names as the Claude Code events agent state reads
EVENT_AS = {
    "BeforeAgent": "UserPromptSubmit",
    "AfterAgent": "Stop",
    "AfterTool": "PostToolUse",
    "BeforeTool": "PreToolUse",
}


def _deny(reason: str) -> tuple[int, str]:
    return 0, json.dumps({"decision": "deny", "reason": reason})


def before_tool(stdin_text: str) -> tuple[int, str]:
    try:
        payload = json.loads(stdin_text) if stdin_text.strip() else None
    except (ValueError, RecursionError):
        return _deny("agenttui: the hook's input was not valid JSON (cut short?), so this call is refused")
    if not isinstance(payload, dict):
        return 0, ""
    tool = str(payload.get("tool_name") or "")
    raw = payload.get("tool_input")
    ti: dict[str, object] = raw if isinstance(raw, dict) else {}
    if tool in SPAWN_TOOLS:
        d = Decision(
            "deny",
            "agenttui: Gemini sub-agents run in this checkout, unisolated (invoke_agent has no "
            "worktree option), so two agents would share it. Do the work yourself, or have the "
            "user start another Gemini session in its own worktree.",
            subagent_type="gemini",
        )
        journal(payload, d)
        return _deny(d.reason)
    cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
    if tool == "run_shell_command":
        where = ti.get("dir_path")
        if isinstance(where, str) and where and cwd:
            cwd = os.path.normpath(os.path.join(cwd, where))
        mapped: dict[str, object] = {"tool_name": "Bash", "tool_input": {"command": str(ti.get("command") or "")}}
    elif tool == "write_file":
        mapped = {"tool_name": "Write", "tool_input": {"file_path": ti.get("file_path")}}
    elif tool == "replace":
        mapped = {"tool_name": "Edit", "tool_input": {"file_path": ti.get("file_path")}}
    else:
        return 0, ""
    session = payload.get("session_id")
    mapped["cwd"], mapped["session_id"] = cwd, session
    mapped["agent_id"], mapped["agent_type"], mapped["hook_event_name"] = (
        session or "gemini",
        "gemini session",
        "PreToolUse",
    )
    _code, out = run_pre_tool_use(json.dumps(mapped))
    if not out:
        return 0, ""
    try:
        spec = json.loads(out).get("hookSpecificOutput") or {}
    except ValueError:
        return _deny("agenttui: the guard's answer was unreadable: refused")
    if spec.get("permissionDecision") == "deny":
        return _deny(str(spec.get("permissionDecisionReason") or "agenttui: refused"))
    return 0, ""


def event(stdin_text: str) -> int:
    try:
        payload = json.loads(stdin_text) if stdin_text.strip() else None
    except (ValueError, RecursionError):
        return 0
    if not isinstance(payload, dict):
        return 0
    name = str(payload.get("hook_event_name") or "")
    if name == "Notification" and payload.get("notification_type") == "ToolPermission":
        payload["notification_type"] = "permission_prompt"
    payload["hook_event_name"] = EVENT_AS.get(name, name)
    ti = payload.get("tool_input")
    if isinstance(ti, dict) and payload.get("tool_name") in ("write_file", "replace"):
        payload["tool_name"] = "Write" if payload["tool_name"] == "write_file" else "Edit"
    elif isinstance(ti, dict) and payload.get("tool_name") == "run_shell_command":
        payload["tool_name"] = "Bash"
    return record_event(json.dumps(payload), client="gemini")


def hot(argv: list[str]) -> int:
    text = stdin_text()
    if argv[:1] == ["event"]:
        return event(text)
    code, out = before_tool(text)
    if out:
        print(out)
    return code
