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
import time
from pathlib import Path

from agenttui.base.dotgit import repo_dirs
from agenttui.base.safefile import append_json_lines
from agenttui.hooks.toolguard import GUARDED, check_tool_call

TYPE_CHECKING = False  # (typing.TYPE_CHECKING: importing typing costs every hook call: docs/MEASURED.md)
if TYPE_CHECKING:
    from typing import Any

AGENT_TOOLS = ("Agent", "Task", "Workflow")
#: Tools that can change files (2.1.332): Monitor runs a command, Workflow starts agents.
WRITE_TOOLS = frozenset({"Edit", "Write", "NotebookEdit", "Bash", "PowerShell", "Monitor", "Workflow"})
#: Built-in subagents that cannot write.  None: Explore and Plan keep Bash, statusline-setup has
#: Edit, claude-code-guide gets Bash in some modes (read from the client's code).
READ_ONLY_BUILTINS: frozenset[str] = frozenset()
ISOLATIONS = ("worktree", "remote")  # compared exactly, as the client does ("Worktree" runs unisolated)


class Decision:  # (a plain class: a dataclass or NamedTuple costs every hook call imports: docs/MEASURED.md)
    __slots__ = ("decision", "reason", "updated_input", "subagent_type", "isolated", "read_only")

    def __init__(
        self,
        decision: str,
        reason: str,
        updated_input: dict[str, Any] | None = None,
        subagent_type: str | None = None,
        isolated: bool = False,
        read_only: bool = False,
    ) -> None:
        self.decision = decision  # "allow", "deny", "rewrite", "pass" (not ours to judge)
        self.reason = reason
        self.updated_input = updated_input
        self.subagent_type = subagent_type
        self.isolated = isolated
        self.read_only = read_only

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decision) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self) -> str:
        return f"Decision({self.decision!r}, {self.reason!r})"

    def output(self) -> dict[str, Any] | None:
        """The JSON Claude Code reads on stdout (None: print nothing, exit 0 = no opinion)."""
        if self.decision == "deny":
            return {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": self.reason,
                }
            }
        if self.decision == "rewrite":
            return {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "allow",
                    "permissionDecisionReason": self.reason,
                    "updatedInput": self.updated_input,
                }
            }
        return None


def frontmatter(path: Path) -> dict[str, str]:
    """The ``key: value`` lines of a Markdown file's YAML frontmatter (lists joined by commas;
    ``# comments`` and quotes dropped, as YAML does)."""
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
            out[key] = _scalar(m.group(2))
        elif key and re.match(r"^\s+-\s+", line):  # a YAML list item under the last key
            item = _scalar(re.sub(r"^\s+-\s+", "", line))
            out[key] = f"{out[key]}, {item}" if out[key] else item
    return out


def _scalar(value: str) -> str:
    value = value.strip()
    if value[:1] in ("'", '"'):
        q = value[0]
        end = value.find(q, 1)
        return value[1:end] if end > 0 else value[1:]
    return re.sub(r"\s+#.*$", "", value).strip()


def _agent_dirs(cwd: str | None) -> list[Path]:
    """Where the client looks for agent definitions: ``.claude/agents/`` in the project folders
    from cwd up to the git root (and CLAUDE_PROJECT_DIR), then ``~/.claude/agents/``."""
    dirs: list[Path] = []
    for start in (os.environ.get("CLAUDE_PROJECT_DIR"), cwd):
        if not start:
            continue
        for d in [Path(start), *Path(start).parents]:
            dirs.append(d / ".claude" / "agents")
            if (d / ".git").exists():
                break
    dirs.append(Path(os.path.expanduser("~")) / ".claude" / "agents")
    return list(dict.fromkeys(dirs))


def find_agent_file(subagent_type: str, cwd: str | None) -> Path | None:
    """The definition whose frontmatter ``name:`` is *subagent_type* (the file name and subfolder
    do not matter: the client scans ``.claude/agents/`` recursively)."""
    for d in _agent_dirs(cwd):
        if not d.is_dir():
            continue
        for f in sorted(d.rglob("*.md")):
            if frontmatter(f).get("name") == subagent_type:
                return f
    return None


def parse_tools(value: str | None) -> set[str] | None:
    """None when the agent has every tool (no ``tools:`` key, or ``"*"``); an empty set: none."""
    if value is None:
        return None
    value = value.strip().strip("[]")
    if value == "*":
        return None
    return {t.strip().strip("'\"").split("(", 1)[0] for t in value.split(",") if t.strip()}


def workflow_agents(script: str) -> tuple[int, int]:
    """(agents a Workflow script starts, how many of them with ``isolation: 'worktree'``): each
    ``agent(`` call, up to the next one, is looked at for the option."""
    parts = re.split(r"\bagent\s*\(", script)[1:]
    isolated = sum(1 for p in parts if re.search(r"isolation\s*:\s*['\"]worktree['\"]", p))
    return len(parts), isolated


