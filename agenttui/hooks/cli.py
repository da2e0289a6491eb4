"""``agenttui hook claude-code (pre-tool-use | install | uninstall | status)``.

Settings are merged, never replaced: other keys and other hooks stay as they were; the file is
backed up before every write; installing twice changes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from .claude_code import hot

MARK = "agenttui hook claude-code pre-tool-use"
EVENT_MARK = "agenttui hook claude-code event"
MATCHER = "Agent|Task|Workflow"
GATE_TIMEOUT = 10  # seconds (the client's default is 600)
EVENT_TIMEOUT = 5
WRITE_TOOLS = "Write|Edit|NotebookEdit|Bash|PowerShell|Monitor"
#: the events agent state reads (and PostToolUse: what each agent wrote, for the incident)
EVENTS = {"UserPromptSubmit": None, "Notification": None, "PermissionRequest": None, "Stop": None,
          "SubagentStart": None, "SubagentStop": None, "PostToolUse": WRITE_TOOLS + "|Agent|Task"}


class HookError(Exception):
    pass


USAGE = "usage: agenttui hook claude-code (pre-tool-use|event|install|uninstall|status)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (as the main command line)
        hint = f" ({USAGE})" if "required" in message or "invalid choice" in message else ""
        self.exit(2, f"agenttui: error: {message}{hint}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="agenttui hook claude-code")
    sub = p.add_subparsers(dest="action", required=True, parser_class=_Parser)
    pre = sub.add_parser("pre-tool-use", help="decide on one PreToolUse payload read from stdin")
    sub.add_parser("event", help="record one hook event payload read from stdin (agent state)")
    pre.add_argument("--rewrite", action="store_true", help="add isolation instead of denying")
    for name in ("install", "uninstall", "status"):
        s = sub.add_parser(name)
        where = s.add_mutually_exclusive_group()
        where.add_argument("--user", action="store_true", help="~/.claude/settings.json (default)")
        where.add_argument("--project", action="store_true", help="<repo>/.claude/settings.json")
        s.add_argument("repo", nargs="?", default=".", help="for --project: a path in the checkout")
        if name == "install":
            s.add_argument("--rewrite", action="store_true", help="add isolation instead of denying")
    return p


def settings_path(args: argparse.Namespace) -> Path:
    if getattr(args, "project", False):
        res = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=args.repo, capture_output=True,
                             text=True, check=False)
        if res.returncode != 0:
            raise HookError(f"{Path(args.repo).resolve()}: not a git checkout (needed for --project)")
        return Path(res.stdout.strip()) / ".claude" / "settings.json"
    return Path(os.path.expanduser("~")) / ".claude" / "settings.json"


RUN = str(Path(__file__).resolve().with_name("run.py"))  # the fast entry (see run.py)
RUN_MARK = "agenttui/hooks/run.py"


def hook_command(rewrite: bool, action: str = "pre-tool-use") -> str:
    cmd = f"{shlex.quote(sys.executable)} -S -I {shlex.quote(RUN)} {action}"
    return cmd + (" --rewrite" if rewrite else "")


def read_settings(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except ValueError as exc:
        raise HookError(f"{path}: not valid JSON ({exc}); fix it first, agenttui will not overwrite it") from None
    if not isinstance(data, dict):
        raise HookError(f"{path}: the settings are not a JSON object")
    return data


def _ours(entry: Any) -> bool:
    return isinstance(entry, dict) and any(
        isinstance(h, dict) and any(m in str(h.get("command", "")) for m in (MARK, EVENT_MARK, RUN_MARK))
        for h in entry.get("hooks", []) or [])


def strip_ours(settings: dict[str, Any]) -> bool:
    """Remove exactly agenttui's entries, from every event; True when something was removed."""
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return False
    removed = False
    for event in list(hooks):
        entries = hooks[event]
        if not isinstance(entries, list):
            continue
        kept = [e for e in entries if not _ours(e)]
        removed |= len(kept) != len(entries)
        if kept:
            hooks[event] = kept
        else:
            del hooks[event]
    if not hooks:
        del settings["hooks"]
    return removed


