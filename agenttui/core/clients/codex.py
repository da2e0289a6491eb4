"""OpenAI Codex CLI's transcripts (rollouts) read into agent runs (0.171.0; docs/INCIDENT.md).

``$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl``, one per thread (a sub-agent has
its own).  Each line is ``{"timestamp", "type", "payload"}``: ``session_meta`` (``id``, ``cwd``,
``timestamp``; a sub-agent's ``parent_thread_id``, ``agent_nickname``), ``response_item`` (the user's
prompt as a ``message``; the model's ``function_call``s), ``event_msg`` ``item_completed`` with a
``CommandExecution`` item: ``command`` (argv), ``cwd`` (a ``file://`` URL), ``exit_code``,
``aggregated_output``, ``started_at_ms``/``completed_at_ms``.  Every Codex thread is an agent: a
session in the main checkout shares it with whoever else works there; one elsewhere (a linked
worktree, ``codex --worktree``'s managed one) is isolated.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from agenttui.core.clients import AgentRun, ReadStats, ToolCall
from agenttui.core.clients.claude_code import _inside, _shared, _ts
from agenttui.core.clients.claude_code import _records as _lines  # (one reader of JSON-lines files for every client)

CLIENT = "codex"


def sessions_dir(home: str | os.PathLike[str] | None = None) -> Path:
    if home is None and os.environ.get("CODEX_HOME"):
        return Path(os.environ["CODEX_HOME"]) / "sessions"
    return Path(home if home is not None else Path.home()) / ".codex" / "sessions"


def _path(url: Any) -> str:
    if not isinstance(url, str):
        return ""
    return unquote(urlparse(url).path) if url.startswith("file://") else url


def _command(argv: Any) -> str:
    """A command as the shell reads it: ``bash -lc 'x'`` is ``x``."""
    if isinstance(argv, str):
        return argv
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        return ""
    if len(argv) >= 3 and os.path.basename(argv[0]) in ("bash", "sh", "zsh") and argv[1] in ("-lc", "-c"):
        return str(argv[2])
    return shlex.join(argv)


def read_runs(
    roots: list[str],
    since: float | None = None,
    home: str | os.PathLike[str] | None = None,
    stats: ReadStats | None = None,
) -> tuple[list[AgentRun], ReadStats]:
    """Every Codex thread that worked in one of *roots* (the first is the main checkout), written to
    after *since*."""
    stats = stats or ReadStats()
    base = sessions_dir(home)
    norm = tuple(os.path.normpath(r) for r in roots)
    runs: list[AgentRun] = []
    try:
        files = sorted(base.glob("*/*/*/rollout-*.jsonl"))
    except OSError:
        return runs, stats
    for f in files:
        try:
            st = f.lstat()
        except OSError:
            stats.unreadable += 1
            continue
        if since is not None and st.st_mtime < since:
            stats.other += 1
            continue
        recs = _lines(f, stats)
        if recs is None:
            continue
        run = _thread(f, recs, norm)
        if run is None:
            stats.other += 1
            continue
        runs.append(run)
    return runs, stats


def _thread(path: Path, recs: list[dict[str, Any]], roots: tuple[str, ...]) -> AgentRun | None:
    meta = next((r.get("payload") for r in recs if r.get("type") == "session_meta"), None)
    if not isinstance(meta, dict):
        return None
    cwd = str(meta.get("cwd") or "")
    if not cwd or not _inside(cwd, roots):
        return None
    tid = str(meta.get("id") or meta.get("session_id") or path.stem)
    start = _ts(meta.get("timestamp")) or _ts(recs[0].get("timestamp")) or 0.0
    prompt = ""
    calls: list[ToolCall] = []
    for r in recs:
        p = r.get("payload")
        if not isinstance(p, dict):
            continue
        if not prompt and r.get("type") == "response_item" and p.get("type") == "message" and p.get("role") == "user":
            texts = [c.get("text") for c in p.get("content") or [] if isinstance(c, dict)]
            text = "\n".join(t for t in texts if isinstance(t, str))
            if text and not text.lstrip().startswith("<"):  # (environment and instruction blocks)
                prompt = text
        if r.get("type") == "event_msg" and p.get("type") == "item_completed":
            item = p.get("item")
            if not isinstance(item, dict) or item.get("type") != "CommandExecution":
                continue
            t0 = p.get("started_at_ms")
            t1 = p.get("completed_at_ms")
            begin = float(t0) / 1000 if isinstance(t0, (int, float)) else (_ts(r.get("timestamp")) or start)
            end = float(t1) / 1000 if isinstance(t1, (int, float)) else begin
            command = _command(item.get("command"))
            calls.append(
                ToolCall(
                    tid,
                    "Bash",
                    {"command": command},
                    begin,
                    end,
                    str(item.get("aggregated_output") or ""),
                    item.get("exit_code") == 0,
                    _path(item.get("cwd")) or cwd,
                    "transcript",
                )
            )
    shared = _shared(cwd, roots)
    parent = meta.get("parent_thread_id")
    name = str(meta.get("agent_nickname") or "") or " ".join(prompt.split())[:60] or f"codex {tid[:8]}"
    last = max((t for t in (_ts(r.get("timestamp")) for r in recs) if t is not None), default=start)
    return AgentRun(
        CLIENT,
        tid,
        name,
        "codex sub-agent" if parent else "codex",
        prompt,
        str(parent or tid),
        start,
        None if shared else "worktree",
        None if shared else cwd,
        str(path),
        main_thread=False,
        calls=calls,
        last=last,
    )
