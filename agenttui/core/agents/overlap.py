"""Two agents changing the same path in their worktrees: a conflict in the making.

One alert per pair of agents, grown as more shared paths turn up (agents that touch the same
thousands of files must not flood the feed); each pane of the pair gets a one-line note.  Runs on
the UI thread with each batch of file events: a dict lookup per changed path.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

from agenttui.core.agents.activity import FileChange
from agenttui.core.guard.main_checkout import Alert, new_alert

MAX_TRACKED = 20_000  # paths remembered before the table starts afresh
MAX_ALERT_PATHS = 500


@dataclass
class Overlaps:
    alerts: list[Alert] = field(default_factory=list)  # new or grown alerts, one per pair
    notes: dict[str, str] = field(default_factory=dict)  # agent -> "path also changed by other"


class OverlapTracker:
    def __init__(self) -> None:
        self._touched: dict[str, dict[str, float]] = {}  # relative path -> {agent: time}
        self._paths: dict[tuple[str, str], dict[str, None]] = {}  # pair -> insertion-ordered paths
        self._alerts: dict[tuple[str, str], Alert] = {}

    def note(self, agent: str, changes: list[FileChange]) -> Overlaps:
        out = Overlaps()
        grown: dict[tuple[str, str], Alert] = {}
        for c in changes:
            who = self._touched.setdefault(c.path, {})
            first = agent not in who
            who[agent] = c.time
            if not first:
                continue
            for other in who:
                if other == agent:
                    continue
                pair = (min(agent, other), max(agent, other))
                paths = self._paths.setdefault(pair, {})
                if c.path in paths:
                    continue
                paths[c.path] = None
                old = self._alerts.get(pair)
                n = len(paths)
                first3 = list(itertools.islice(paths, 3))
                text = (
                    f"'{pair[0]}' and '{pair[1]}' both changed {c.path}"
                    if n == 1
                    else f"'{pair[0]}' and '{pair[1]}' both changed {n} paths: {', '.join(first3)}"
                    + (" …" if n > 3 else "")
                )
                alert = (
                    replace(old, text=text, paths=tuple(itertools.islice(paths, MAX_ALERT_PATHS)))
                    if old is not None
                    else new_alert("overlap", text, paths=(c.path,), agents=pair)
                )
                self._alerts[pair] = grown[pair] = alert
                out.notes[pair[0]] = f"{c.path} also changed by {pair[1]}"
                out.notes[pair[1]] = f"{c.path} also changed by {pair[0]}"
        if len(self._touched) > MAX_TRACKED:
            self._touched.clear()
        out.alerts = list(grown.values())
        return out