def decide(payload: Any, *, rewrite: bool = False) -> Decision:
    if not isinstance(payload, dict):
        return Decision("pass", "payload is not a JSON object")
    tool = payload.get("tool_name")
    if tool not in AGENT_TOOLS:
        return Decision("pass", f"tool {tool!r} is not a subagent dispatch")
    ti = payload.get("tool_input")
    if not isinstance(ti, dict):
        return Decision("deny", "agenttui: the dispatch's tool_input is not an object: refused")
    if tool == "Workflow":
        script = ti.get("script")
        if not isinstance(script, str) and isinstance(ti.get("scriptPath"), str):
            # the client's re-invocation form: {scriptPath} instead of the script (read it, or refuse)
            try:
                script = _read_script(ti["scriptPath"])
            except (OSError, UnicodeDecodeError, ValueError) as e:
                return Decision(
                    "deny",
                    f"agenttui: cannot read the workflow script {ti['scriptPath']!r} ({e}): refused",
                    subagent_type="workflow",
                )
        script = str(script or "")
        started, isolated = workflow_agents(script)
        # one agent() call in a loop, a map or parallel() starts several
        many = (
            started > 1
            or re.search(r"\bparallel\s*\(|\.(map|forEach|flatMap)\s*\(|\b(for|while)\s*\(", script) is not None
        )
        if many and isolated < started:
            return Decision(
                "deny",
                f"agenttui: this workflow can start several agents and {started - isolated} "
                "agent() call(s) have no isolation: pass {isolation: 'worktree'} to each "
                "agent() call, or run them one after another",
                subagent_type="workflow",
            )
        return Decision(
            "allow",
            f"workflow of {started} agent(s), {isolated} isolated",
            subagent_type="workflow",
            isolated=isolated == started,
        )
    stype = str(ti.get("subagent_type") or "general-purpose")
    cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
    if ti.get("isolation") in ISOLATIONS and _really_isolated(str(ti["isolation"]), cwd):
        return Decision("allow", f"isolated ({ti['isolation']})", subagent_type=stype, isolated=True)
    meta: dict[str, str] = {}
    f = find_agent_file(stype, cwd)
    if f is not None:
        meta = frontmatter(f)
    iso = meta.get("isolation", "")
    if iso in ISOLATIONS and _really_isolated(iso, cwd):
        return Decision("allow", f"isolated by the agent definition {f}", subagent_type=stype, isolated=True)
    tools = parse_tools(meta.get("tools")) if f is not None else None
    denied = parse_tools(meta.get("disallowedTools")) or set() if f is not None else set()
    if tools is not None and not (tools - denied) & WRITE_TOOLS:
        return Decision("allow", "read-only subagent", subagent_type=stype, read_only=True)
    if tools is None and f is not None and denied >= WRITE_TOOLS:
        return Decision(
            "allow", "read-only subagent (every write-capable tool disallowed)", subagent_type=stype, read_only=True
        )
    unknown = (
        ""
        if f is not None or stype == "general-purpose"
        else (
            f" (agenttui found no definition named {stype!r} in .claude/agents/ of the project or the home folder: "
            "agents from --agents JSON, plugins, a managed folder or --add-dir are not read, so it is taken as "
            "one that can write)"
        )
    )
    what = f"subagent '{stype}'" + (f" ({ti.get('description')})" if ti.get("description") else "")
    if rewrite:
        updated = dict(ti)
        updated["isolation"] = "worktree"
        return Decision(
            "rewrite",
            f'agenttui added isolation: "worktree" to {what}: parallel agents '
            "in one checkout race on every git operation",
            updated_input=updated,
            subagent_type=stype,
            isolated=True,
        )
    return Decision(
        "deny",
        f"agenttui: {what} can write code but this dispatch has no worktree isolation{unknown}. Dispatch it "
        'again with "isolation": "worktree" in the Agent tool input (agents sharing one checkout '
        "race on every git operation: branches flip, stashes pile up). Read-only agents may omit it.",
        subagent_type=stype,
    )


def _really_isolated(isolation: str, cwd: str | None) -> bool:
    """``remote`` isolates only where the client falls back to a local worktree: in a git
    repository, on a disk (in a cloud session it runs locally, unisolated)."""
    if isolation == "worktree":
        return True
    if os.environ.get("CLAUDE_CODE_REMOTE"):
        return False
    start = Path(cwd) if cwd else Path.cwd()
    return any((d / ".git").exists() for d in [start, *start.parents])


