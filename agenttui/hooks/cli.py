"""``agenttui hook claude-code|codex (pre-tool-use | event | install | uninstall | status)``.

Settings are merged, never replaced: other keys and other hooks stay as they were; the file is
backed up before every write; installing twice changes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from agenttui.base import exitcodes
from agenttui.base.safefile import write_atomic
from agenttui.hooks.claude_code import hot

MARK = "agenttui hook claude-code pre-tool-use"
EVENT_MARK = "agenttui hook claude-code event"
MATCHER = "Agent|Task|Workflow"
GATE_TIMEOUT = 10  # seconds (the client's default is 600)
EVENT_TIMEOUT = 5
WRITE_TOOLS = "Write|Edit|NotebookEdit|Bash|PowerShell|Monitor"
#: the events agent state reads (and PostToolUse: what each agent wrote, for the incident)
EVENTS = {
    "UserPromptSubmit": None,
    "Notification": None,
    "PermissionRequest": None,
    "Stop": None,
    "SubagentStart": None,
    "SubagentStop": None,
    "PostToolUse": WRITE_TOOLS + "|Agent|Task",
    # 2.1.332: a turn that failed (API error, rate limit).  (Not WorktreeCreate/WorktreeRemove: a
    # hook there REPLACES the client's own worktree creation — seen in the real client, an
    # isolated dispatch never started — so an observer there would break isolation.)
    "StopFailure": None,
}


class HookError(Exception):
    pass


USAGE = "usage: agenttui hook (claude-code|codex|gemini) (pre-tool-use|before-tool|event|install|uninstall|status)"
#: Gemini's observing events agenttui records
GEMINI_EVENTS = ("SessionStart", "BeforeAgent", "AfterAgent", "AfterTool", "Notification", "SessionEnd")
#: Codex's observing events agenttui records (agent state, the incident)
CODEX_EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PermissionRequest",
    "PostToolUse",
    "Stop",
    "SubagentStart",
    "SubagentStop",
)
GEMINI_TRUST = (
    "Gemini runs user hooks at once; a project's (--project) only in a trusted folder, and not with --skip-trust"
)
CODEX_TRUST = (
    "Codex runs hooks only once they are trusted: in codex, /hooks then t (trust all), or start it "
    "with --dangerously-bypass-hook-trust — until then it skips them silently"
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (as the main command line)
        hint = f" ({USAGE})" if "required" in message or "invalid choice" in message else ""
        self.exit(2, f"agenttui: error: {message}{hint}\n")


def _parser(client: str = "claude-code") -> argparse.ArgumentParser:
    p = _Parser(prog=f"agenttui hook {client}")
    sub = p.add_subparsers(dest="action", required=True, parser_class=_Parser)
    pre = sub.add_parser("pre-tool-use", help="decide on one PreToolUse payload read from stdin")
    sub.add_parser("before-tool", help="(gemini) decide on one BeforeTool payload read from stdin")
    sub.add_parser("event", help="record one hook event payload read from stdin (agent state)")
    pre.add_argument("--rewrite", action="store_true", help="add isolation instead of denying")
    for name in ("install", "uninstall", "status"):
        s = sub.add_parser(name)
        where = s.add_mutually_exclusive_group()
        where.add_argument(
            "--user", action="store_true", help="~/.claude/settings.json, $CODEX_HOME/hooks.json (default)"
        )
        where.add_argument(
            "--project", action="store_true", help="<repo>/.claude/settings.json, <repo>/.codex/hooks.json"
        )
        s.add_argument("repo", nargs="?", default=".", help="for --project: a path in the checkout")
        if name == "install":
            s.add_argument("--rewrite", action="store_true", help="add isolation instead of denying")
    return p


def settings_path(args: argparse.Namespace, client: str = "claude-code") -> Path:
    name = {"codex": ".codex/hooks.json", "gemini": ".gemini/settings.json"}.get(client, ".claude/settings.json")
    if getattr(args, "project", False):
        res = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=args.repo, capture_output=True, text=True, check=False
        )
        if res.returncode != 0:
            raise HookError(f"{Path(args.repo).resolve()}: not a git checkout (needed for --project)")
        return Path(res.stdout.strip()) / name
    if client == "codex":
        home = os.environ.get("CODEX_HOME") or os.path.join(os.path.expanduser("~"), ".codex")
        return Path(home) / "hooks.json"
    return Path(os.path.expanduser("~")) / name


RUN = str(Path(__file__).resolve().with_name("run.py"))  # the fast entry (see run.py)
RUN_MARK = "agenttui/hooks/run.py"


def hook_command(rewrite: bool, action: str = "pre-tool-use", client: str = "claude-code") -> str:
    prefix = f"{client} " if client in ("codex", "gemini") else ""
    cmd = f"{shlex.quote(sys.executable)} -S -I {shlex.quote(RUN)} {prefix}{action}"
    return cmd + (" --rewrite" if rewrite else "")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (agenttui would write it back as something Claude Code cannot read)")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is too large for JSON (it would be written back as Infinity)")
    return value


def read_settings(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}", parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise HookError(f"{path}: nested too deeply to be settings; agenttui will not rewrite it") from None
    except ValueError as exc:
        raise HookError(f"{path}: not valid JSON ({exc}); fix it first, agenttui will not overwrite it") from None
    if not isinstance(data, dict):
        raise HookError(f"{path}: the settings are not a JSON object")
    for key in ("hooks",):
        if key in data and not isinstance(data[key], dict):
            raise HookError(f"{path}: '{key}' is not an object ({type(data[key]).__name__}); fix it first")
    for event, entries in (data.get("hooks") or {}).items():
        if not isinstance(entries, list):
            raise HookError(f"{path}: 'hooks.{event}' is not a list ({type(entries).__name__}); fix it first")
    return data


def _our_hook(h: Any) -> bool:
    return isinstance(h, dict) and any(m in str(h.get("command", "")) for m in (MARK, EVENT_MARK, RUN_MARK))


def _ours(entry: Any) -> bool:
    hooks = entry.get("hooks") if isinstance(entry, dict) else None
    return isinstance(hooks, list) and any(_our_hook(h) for h in hooks)


def strip_ours(settings: dict[str, Any]) -> bool:
    """Remove exactly agenttui's hooks, from every event: another tool's hook in the same entry stays
    (the entry goes only when nothing else is left in it); True when something was removed."""
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return False
    removed = False
    for event in list(hooks):
        entries = hooks[event]
        if not isinstance(entries, list):
            continue
        kept = []
        for e in entries:
            if not _ours(e):
                kept.append(e)
                continue
            removed = True
            rest = [h for h in e["hooks"] if not _our_hook(h)]
            if rest:
                kept.append({**e, "hooks": rest})
        if kept:
            hooks[event] = kept
        else:
            del hooks[event]
    if not hooks:
        del settings["hooks"]
    return removed


def codex_entries() -> dict[str, list[dict[str, Any]]]:
    """Codex: one PreToolUse entry for every tool (the handler decides: spawn_agent refused, Bash
    guarded, the rest passes) and the observers; Codex blocks on a deny or on exit 2."""
    gate = {"type": "command", "command": hook_command(False, client="codex"), "timeout": GATE_TIMEOUT}
    out: dict[str, list[dict[str, Any]]] = {"PreToolUse": [{"hooks": [gate]}]}
    event = {"type": "command", "command": hook_command(False, "event", client="codex"), "timeout": EVENT_TIMEOUT}
    for name in CODEX_EVENTS:
        out[name] = [{"hooks": [dict(event)]}]
    return out


def gemini_entries() -> dict[str, list[dict[str, Any]]]:
    """Gemini: BeforeTool for every tool (invoke_agent refused, shell and file writes guarded), the
    observers; Gemini's timeouts are in milliseconds."""
    gate = {
        "name": "agenttui-gate",
        "type": "command",
        "command": hook_command(False, "before-tool", "gemini"),
        "timeout": GATE_TIMEOUT * 1000,
    }
    out: dict[str, list[dict[str, Any]]] = {"BeforeTool": [{"matcher": "*", "hooks": [gate]}]}
    for name in GEMINI_EVENTS:
        out[name] = [
            {
                "matcher": "*",
                "hooks": [
                    {
                        "name": f"agenttui-{name}",
                        "type": "command",
                        "command": hook_command(False, "event", "gemini"),
                        "timeout": EVENT_TIMEOUT * 1000,
                    }
                ],
            }
        ]
    return out


