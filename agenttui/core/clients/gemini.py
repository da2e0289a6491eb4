"""Google Gemini CLI's transcripts read into agent runs (0.61.0; docs/INCIDENT.md).

``~/.gemini/projects.json`` maps a project folder to a short name; its sessions are
``~/.gemini/tmp/<short>/chats/session-*.jsonl`` (a sub-agent's under ``chats/<parent id>/``).  The first
line is a header (``sessionId``, ``kind``: main or subagent, ``startTime``); then records — ``user``
(the prompt), ``gemini`` with ``toolCalls`` (``name``, ``args``, ``status``, ``timestamp``, ``result``) —
written again when they change (the last version of an id counts), and ``{"$set": ...}`` patches.
There is no per-call working directory: the project folder (and a shell call's ``dir_path``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from agenttui.core.clients import AgentRun, ReadStats, ToolCall
from agenttui.core.clients.claude_code import _inside, _shared, _ts
from agenttui.core.clients.claude_code import _records as _lines

CLIENT = "gemini"


def gemini_dir(home: str | os.PathLike[str] | None = None) -> Path:
    return Path(home if home is not None else Path.home()) / ".gemini"


def read_runs(
    roots: list[str],
    since: float | None = None,
    home: str | os.PathLike[str] | None = None,
    stats: ReadStats | None = None,
) -> tuple[list[AgentRun], ReadStats]:
    """Every Gemini session whose project is one of *roots* (the first: the main checkout)."""
    stats = stats or ReadStats()
    base = gemini_dir(home)
    norm = tuple(os.path.normpath(r) for r in roots)
    try:
        projects = json.loads((base / "projects.json").read_text()).get("projects") or {}
    except (OSError, ValueError, AttributeError):
        return [], stats
    runs: list[AgentRun] = []
    for folder, short in projects.items():
        if not isinstance(folder, str) or not isinstance(short, str) or not _inside(folder, norm):
            continue
        chats = base / "tmp" / short / "chats"
        try:
            files = sorted(chats.glob("session-*.jsonl")) + sorted(chats.glob("*/*.jsonl"))
        except OSError:
            continue
        for f in files:
            try:
                if since is not None and f.lstat().st_mtime < since:
                    stats.other += 1
                    continue
            except OSError:
                stats.unreadable += 1
                continue
            recs = _lines(f, stats)
            if recs:
                run = _session(f, recs, folder, norm)
                if run is not None:
                    runs.append(run)
    return runs, stats


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text")) for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _session(path: Path, recs: list[dict[str, Any]], folder: str, roots: tuple[str, ...]) -> AgentRun | None:
    head = recs[0]
    sid = str(head.get("sessionId") or path.stem)
    start = _ts(head.get("startTime")) or 0.0
    latest: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for r in recs[1:]:
        rid = r.get("id")
        if isinstance(rid, str) and r.get("type") in ("user", "gemini"):
            if rid not in latest:
                order.append(rid)
            latest[rid] = r
    prompt = ""
    calls: list[ToolCall] = []
    last = start
    for rid in order:
        r = latest[rid]
        t = _ts(r.get("timestamp")) or start
        last = max(last, t)
        if r.get("type") == "user" and not prompt:
            text = _text(r.get("content"))
            if text and not text.lstrip().startswith("<"):
                prompt = text
        for call in r.get("toolCalls") or [] if r.get("type") == "gemini" else []:
            if not isinstance(call, dict) or not isinstance(call.get("args"), dict):
                continue
            args, name = call["args"], call.get("name")
            end = _ts(call.get("timestamp")) or t
            last = max(last, end)
            cwd = folder
            if name == "run_shell_command":
                if isinstance(args.get("dir_path"), str) and args["dir_path"]:
                    cwd = os.path.normpath(os.path.join(folder, args["dir_path"]))
                tool, inp = "Bash", {"command": str(args.get("command") or "")}
            elif name == "write_file":
                tool, inp = "Write", {"file_path": args.get("file_path"), "content": args.get("content")}
            elif name == "replace":
                tool, inp = (
                    "Edit",
                    {
                        "file_path": args.get("file_path"),
                        "old_string": args.get("old_string"),
                        "new_string": args.get("new_string"),
                    },
                )
            else:
                continue
            result = json.dumps(call.get("result"))[:2000] if call.get("result") is not None else ""
            calls.append(ToolCall(sid, tool, inp, t, end, result, call.get("status") == "success", cwd, "transcript"))
    shared = _shared(folder, roots)
    sub = head.get("kind") == "subagent"
    parent = path.parent.name if sub else sid
    name = " ".join(prompt.split())[:60] or f"gemini {sid[:8]}"
    return AgentRun(
        CLIENT,
        sid,
        name,
        "gemini sub-agent" if sub else "gemini",
        prompt,
        parent,
        start,
        None if shared else "worktree",
        None if shared else folder,
        str(path),
        main_thread=False,
        calls=calls,
        last=last,
    )