def journal_file(payload: Any) -> Path | None:
    """The journal of the repository the payload's cwd is in (None: not in a repository)."""
    cwd = payload.get("cwd") if isinstance(payload, dict) else None
    cwd = cwd if isinstance(cwd, str) and os.path.isdir(cwd) else os.getcwd()
    found = repo_dirs(cwd)
    if found is None:
        return None
    path = Path(found[1]) / "agenttui" / "journal.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


EVENT_FIELDS = (
    "session_id",
    "agent_id",
    "agent_type",
    "cwd",
    "message",
    "tool_name",
    "notification_type",
    "error",
    "stop_hook_active",
    "prompt",
)


def record_event(stdin_text: str, client: str = "claude-code") -> int:
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
        rec: dict[str, Any] = {
            "time": time.time(),
            "event": "claude-code-hook",
            "hook": payload.get("hook_event_name"),
            "agent": os.environ.get("AGENTTUI_AGENT"),
        }
        if client != "claude-code":  # (the record's shape is Claude Code's; the client says whose)
            rec["client"] = client
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
        resp = payload.get("tool_response")
        if payload.get("tool_name") in ("Agent", "Task") and isinstance(resp, dict) and isinstance(ti, dict):
            # the dispatch's agent id: its worktree is .claude/worktrees/agent-<id>, its pane is titled by it
            if isinstance(resp.get("agentId"), str):
                rec["launched_agent_id"] = resp["agentId"][:100]
            if isinstance(ti.get("subagent_type"), str):
                rec["subagent_type"] = ti["subagent_type"][:200]
            if isinstance(ti.get("prompt"), str):  # the task, verbatim, for a re-dispatch after an incident
                rec["prompt"] = ti["prompt"][:100_000]
            if isinstance(ti.get("isolation"), str):
                rec["isolation"] = ti["isolation"][:50]
        elif payload.get("hook_event_name") == "PostToolUse" and isinstance(resp, dict):
            # what git said ("Switched to a new branch 'x'", "[b 57b133e] subject"): attribution reads it
            out = resp.get("stdout")
            if isinstance(out, str) and out:
                rec["stdout"] = out[:2000]
        if isinstance(payload.get("transcript_path"), str):
            rec["transcript_path"] = payload["transcript_path"][:4096]
        append_json_lines(path, [rec])
    except Exception:  # noqa: BLE001 - an observer never fails the client
        return 0
    return 0


def _record_denied_call(payload: dict[str, Any], reason: str) -> None:
    try:
        path = journal_file(payload)
        if path is None:
            return
        rec = {
            "time": time.time(),
            "event": "claude-code-tool-denied",
            "tool": payload.get("tool_name"),
            "session_id": payload.get("session_id"),
            "agent_id": payload.get("agent_id"),
            "agent_type": payload.get("agent_type"),
            "cwd": payload.get("cwd"),
            "reason": reason[:500],
        }
        append_json_lines(path, [rec])
    except Exception:  # noqa: BLE001 - the record is best effort; the deny stands
        return


def journal(payload: Any, d: Decision) -> None:
    """Append the decision to the repository's agenttui journal (best effort, never raises)."""
    try:
        path = journal_file(payload)
        if path is None:
            return
        ti = payload.get("tool_input") if isinstance(payload, dict) else None
        rec = {
            "time": time.time(),
            "event": "claude-code-dispatch",
            "decision": d.decision,
            "reason": d.reason[:300],
            "subagent_type": d.subagent_type,
            "isolated": d.isolated,
            "read_only": d.read_only,
            "session": payload.get("session_id") if isinstance(payload, dict) else None,
            "description": (ti or {}).get("description") if isinstance(ti, dict) else None,
            "tool_use_id": payload.get("tool_use_id") if isinstance(payload, dict) else None,
        }
        if isinstance(ti, dict) and isinstance(ti.get("prompt"), str):  # the task, for a re-dispatch
            rec["prompt"] = ti["prompt"][:100_000]
        append_json_lines(path, [rec])
    except Exception:  # the hook must never fail Claude Code's tool call
        return


INTERNAL_DENY = json.dumps(
    {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": "agenttui: the isolation gate failed internally, so this dispatch is refused "
            "(fail closed); run it again, or report it",
        }
    }
)


#: every answer within this many seconds (the installed hook's timeout is 10): past it, refused
ANSWER_BUDGET = 8.0
#: a shell command longer than this is refused unread (the shell reader is linear, shlex is not:
#: docs/MEASURED.md, "hook input")
MAX_COMMAND = 128 * 1024
#: a workflow script larger than this is refused unread
MAX_SCRIPT = 8 * 1024 * 1024


class _OutOfTime(Exception):
    pass


