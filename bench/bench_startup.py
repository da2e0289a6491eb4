"""Start-up: time from launch until the newest stash is on the screen, in tmux (200x50), side by
side with lazygit (the ``lazygit-py`` wheel, skipped where it is not installed) in the same run.

    python bench/bench_startup.py [--trials 5] [--branches 10000] [--stashes 1000]

Two repositories: a big one (10,001 branches, 1,000 stashes) and a tiny one (1 branch, 1 stash).
Targets (issue 10): ``agenttui recover`` <= 0.35 s on the big one, <= 0.30 s on the tiny one.  The
raw baseline is the interpreter importing textual.app, psutil and watchfiles and exiting (GitPython
and msgspec are imported after the first frame, when first used).  On the tiny repository, two
floors in the same run, timed the same way (``floor_recovery.py``: Textual with no agenttui in it,
one Static, and the widgets the recovery screen composes showing "stash 999"): what agenttui
takes above the second is its own.  ``bench_first_frame.py`` says
where the time goes, phase by phase, beside Textual's own floors.
Each line: label, p50, p99 (over the trials), as bench_keys prints them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_listing import build  # noqa: E402

SOCKET = f"agenttui-bench-startup-{os.getpid()}"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=False).stdout


def time_to_text(argv: list[str], cwd: Path, needle: str, timeout: float = 15.0) -> float | None:
    """Start *argv* in a fresh tmux window and poll the screen until *needle* shows."""
    tmux("kill-server")
    tmux("new-session", "-d", "-x", "200", "-y", "50", "-s", "b", "sleep 600")
    env = [
        "env",
        "-u",
        "PYTHONDONTWRITEBYTECODE",
        f"PATH={os.environ['PATH']}",
        "TERM=xterm-256color",
        f"HOME={os.environ.get('HOME', '/root')}",
    ]
    t0 = time.perf_counter()
    tmux("new-window", "-t", "b:", "-c", str(cwd), "--", *env, *argv)
    try:
        while time.perf_counter() - t0 < timeout:
            if needle in tmux("capture-pane", "-p", "-t", "b:1"):
                return time.perf_counter() - t0
            time.sleep(0.003)
        return None
    finally:
        tmux("kill-server")


def import_baseline() -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import textual.app, psutil, watchfiles"], check=True, env=env)
    return time.perf_counter() - t0


def stats(values: list[float]) -> tuple[float, float]:
    s = sorted(values)
    return statistics.median(s) * 1000, s[min(len(s) - 1, int(0.99 * len(s)))] * 1000


def line(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:<44} (did not show)"
    p50, p99 = stats(values)
    return f"{label:<44} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  (n={len(values)})"


def tiny(root: Path) -> Path:
    r = root / "tiny"
    r.mkdir()

    def run(*a: str) -> None:
        subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", *a], cwd=r, check=True, capture_output=True)

    run("init", "-q", "-b", "main")
    (r / "f.txt").write_text("0\n")
    run("add", "f.txt")
    run("commit", "-qm", "base")
    (r / "f.txt").write_text("1\n")
    run("stash", "push", "-q", "-m", "stash 999")
    return r


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--branches", type=int, default=10_000)
    ap.add_argument("--stashes", type=int, default=1_000)
    args = ap.parse_args()
    agenttui = shutil.which("agenttui") or str(Path(sys.executable).with_name("agenttui"))
    if os.environ.get("BENCH_AGENTTUI"):  # a wrapper script instead (e.g. another checkout, for an A/B)
        agenttui = os.environ["BENCH_AGENTTUI"]
    lazygit = shutil.which("lazygit")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repos = {"big": build(root, args.branches, args.stashes), "tiny": tiny(root)}
        # a warm-up run of each writes the byte code (as an installed package has it)
        time_to_text([agenttui, "recover", str(repos["tiny"])], repos["tiny"], "stash 999")
        print(f"start-up until the newest stash is on the screen (tmux 200x50, {args.trials} trials)")
        base = [import_baseline() for _ in range(args.trials)]
        print(line("raw: import textual.app+psutil+watchfiles", base))
        floor = Path(__file__).with_name("floor_recovery.py")
        for name, repo in repos.items():
            # interleaved, trial by trial: the machine's drift falls on all of them alike
            runs: dict[str, tuple[list[str], list[float]]] = {"ours": ([agenttui, "recover", str(repo)], [])}
            if lazygit:
                runs["lazygit"] = ([lazygit, "-p", str(repo)], [])
            if name == "tiny":  # (the floors read no repository)
                runs["floor 1"] = ([sys.executable, str(floor), "static"], [])
                runs["floor 2"] = ([sys.executable, str(floor), "widgets"], [])
            for _ in range(args.trials):
                for argv, times in runs.values():
                    if (t := time_to_text(argv, repo, "stash 999")) is not None:
                        times.append(t)
            ours = runs["ours"][1]
            print(line(f"agenttui recover, {name}", ours))
            if lazygit:
                theirs = runs["lazygit"][1]
                print(line(f"lazygit, {name}", theirs))
                if ours and theirs:
                    print(f"{'':<44} ratio to lazygit p50 {stats(ours)[0] / stats(theirs)[0]:5.2f}")
            else:
                print(f"lazygit, {name}: skipped (not installed: pip install lazygit-py)")
            if name == "tiny":
                one, same = runs["floor 1"][1], runs["floor 2"][1]
                print(line("floor 1: Textual, one Static", one))
                print(line("floor 2: Textual, recovery screen widgets", same))
                if ours and same:
                    print(f"{'':<44} agenttui above floor 2: p50 {stats(ours)[0] - stats(same)[0]:+6.1f} ms")
        print("targets: big <= 350 ms, tiny <= 300 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