def wanted_entries(rewrite: bool) -> dict[str, list[dict[str, Any]]]:
    """agenttui's entries: the gate (fails closed: ``onFailure: block``, a short timeout) and the
    observers of agent state (never block)."""
    gate = {"type": "command", "command": hook_command(rewrite), "timeout": GATE_TIMEOUT, "onFailure": "block"}
    out: dict[str, list[dict[str, Any]]] = {
        "PreToolUse": [
            {"matcher": MATCHER, "hooks": [gate]},
            {"matcher": WRITE_TOOLS, "hooks": [dict(gate)]},  # the second guard: where subagents' calls land
        ],
        # a skill's inline shell commands (!`cmd`) run by a route the Bash matcher never sees (2.1.332)
        "PreSkillShellCommand": [{"hooks": [dict(gate)]}],
    }
    event_cmd = hook_command(False, "event")
    for event, matcher in EVENTS.items():
        entry: dict[str, Any] = {"hooks": [{"type": "command", "command": event_cmd, "timeout": EVENT_TIMEOUT}]}
        if matcher:
            entry = {"matcher": matcher, **entry}
        out[event] = [entry]
    return out


def _create(path: Path, data: bytes, mode: int) -> None:
    """A new file, never through a symlink or over anything there (a repository can commit either)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_settings(path: Path, settings: dict[str, Any]) -> Path | None:
    """Write *settings* to *path*: a symlinked settings file is written where it points (a dotfile
    manager's link stays a link), the file keeps its mode (0600 for a new one: settings can hold
    keys), the previous one is backed up beside it, the new one goes in by an atomic rename of a
    temporary file created exclusively (no file a repository placed is ever followed or reused)."""
    target = path.resolve() if path.is_symlink() else path
    backup = None
    mode = 0o600
    if target.exists():
        mode = stat.S_IMODE(target.stat().st_mode)
        backup = target.with_name(f"{target.name}.agenttui-backup-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
        _create(backup, target.read_bytes(), mode)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, json.dumps(settings, indent=2, ensure_ascii=False) + "\n", mode, suffix=".agenttui-tmp")
    return backup


def install(path: Path, rewrite: bool, client: str = "claude-code") -> str:
    settings = read_settings(path)
    hooks = settings.get("hooks", {})
    if not isinstance(hooks, dict):
        raise HookError(f"{path}: 'hooks' is not an object")
    if client in ("codex", "gemini"):
        if rewrite:
            raise HookError(f"--rewrite is for Claude Code ({client}'s sub-agents have no isolation to add)")
        wanted = codex_entries() if client == "codex" else gemini_entries()
        current = {
            event: [e for e in entries or [] if _ours(e)]
            for event, entries in hooks.items()
            if isinstance(entries, list)
        }
        note = CODEX_TRUST if client == "codex" else GEMINI_TRUST
        if all(current.get(event) == entries for event, entries in wanted.items()) and sum(
            len(v) for v in current.values()
        ) == sum(len(v) for v in wanted.values()):
            return f"already installed in {path}; {note}"
        strip_ours(settings)
        for event, entries in wanted.items():
            settings.setdefault("hooks", {}).setdefault(event, []).extend(entries)
        backup = write_settings(path, settings)
        what = (
            "refuses spawn_agent, guards Bash like Claude Code's tool calls"
            if client == "codex"
            else "refuses invoke_agent, guards run_shell_command, write_file and replace like Claude Code's tool calls"
        )
        events = CODEX_EVENTS if client == "codex" else GEMINI_EVENTS
        return (
            f"installed in {path} ({what}; records {', '.join(events)} for agent state)"
            + (f"; previous file backed up as {backup.name}" if backup else "")
            + f". {note}"
        )
    wanted = wanted_entries(rewrite)
    current = {
        event: [e for e in entries or [] if _ours(e)] for event, entries in hooks.items() if isinstance(entries, list)
    }
    base_note, base_set = base_ref(settings, rewrite)
    if (
        all(current.get(event) == entries for event, entries in wanted.items())
        and sum(len(v) for v in current.values()) == sum(len(v) for v in wanted.values())
        and not base_set
    ):
        return f"already installed in {path}{base_note}"
    strip_ours(settings)
    for event, entries in wanted.items():
        settings.setdefault("hooks", {}).setdefault(event, []).extend(entries)
    backup = write_settings(path, settings)
    mode = "rewrites dispatches to add isolation" if rewrite else "denies unisolated code-writing dispatches"
    return (
        f"installed in {path} ({mode}; and records {', '.join(EVENTS)} for agent state)"
        + (f"; previous file backed up as {backup.name}" if backup else "")
        + base_note
    )


def base_ref(settings: dict[str, Any], rewrite: bool) -> tuple[str, bool]:
    """Under ``--rewrite`` the subagent's code comes from the worktree the client makes, which by
    default branches from ``origin/<default>`` after a fetch (``worktree.baseRef: fresh``): unpushed
    commits would be missing.  Set ``baseRef: head`` unless the user chose; say what was done.
    (note, whether the settings changed)"""
    if not rewrite:
        return "", False
    wt = settings.get("worktree")
    if wt is not None and not isinstance(wt, dict):
        return "; warning: 'worktree' in the settings is not an object: baseRef not set", False
    chosen = (wt or {}).get("baseRef")
    if chosen is None:
        settings["worktree"] = {**(wt or {}), "baseRef": "head"}
        return (
            '; set worktree.baseRef = "head": rewritten dispatches\' worktrees start from your local '
            "HEAD (unpushed commits included), not origin/<default>"
        ), True
    if chosen != "head":
        return (
            f"; warning: worktree.baseRef is {chosen!r}: rewritten dispatches' worktrees branch from "
            "origin/<default> after a fetch, without your unpushed commits"
        ), False
    return "", False


def uninstall(path: Path) -> str:
    settings = read_settings(path)
    if not strip_ours(settings):
        return f"not installed in {path}"
    backup = write_settings(path, settings)
    kept = isinstance(settings.get("worktree"), dict) and settings["worktree"].get("baseRef") == "head"
    return (
        f"removed from {path}"
        + (f"; previous file backed up as {backup.name}" if backup else "")
        + ('; worktree.baseRef = "head" left in place (remove it to branch from origin again)' if kept else "")
    )


def status(paths: list[Path]) -> str:
    lines = []
    for p in paths:
        try:
            s = read_settings(p)
        except HookError as exc:
            lines.append(str(exc))
            continue
        hooks = s.get("hooks", {}) or {}
        entries = [e for e in (hooks.get("PreToolUse", []) or []) + (hooks.get("BeforeTool", []) or []) if _ours(e)]
        if entries:
            cmd = next(str(h.get("command")) for h in entries[0]["hooks"] if _our_hook(h))
            mode = "rewrite" if cmd.endswith("--rewrite") else "deny"
            trust = f" — {CODEX_TRUST}" if " codex " in cmd else ""
            lines.append(f"installed in {p} (mode: {mode}){trust}")
        else:
            lines.append(f"not installed in {p}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("claude-code", "codex", "gemini"):
        print(f"agenttui: error: {USAGE}", file=sys.stderr)
        return exitcodes.BAD_INPUT
    client = argv[0]
    if argv[1:2] in (["event"], ["pre-tool-use"], ["before-tool"]):  # (entry.py sends these to hot() itself)
        if client == "gemini":
            from agenttui.hooks.gemini import hot as gemini_hot

            return gemini_hot(argv[1:])
        if client == "codex":
            from agenttui.hooks.codex import hot as codex_hot

            return codex_hot(argv[1:])
        return hot(argv[1:])
    try:
        args = _parser(client).parse_args(argv[1:])
    except SystemExit as exc:
        return int(exc.code or 0) and 2
    try:
        if args.action == "status":
            paths = [settings_path(argparse.Namespace(project=False), client)]
            try:
                args.project = True
                paths.append(settings_path(args, client))
            except HookError:
                pass
            print(status(paths))
        elif args.action == "install":
            print(install(settings_path(args, client), getattr(args, "rewrite", False), client))
        else:
            print(uninstall(settings_path(args, client)))
    except (HookError, OSError) as exc:
        print(f"agenttui: error: {exc}", file=sys.stderr)
        return exitcodes.BAD_INPUT
    return exitcodes.OK
