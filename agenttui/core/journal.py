"""Append-only journal: ``<git-common-dir>/agenttui/journal.jsonl``, one JSON object a line."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from agenttui.base.safefile import append_json_lines, open_append
from agenttui.core.git.models import RepoPaths


def journal_path(paths: RepoPaths) -> Path:
    return paths.agenttui_dir / "journal.jsonl"


def append(paths: RepoPaths, event: str, **data: Any) -> dict[str, Any]:
    """Append one event (fsync'd) and return it."""
    return append_many(paths, [(event, data)])[0]


def append_many(paths: RepoPaths, events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Append several events with one write and one fsync (e.g. 32 agents exiting in one tick)."""
    now = time.time()
    records: list[dict[str, Any]] = [{"time": now, "event": event, **data} for event, data in events]
    if not records:
        return records
    path = journal_path(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    append_json_lines(path, records, sync=True)  # (an agent's symlink in its place is refused, never followed)
    return records


def read(
    paths: RepoPaths, events: str | tuple[str, ...] | None = None, since: float | None = None
) -> list[dict[str, Any]]:
    """Every readable record, oldest first (a torn last line is skipped); only those of *events*
    (an event name or several) and with ``time >= since`` when given."""
    records = read_from(paths, 0)[0]
    if isinstance(events, str):
        events = (events,)
    if events is not None or since is not None:
        records = [
            r for r in records if (events is None or r.get("event") in events) and (since is None or _time(r) >= since)
        ]
    return records


def _time(rec: dict[str, Any]) -> float:
    try:
        return float(rec.get("time") or 0)
    except (TypeError, ValueError):
        return 0.0


def read_from(paths: RepoPaths, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Records appended since byte *offset*; returns them and the new offset (whole lines only)."""
    path = journal_path(paths)
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], 0
    cut = data.rfind(b"\n") + 1
    out: list[dict[str, Any]] = []
    for line in data[:cut].decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out, offset + cut


def write_crash_log(paths: RepoPaths, text: str) -> Path:
    """Append a traceback to ``<git-common-dir>/agenttui/crash.log`` (else a temporary file)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    for target in (paths.agenttui_dir / "crash.log", Path(tempfile.gettempdir()) / f"agenttui-crash-{os.getpid()}.log"):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with os.fdopen(open_append(target, 0o600), "a", encoding="utf-8") as f:
                f.write(f"--- {stamp} pid {os.getpid()}\n{text}\n")
            return target
        except OSError:
            continue
    return Path("(no writable place for the log)")


def record_failure(paths: RepoPaths, error: object, **data: Any) -> Path:
    """A background job failed: its traceback to the crash log, a line to the journal (never
    raises: reporting a failure must not fail).  Returns the log's path."""
    import traceback

    text = (
        "".join(traceback.format_exception(error))
        if isinstance(error, BaseException)
        else f"{type(error).__name__}: {error}"
    )
    log = write_crash_log(paths, text)
    with contextlib.suppress(OSError):
        append(paths, "worker-failed", error=str(error), log=str(log), **data)
    return log
