"""Agent-worktree snapshots and the sentinel: what protecting agent worktrees costs.

    python bench/bench_snapshots.py [--files 10000] [--trials 15] [--agents 32] [--idle 10]

1. A snapshot of an agent worktree of ``--files`` files after a burst (20 files edited, 10 new),
   as the keeper takes it (``snapshots.take``: two index copies, ``add -A``, two ``write-tree``,
   two ``commit-tree``, one ``update-ref --stdin``), and the first one (no earlier tree to compare).
   Raw baselines in the same run: ``git status --porcelain -uall`` in the worktree (what any look at
   the agent's changes costs) and ``git add -A`` into a copied index alone.
2. ``--agents`` idle agent worktrees under a running keeper (its snapshot thread and the sentinel's
   inotify): CPU time of this process over ``--idle`` seconds, with and without the keeper.
3. One agent running ``git status`` in a loop (each opens the worktree root: the sentinel looks at
   the new processes every time): the sentinel's scans per second and their cost.

Targets (issue 13): a 10,000-file snapshot <= 300 ms of background work, never on the UI thread;
idle agents <= 3 % of a core in all.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agenttui.core.git.repo import open_repo  # noqa: E402
from agenttui.core.guard import snapshots
from agenttui.core.guard.worktrees import WorktreeKeeper  # noqa: E402
from bench.bench_guard import git, make_repo, pct  # noqa: E402


def timed(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0


def burst(wt: Path, n: int, files: int) -> None:
    for i in range(20):
        (wt / "src" / f"f{(n * 20 + i) % files}.py").write_text(f"edited {n} {i}\n")
    for i in range(10):
        (wt / "new" / f"n{n}-{i}.py").write_text("new\n")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--trials", type=int, default=15)
    ap.add_argument("--agents", type=int, default=32)
    ap.add_argument("--idle", type=float, default=10.0)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="agenttui-bench-snap-"))
    try:
        r = make_repo(root)
        (r / "src").mkdir()
        for i in range(args.files):
            (r / "src" / f"f{i}.py").write_text(f"x = {i}\n")
        git(r, "add", "-A")
        git(r, "commit", "-qm", "files")
        wt = root / "wt"
        git(r, "worktree", "add", "-q", "-b", "agent/a", str(wt))
        (wt / "new").mkdir()
        git(wt, "status", "--porcelain")  # (the agent's own index is fresh, as an agent's would be)
        paths = open_repo(str(r))

        burst(wt, 0, args.files)
        first = timed(lambda: snapshots.take(paths, "a", wt))
        ours: list[float] = []
        status: list[float] = []
        add_only: list[float] = []
        last = snapshots.list_snapshots(paths, "a")[0].tree
        for n in range(1, args.trials + 1):
            burst(wt, n, args.files)
            status.append(
                timed(
                    lambda: subprocess.run(
                        ["git", "status", "--porcelain", "-uall"], cwd=wt, capture_output=True, check=True
                    )
                )
            )
            with tempfile.TemporaryDirectory() as tmp:
                shutil.copyfile(r / ".git" / "worktrees" / "wt" / "index", Path(tmp) / "i")
                add_only.append(
                    timed(
                        lambda: subprocess.run(
                            ["git", "add", "-A", "--", "."],
                            cwd=wt,
                            check=True,
                            env={**os.environ, "GIT_INDEX_FILE": f"{tmp}/i"},
                            capture_output=True,
                        )
                    )
                )
            t0 = time.perf_counter()
            s = snapshots.take(paths, "a", wt, last_tree=last)
            ours.append(time.perf_counter() - t0)
            assert s is not None
            last = s.tree
        unchanged = timed(lambda: snapshots.take(paths, "a", wt, last_tree=last))
        print(
            f"snapshot of {args.files:,} files after a burst   p50 {pct(ours, 0.5) * 1000:6.1f} ms  "
            f"max {max(ours) * 1000:6.1f} ms  (n={len(ours)}; target <= 300 ms)"
        )
        print(
            f"  raw git status -uall                  p50 {pct(status, 0.5) * 1000:6.1f} ms   ratio "
            f"{pct(ours, 0.5) / pct(status, 0.5):4.2f}"
        )
        print(
            f"  raw git add -A into a copied index    p50 {pct(add_only, 0.5) * 1000:6.1f} ms   ratio "
            f"{pct(ours, 0.5) / pct(add_only, 0.5):4.2f}"
        )
        print(
            f"  first snapshot {first * 1000:6.1f} ms; nothing changed (no snapshot written) {unchanged * 1000:6.1f} ms"
        )

        trees: dict[str, Path] = {}
        for i in range(args.agents):
            p = root / "agents" / f"a{i}"
            git(r, "worktree", "add", "-q", "-b", f"agent/{i}", str(p))
            trees[f"a{i}"] = p
        alerts: list[object] = []
        keeper = WorktreeKeeper(paths, lambda: trees, alerts.append)
        keeper.start()
        deadline = time.time() + 60
        while keeper.snapshots_taken < args.agents and time.time() < deadline:  # the first snapshots
            time.sleep(0.05)
        c0, t0 = time.process_time(), time.perf_counter()
        time.sleep(args.idle)
        with_keeper = (time.process_time() - c0) / (time.perf_counter() - t0)
        scans_before = keeper.watermark
        loop = subprocess.Popen(["sh", "-c", "while :; do git status --porcelain >/dev/null; done"], cwd=trees["a0"])
        c1, t1 = time.process_time(), time.perf_counter()
        time.sleep(3)
        busy = (time.process_time() - c1) / (time.perf_counter() - t1)
        loop.kill()
        loop.wait()
        keeper.stop()
        c2, t2 = time.process_time(), time.perf_counter()
        time.sleep(args.idle)
        without = (time.process_time() - c2) / (time.perf_counter() - t2)
        print(
            f"{args.agents} idle agent worktrees, keeper running: {with_keeper * 100:5.2f} % of a core "
            f"(this process without it: {without * 100:5.2f} %; target <= 3 %); {len(alerts)} alerts"
        )
        print(
            f"one agent running git status in a loop: the sentinel at {busy * 100:5.2f} % of a core "
            f"(pids looked at: {keeper.watermark - scans_before})"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
