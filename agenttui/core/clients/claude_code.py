"""Claude Code's transcripts read into agent runs (layout read from the client 2.1.332; docs/INCIDENT.md).

A session started in a folder writes ``<projects>/<folder as a name>/<session>.jsonl``
(``<projects>`` is ``$CLAUDE_CONFIG_DIR/projects`` or ``~/.claude/projects``; every character but
ASCII letters and digits becomes "-"); each subagent it
dispatches writes ``<session>/subagents/agent-<id>.jsonl`` beside ``agent-<id>.meta.json``
(``description``, ``agentType``, ``toolUseId`` — the orchestrator's Agent call —, ``worktreePath``
for an isolated one).  Every line is one JSON record with ``type``, ``timestamp`` (ISO, ms), ``cwd``;
an ``assistant`` record's content holds ``tool_use`` items (``id``, ``name``, ``input``), the next
``user`` record the ``tool_result`` for that id.  The first ``user`` record of a subagent is its prompt.

Only the sessions of this repository (a folder whose name is one of the repository's checkouts, and
records whose ``cwd`` is inside one) that were written to after *since* are read.  A line that is not
JSON, a record of an unknown shape, an unreadable or symlinked file: skipped and counted.
"""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

from agenttui.core.clients import AgentRun, ReadStats, ToolCall

CLIENT = "claude-code"
#: a transcript line longer than this is skipped (a runaway file must not take the machine's memory)
MAX_LINE = 64 * 1024 * 1024
DISPATCH_TOOLS = ("Agent", "Task")


def projects_dir(home: str | os.PathLike[str] | None = None) -> Path:
    if home is None and os.environ.get("CLAUDE_CONFIG_DIR"):
        return Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects"
    return Path(home if home is not None else Path.home()) / ".claude" / "projects"


def folder_name(path: str | os.PathLike[str]) -> str:
    """The projects folder Claude Code names after a working directory: every character but ASCII
    letters and digits as "-" (2.1.332: `/tmp/a_b.c` -> `-tmp-a-b-c`)."""
    return re.sub(r"[^A-Za-z0-9]", "-", str(path))


