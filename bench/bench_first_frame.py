"""Where ``agenttui recover``'s first frame goes, phase by phase, beside Textual's own floor.

    python bench/bench_first_frame.py [--trials 9]

Each trial is a fresh interpreter (headless Textual, a tiny repository with one stash) that stamps
the wall clock at each phase: interpreter up, ``import textual.app``, agenttui's own imports, the
App built, Textual's first refresh of the recovery screen, the stashes read, the stash row drawn.
Beside it, in the same run, two floors that contain no agenttui at all: a Textual app of one
``Static`` (the framework's minimum), and a Textual app of the same widgets the recovery screen
composes (a TabbedContent of five DataTable panes, an Input, a Footer) with one row in the first
table.  Prints medians in ms.  What is above the second floor is agenttui's; the rest is
Python's and Textual's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OURS = r"""
import json, sys, time
T = [("interpreter up", time.perf_counter())]
import gc; gc.disable()  # as the real process starts (cli._before_textual; the pacer turns it on)
import textual.app  # noqa: F401
T.append(("import textual.app", time.perf_counter()))
import agenttui.cli  # noqa: F401
from agenttui.core.git import repo as gitrepo
from agenttui.tui.app import AgentTuiApp
T.append(("agenttui's imports", time.perf_counter()))
app = AgentTuiApp(gitrepo.open_repo(sys.argv[1]), None, recover=True)
T.append(("repository opened, App built", time.perf_counter()))

def check():
    table = app.screen.query("#t-stashes")
    if table and table.first().row_count:
        T.append(("stashes read, rows added", time.perf_counter()))
        app.call_after_refresh(lambda: (T.append(("stash row drawn", time.perf_counter())), app.exit()))
        timer.stop()

def first():
    global timer
    now = time.perf_counter()
    T.append(("Textual's first refresh (screen composed)", now))
    table = app.screen.query("#t-stashes")
    if table and table.first().row_count:  # added as the screen mounted: that frame drew them
        T.extend([("stashes read, rows added", now), ("stash row drawn", now)])
        app.exit()
        return
    timer = app.set_interval(0.001, check)

app.call_after_refresh(first)
app.run(headless=True)
print(json.dumps(T))
"""

FLOOR = str(ROOT / "bench" / "floor_recovery.py")  # floor 1 ("static") and floor 2 ("widgets")


def trial(code: str, *args: str) -> list[tuple[str, float]]:
    """*code*: a program's text, or the path of the floor's file."""
    argv = [code, *args, "--headless"] if code == FLOOR else ["-c", code, *args]
    out = subprocess.run([sys.executable, *argv], capture_output=True, text=True, check=True, cwd=ROOT)
    stamps = json.loads(out.stdout.strip().splitlines()[-1])
    t0 = stamps[0][1]
    return [(name, (t - t0) * 1000) for name, t in stamps]


def report(label: str, runs: list[list[tuple[str, float]]], process_start: list[float]) -> float:
    print(label)
    names = [n for n, _ in runs[0]]
    prev = 0.0
    for i, name in enumerate(names):
        at = statistics.median(r[i][1] for r in runs)
        print(f"  {name:<44} +{at - prev:6.1f} ms   at {at:6.1f} ms")
        prev = at
    total = statistics.median(process_start) + prev
    print(f"  {'(python itself, before any line runs)':<44} +{statistics.median(process_start):6.1f} ms")
    print(f"  {'total':<44}  {total:6.1f} ms")
    return total


def startup_cost(trials: int) -> list[float]:
    """The interpreter's own start (``python -c pass``), which the stamps above do not see."""
    import time

    out = []
    for _ in range(trials):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "tiny"
        repo.mkdir()
        git = ["git", "-c", "user.name=b", "-c", "user.email=b@b"]
        subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
        (repo / "f.txt").write_text("0\n")
        subprocess.run([*git, "add", "f.txt"], cwd=repo, check=True)
        subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
        (repo / "f.txt").write_text("1\n")
        subprocess.run([*git, "stash", "push", "-q", "-m", "stash 999"], cwd=repo, check=True)
        trial(OURS, str(repo))  # warm-up: byte code written, caches warm
        ours, one, same = [], [], []
        for _ in range(args.trials):  # interleaved: the machine's noise falls on all three alike
            ours.append(trial(OURS, str(repo)))
            one.append(trial(FLOOR, "static"))
            same.append(trial(FLOOR, "widgets"))
        py = startup_cost(args.trials)
    print(f"first frame of `agenttui recover` on a tiny repository, headless, median of {args.trials}")
    t_ours = report("agenttui recover:", ours, py)
    t_one = report("floor 1: a Textual app of one Static:", one, py)
    t_same = report("floor 2: a Textual app of the recovery screen's widgets (no agenttui):", same, py)
    print(
        f"above floor 2 (agenttui's own): {t_ours - t_same:.0f} ms of {t_ours:.0f} ms; "
        f"floor 2 above floor 1 (Textual's widgets): {t_same - t_one:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