def _read_script(path: str) -> str:
    """A workflow script read whole — not a FIFO (it would block), not more than MAX_SCRIPT (calls after
    padding would go unread)."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > MAX_SCRIPT:
            raise ValueError(f"{st.st_size} bytes, more than the {MAX_SCRIPT} it reads")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_SCRIPT + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_SCRIPT:
        raise ValueError(f"more than the {MAX_SCRIPT} bytes it reads")
    return data.decode("utf-8")


def run_pre_tool_use(stdin_text: str, *, rewrite: bool = False) -> tuple[int, str]:
    """(exit code, stdout).  An internal error, or no answer within ANSWER_BUDGET, denies: the gate
    fails closed, in bounded time (a FIFO, a huge word, an absurd cwd cannot hold the client up)."""
    import signal
    import threading

    timed = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    old: Any = None
    if timed:

        def out_of_time(_sig: int, _frame: Any) -> None:
            raise _OutOfTime()

        old = signal.signal(signal.SIGALRM, out_of_time)
        signal.setitimer(signal.ITIMER_REAL, ANSWER_BUDGET)
    try:
        return _run(stdin_text, rewrite)
    except _OutOfTime:
        return 0, json.dumps(
            {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": (
                        f"agenttui: no answer within {ANSWER_BUDGET:g} s, so this call is refused (fail closed)"
                    ),
                }
            }
        )
    except BaseException:  # noqa: BLE001 - even a RecursionError or an OSError of a long path
        return 0, INTERNAL_DENY
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def _run(stdin_text: str, rewrite: bool) -> tuple[int, str]:
    if not stdin_text.strip():
        d = Decision("pass", "empty hook input: allowed")
        journal({}, d)
        return 0, ""
    try:
        payload = json.loads(stdin_text)
    except (ValueError, RecursionError):  # cut or corrupt: what it would have allowed cannot be told
        d = Decision(
            "deny",
            "agenttui: the hook's input was not valid JSON (cut short?), so this call is refused "
            "(fail closed); run it again",
        )
        journal({}, d)
        out = d.output()
        return 0, json.dumps(out) if out is not None else ""
    if (
        isinstance(payload, dict)
        and isinstance(payload.get("cwd"), str)
        and (len(payload["cwd"]) > 4096 or payload["cwd"].count("/") > 1024)
    ):
        payload["cwd"] = None  # no real working directory is that long: read as none (and decided as such)
        if payload.get("tool_name") in AGENT_TOOLS or payload.get("tool_name") in GUARDED:
            d = Decision("deny", "agenttui: the call's working directory is longer than any real one: refused")
            out = d.output()
            return 0, json.dumps(out) if out is not None else ""
    if isinstance(payload, dict) and payload.get("tool_name") in GUARDED:
        ti = payload.get("tool_input")
        command = ti.get("command") if isinstance(ti, dict) else None
        if isinstance(command, str) and len(command) > MAX_COMMAND:
            d = Decision(
                "deny",
                f"agenttui: this command is {len(command)} characters, more than the "
                f"{MAX_COMMAND} the tool-call guard reads: write large content with the Write "
                "tool, or split the command",
            )
            _record_denied_call(payload, d.reason)
            out = d.output()
            return 0, json.dumps(out) if out is not None else ""
        reason = check_tool_call(payload, journal_file(payload))
        if reason is None:
            return 0, ""
        d = Decision("deny", reason, subagent_type=str(payload.get("agent_type") or ""))
        _record_denied_call(payload, reason)
        out = d.output()
        if out is not None and payload.get("hook_event_name") == "PreSkillShellCommand":  # (a skill's !`cmd`)
            out["hookSpecificOutput"]["hookEventName"] = "PreSkillShellCommand"
        return 0, json.dumps(out) if out is not None else ""
    try:
        d = decide(payload, rewrite=rewrite)
    except Exception as exc:  # noqa: BLE001 - an internal error refuses the dispatch: fail closed
        d = Decision(
            "deny",
            f"agenttui: the isolation gate failed ({type(exc).__name__}), so this dispatch is "
            "refused (fail closed); run it again, or report it",
        )
    if d.decision != "pass" or (isinstance(payload, dict) and payload.get("tool_name") in AGENT_TOOLS):
        journal(payload, d)
    out = d.output()
    return 0, (json.dumps(out) if out is not None else "")


def stdin_text() -> str:
    """The hook's payload (every client's hooks read it the same way); "" when stdin is closed."""
    import sys

    try:
        return sys.stdin.read() if sys.stdin is not None and not sys.stdin.isatty() else ""
    except (OSError, ValueError):  # stdin closed: no payload
        return ""


def hot(argv: list[str]) -> int:
    """``pre-tool-use`` and ``event``, the calls Claude Code waits on: nothing else is imported
    (no argparse, no shlex: bench/bench_hooks.py)."""
    text = stdin_text()
    if argv[:1] == ["event"]:
        return record_event(text)
    code, out = run_pre_tool_use(text, rewrite="--rewrite" in argv[1:])
    if out:
        print(out)
    return code
