"""What Claude Code's dispatches look like from the journal the PreToolUse hook writes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agenttui.core import journal
from agenttui.core.dispatch.check import EM_DASH
from agenttui.core.git.models import RepoPaths

BURST_GAP = 30.0  # seconds between dispatches of one burst


@dataclass(frozen=True)
class Burst:
    session: str | None
    start: float
    end: float
    records: tuple[dict[str, Any], ...]

    @property
    def sentence(self) -> str:
        n = len(self.records)
        denied = [r for r in self.records if r.get("decision") == "deny"]
        rewritten = [r for r in self.records if r.get("decision") == "rewrite"]
        read_only = [r for r in self.records if r.get("read_only")]
        isolated = [r for r in self.records if r.get("isolated")]
        what = f"Claude Code dispatched {n} subagent{'s' if n != 1 else ''}"
        if denied:
            types = ", ".join(sorted({str(r.get("subagent_type")) for r in denied}))
            return f"{what}: {len(denied)} denied for missing isolation ({types})"
        if len(isolated) == n:
            extra = f" ({len(rewritten)} by rewrite)" if rewritten else ""
            return f"{what}: all isolated{extra} {EM_DASH} verified"
        return f"{what}: {len(isolated)} isolated, {len(read_only)} read-only {EM_DASH} verified"


def latest_burst(records: list[dict[str, Any]], gap: float = BURST_GAP) -> Burst | None:
    """The most recent run of claude-code-dispatch records (one session, no gap longer than *gap*)."""
    ours = [r for r in records if r.get("event") == "claude-code-dispatch" and r.get("decision") != "pass"]
    if not ours:
        return None
    last = ours[-1]
    burst = [last]
    for r in reversed(ours[:-1]):
        if r.get("session") != last.get("session") or float(burst[0]["time"]) - float(r["time"]) > gap:
            break
        burst.insert(0, r)
    return Burst(last.get("session"), float(burst[0]["time"]), float(last["time"]), tuple(burst))


class ClaudeFeed:
    """Reads the hook's journal records incrementally (from the last offset) and says the sentence
    for Claude Code's latest burst of dispatches, while it is recent (10 minutes)."""

    def __init__(self, paths: RepoPaths, recent: float = 600.0) -> None:
        self.paths = paths
        self.recent = recent
        self._offset = 0
        self._records: list[dict[str, Any]] = []

    def sentence(self) -> str | None:
        records, self._offset = journal.read_from(self.paths, self._offset)
        self._records.extend(r for r in records if r.get("event") == "claude-code-dispatch")
        del self._records[:-500]
        burst = latest_burst(self._records)
        if burst is None or time.time() - burst.end > self.recent:
            return None
        return burst.sentence