def _ts(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    p = os.path.normpath(path)
    return any(p == r or p.startswith(r.rstrip("/") + "/") for r in roots)


def _shared(folder: str, roots: tuple[str, ...]) -> bool:
    """Whether *folder* is in the main checkout (``roots[0]``) and in none of the linked worktrees
    (one may sit inside the main checkout): a session there shares the checkout."""
    main = roots[0] if roots else ""
    return _inside(folder, (main,)) and not _inside(folder, tuple(r for r in roots if r != main))


def _records(path: Path, stats: ReadStats) -> list[dict[str, Any]] | None:
    """The file's records, bad lines counted; None when it cannot be read (or is a symlink: not followed)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        stats.unreadable += 1
        return None
    out: list[dict[str, Any]] = []
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            stats.unreadable += 1
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            for raw in fh:
                if len(raw) > MAX_LINE:
                    stats.bad_lines += 1
                    continue
                try:
                    rec = json.loads(raw)
                except ValueError:
                    if raw.strip():
                        stats.bad_lines += 1
                    continue
                if isinstance(rec, dict):
                    out.append(rec)
                else:
                    stats.bad_lines += 1
    except OSError:
        stats.unreadable += 1
    finally:
        os.close(fd)
    stats.files += 1
    return out


def _calls(records: list[dict[str, Any]], agent_id: str) -> tuple[list[ToolCall], dict[str, dict[str, Any]]]:
    """Tool calls in issue order, and the raw results by tool_use id (for Agent results)."""
    uses: list[tuple[str, str, dict[str, Any], float, str]] = []
    results: dict[str, tuple[str, bool, float, Any]] = {}
    for r in records:
        kind, t = r.get("type"), _ts(r.get("timestamp"))
        message = r.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if t is None or not isinstance(content, list):
            continue
        for b in content:
            if not isinstance(b, dict):
                continue
            if kind == "assistant" and b.get("type") == "tool_use" and isinstance(b.get("input"), dict):
                uses.append((str(b.get("id")), str(b.get("name")), b["input"], t, str(r.get("cwd") or "")))
            elif kind == "user" and b.get("type") == "tool_result":
                text = _text(b.get("content"))
                results[str(b.get("tool_use_id"))] = (text, not b.get("is_error"), t, r.get("toolUseResult"))
    calls = []
    raw: dict[str, dict[str, Any]] = {}
    for uid, name, inp, t, cwd in uses:
        text, ok, end, tur = results.get(uid, ("", False, t, None))
        calls.append(ToolCall(agent_id, name, inp, t, end, text, ok, cwd, "transcript"))
        raw[uid] = {"input": inp, "result": tur, "text": text, "time": t}
    return calls, raw


def _first_prompt(records: list[dict[str, Any]]) -> str:
    for r in records:
        if r.get("type") == "user":
            message = r.get("message")
            content = message.get("content") if isinstance(message, dict) else None
            if isinstance(content, str):
                return content
            if isinstance(content, list) and not any(
                isinstance(b, dict) and b.get("type") == "tool_result" for b in content
            ):
                return _text(content)
    return ""


def _meta(path: Path, stats: ReadStats) -> dict[str, Any]:
    try:
        if path.is_symlink():
            stats.unreadable += 1
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        stats.unreadable += 1
        return {}


def read_runs(
    roots: list[str],
    since: float | None = None,
    home: str | os.PathLike[str] | None = None,
    stats: ReadStats | None = None,
) -> tuple[list[AgentRun], ReadStats]:
    """Every agent run of a session started in one of *roots* (the repository's checkouts) and
    written to after *since*."""
    stats = stats or ReadStats()
    base = projects_dir(home)
    norm = tuple(sorted({os.path.normpath(r) for r in roots}))
    names = {folder_name(r) for r in norm}
    try:
        folders = [e for e in os.scandir(base) if e.is_dir()]
    except OSError as exc:
        if not isinstance(exc, FileNotFoundError):
            stats.unreadable += 1
            stats.notes.append(f"{base}: {exc.strerror or exc}")
        return [], stats
    runs: list[AgentRun] = []
    for folder in folders:
        # (a session in a sub-folder has a longer name; a very long one is cut: its records' cwd decides)
        if not any(
            folder.name == n or folder.name.startswith(n + "-") or (len(n) > 200 and folder.name[:200] == n[:200])
            for n in names
        ):
            continue
        try:
            sessions = [e for e in os.scandir(folder.path) if e.name.endswith(".jsonl")]
        except OSError:
            stats.unreadable += 1
            continue
        for entry in sessions:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                stats.unreadable += 1
                continue
            if since is not None and st.st_mtime < since:
                stats.other += 1
                continue
            runs += _session(Path(entry.path), norm, since, stats)
    return runs, stats


def _session(path: Path, roots: tuple[str, ...], since: float | None, stats: ReadStats) -> list[AgentRun]:
    records = _records(path, stats)
    if records is None:
        return []
    cwds = {str(r.get("cwd")) for r in records if isinstance(r.get("cwd"), str)}
    if not records or not any(_inside(c, roots) for c in cwds):
        stats.other += 1
        return []
    session = next((str(r["sessionId"]) for r in records if isinstance(r.get("sessionId"), str)), path.stem)
    main_calls, raw = _calls(records, session)
    first = next((t for t in (_ts(r.get("timestamp")) for r in records) if t is not None), 0.0)
    runs = [
        AgentRun(
            CLIENT,
            session,
            f"session {session[:8]}",
            "main",
            _first_prompt(records),
            session,
            first,
            None,
            None,
            str(path),
            main_thread=True,
            calls=[c for c in main_calls if c.tool not in DISPATCH_TOOLS],
        )
    ]
    dispatches = {uid: d for uid, d in raw.items() if d["input"].get("prompt") is not None}
    by_agent: dict[str, str] = {}  # agent id -> the Agent tool_use id that launched it
    for uid, d in dispatches.items():
        tur = d["result"]
        aid = tur.get("agentId") if isinstance(tur, dict) else None
        if not isinstance(aid, str):
            m = re.search(r"agentId:\s*([A-Za-z0-9_-]+)", d["text"])
            aid = m.group(1) if m else None
        if aid:
            by_agent[aid] = uid
    folder = path.with_suffix("") / "subagents"
    try:
        files = sorted(folder.glob("agent-*.jsonl"))
    except OSError:
        files = []
    for f in files:
        aid = f.stem.removeprefix("agent-")
        meta = _meta(f.with_suffix(".meta.json"), stats) if f.with_suffix(".meta.json").exists() else {}
        recs = _records(f, stats) or []
        calls, _ = _calls(recs, aid)
        use = meta.get("toolUseId") if isinstance(meta.get("toolUseId"), str) else by_agent.get(aid)
        d = dispatches.get(str(use), {})
        inp = d.get("input") or {}
        prompt = inp.get("prompt") if isinstance(inp.get("prompt"), str) else _first_prompt(recs)
        name = meta.get("description") or inp.get("description") or f"agent {aid[:8]}"
        t0 = d.get("time") or next((t for t in (_ts(r.get("timestamp")) for r in recs) if t is not None), first)
        isolation = (
            inp.get("isolation")
            if isinstance(inp.get("isolation"), str)
            else ("worktree" if meta.get("worktreePath") else None)
        )
        last = max((t for t in (_ts(r.get("timestamp")) for r in recs) if t is not None), default=float(t0))
        runs.append(
            AgentRun(
                CLIENT,
                aid,
                str(name),
                str(meta.get("agentType") or inp.get("subagent_type") or "general-purpose"),
                str(prompt or ""),
                session,
                float(t0),
                isolation,
                str(meta["worktreePath"]) if isinstance(meta.get("worktreePath"), str) else None,
                str(f),
                calls=calls,
                last=last,
            )
        )
    return runs
