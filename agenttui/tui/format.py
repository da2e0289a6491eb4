"""Small formatting helpers for what the panes and tables show."""

from __future__ import annotations

import os
import time
from pathlib import Path


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "K", "M", "G"):
        if size < 1024 or unit == "G":
            return f"{size:.0f}{unit}" if unit in ("B", "K") else f"{size:.1f}{unit}"
        size /= 1024
    return f"{size:.1f}G"


def human_time(seconds: float) -> str:
    """An agent's uptime in minutes ("<1m" in its first): a line that changes every second is a
    line redrawn at every sample for every idle agent."""
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m" if s >= 60 else "<1m"


def short_path(p: Path | str | None) -> str:
    if p is None:
        return "-"
    home = os.path.expanduser("~")
    s = str(p)
    return "~" + s[len(home) :] if home != "/" and s.startswith(home + os.sep) else s


def age(ts: float, now: float | None = None) -> str:
    d = max(0, int(time.time() if now is None else now) - int(ts))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if d >= size:
            return f"{d // size}{unit}"
    return f"{d}s"
