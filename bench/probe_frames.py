"""What each frame draws: run ``agenttui`` with Textual's widget drawing and frames timed.

    BENCH_AGENTTUI=bench/probe_frames.py BENCH_PROBE_OUT=/tmp/frames.txt \\
        python bench/bench_keys.py --layout list --keys nav

Wraps the entry point: every widget's ``render_lines`` (time, calls, lines drawn, per widget
class and id) and every compositor refresh (a frame) are timed; at exit the widgets are written
costliest first, then the frames' p50 / p90 / max / total.  This is how the detail's sparkline
was found to be the costliest draw under load (bench/NOTES.md, "what a frame draws").
"""

from __future__ import annotations

import atexit
import collections
import os
import sys
import time
from typing import Any

from textual.screen import Screen
from textual.widget import Widget

OUT = os.environ.get("BENCH_PROBE_OUT", "/tmp/probe_frames.txt")
WIDGETS: dict[tuple[str, str | None], list[float]] = collections.defaultdict(lambda: [0, 0.0, 0])
FRAMES: list[float] = []


def _timed_render_lines(original: Any) -> Any:
    def render_lines(self: Widget, crop: Any) -> Any:
        t = time.perf_counter()
        result = original(self, crop)
        entry = WIDGETS[(type(self).__name__, self.id)]
        entry[0] += 1
        entry[1] += time.perf_counter() - t
        entry[2] += crop.height
        return result

    return render_lines


def _timed_frame(original: Any) -> Any:
    def compositor_refresh(self: Screen[Any], *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        result = original(self, *args, **kwargs)
        FRAMES.append((time.perf_counter() - t) * 1000)
        return result

    return compositor_refresh


def dump() -> None:
    with open(OUT, "w") as out:
        for (kind, wid), (n, seconds, lines) in sorted(WIDGETS.items(), key=lambda kv: -kv[1][1]):
            each = seconds / n * 1000
            out.write(f"{kind}#{wid}: {int(n)} draws {seconds * 1000:.0f} ms, {each:.2f} ms each, {int(lines)} lines\n")
        frames = sorted(FRAMES)
        if frames:
            p = lambda q: frames[min(len(frames) - 1, int(len(frames) * q))]  # noqa: E731
            out.write(f"frames: {len(frames)}, p50 {p(0.5):.1f} ms, p90 {p(0.9):.1f} ms, max {frames[-1]:.1f} ms")
            out.write(f", total {sum(frames):.0f} ms\n")


def main() -> None:
    Widget.render_lines = _timed_render_lines(Widget.render_lines)  # type: ignore[method-assign]
    Screen._compositor_refresh = _timed_frame(Screen._compositor_refresh)  # type: ignore[method-assign]
    atexit.register(dump)
    from agenttui.entry import main as entry

    sys.argv = ["agenttui", *sys.argv[1:]]
    sys.exit(entry())


if __name__ == "__main__":
    main()