def wanted_entries(rewrite: bool) -> dict[str, list[dict[str, Any]]]:
    """agenttui's entries: the gate (fails closed: ``onFailure: block``, a short timeout) and the
    observers of agent state (never block)."""
    gate = {"type": "command", "command": hook_command(rewrite), "timeout": GATE_TIMEOUT, "onFailure": "block"}
    out: dict[str, list[dict[str, Any]]] = {"PreToolUse": [
        {"matcher": MATCHER, "hooks": [gate]},
        {"matcher": WRITE_TOOLS, "hooks": [dict(gate)]},  # the second guard: where subagents' calls land
    ]}
    event_cmd = hook_command(False, "event")
    for event, matcher in EVENTS.items():
        entry: dict[str, Any] = {"hooks": [{"type": "command", "command": event_cmd, "timeout": EVENT_TIMEOUT}]}
        if matcher:
            entry = {"matcher": matcher, **entry}
        out[event] = [entry]
    return out


def write_settings(path: Path, settings: dict[str, Any]) -> Path | None:
    backup = None
    if path.exists():
        backup = path.with_name(f"{path.name}.agenttui-backup-{time.strftime('%Y%m%d-%H%M%S')}")
        shutil.copy2(path, backup)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".agenttui-tmp")
    tmp.write_text(json.dumps(settings, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return backup


def install(path: Path, rewrite: bool) -> str:
    settings = read_settings(path)
    hooks = settings.get("hooks", {})
    if not isinstance(hooks, dict):
        raise HookError(f"{path}: 'hooks' is not an object")
    wanted = wanted_entries(rewrite)
    current = {event: [e for e in entries or [] if _ours(e)] for event, entries in hooks.items()
               if isinstance(entries, list)}
    base_note, base_set = base_ref(settings, rewrite)
    if all(current.get(event) == entries for event, entries in wanted.items()) and \
            sum(len(v) for v in current.values()) == sum(len(v) for v in wanted.values()) and not base_set:
        return f"already installed in {path}{base_note}"
    strip_ours(settings)
    for event, entries in wanted.items():
        settings.setdefault("hooks", {}).setdefault(event, []).extend(entries)
    backup = write_settings(path, settings)
    mode = "rewrites dispatches to add isolation" if rewrite else "denies unisolated code-writing dispatches"
    return (f"installed in {path} ({mode}; and records {', '.join(EVENTS)} for agent state)"
            + (f"; previous file backed up as {backup.name}" if backup else "") + base_note)


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
        return ('; set worktree.baseRef = "head": rewritten dispatches\' worktrees start from your local '
                "HEAD (unpushed commits included), not origin/<default>"), True
    if chosen != "head":
        return (f"; warning: worktree.baseRef is {chosen!r}: rewritten dispatches' worktrees branch from "
                "origin/<default> after a fetch, without your unpushed commits"), False
    return "", False


def uninstall(path: Path) -> str:
    settings = read_settings(path)
    if not strip_ours(settings):
        return f"not installed in {path}"
    backup = write_settings(path, settings)
    kept = isinstance(settings.get("worktree"), dict) and settings["worktree"].get("baseRef") == "head"
    return (f"removed from {path}" + (f"; previous file backed up as {backup.name}" if backup else "")
            + ('; worktree.baseRef = "head" left in place (remove it to branch from origin again)' if kept else ""))


def status(paths: list[Path]) -> str:
    lines = []
    for p in paths:
        try:
            s = read_settings(p)
        except HookError as exc:
            lines.append(str(exc))
            continue
        entries = [e for e in (s.get("hooks", {}) or {}).get("PreToolUse", []) or [] if _ours(e)]
        if entries:
            cmd = entries[0]["hooks"][0]["command"]
            mode = "rewrite" if cmd.endswith("--rewrite") else "deny"
            lines.append(f"installed in {p} (mode: {mode})")
        else:
            lines.append(f"not installed in {p}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "claude-code":
        print(f"agenttui: error: {USAGE}", file=sys.stderr)
        return 2
    if argv[1:2] in (["event"], ["pre-tool-use"]):  # (entry.py sends these to hot() itself)
        return hot(argv[1:])
    try:
        args = _parser().parse_args(argv[1:])
    except SystemExit as exc:
        return int(exc.code or 0) and 2
    try:
        if args.action == "status":
            user = Path(os.path.expanduser("~")) / ".claude" / "settings.json"
            paths = [user]
            try:
                args.project = True
                paths.append(settings_path(args))
            except HookError:
                pass
            print(status(paths))
        elif args.action == "install":
            print(install(settings_path(args), args.rewrite))
        else:
            print(uninstall(settings_path(args)))
    except (HookError, OSError) as exc:
        print(f"agenttui: error: {exc}", file=sys.stderr)
        return 2
    return 0
