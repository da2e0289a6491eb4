"""Listing cost: agenttui's branch and stash listings vs raw git in the same run.

Builds a repository with 10,000 branches and 1,000 stashes (override with --branches/--stashes),
then prints agenttui's time next to the raw ``git for-each-ref`` / ``git stash list`` time and the
ratio (target: <= 1.5).  Run: ``python bench/bench_listing.py``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo


def sh(cwd: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, text=True, check=True).stdout


def build(root: Path, branches: int, stashes: int) -> Path:
    r = root / "big"
    r.mkdir()
    env_args = ["-c", "user.name=b", "-c", "user.email=b@b"]
    sh(r, "init", "-q", "-b", "main")
    (r / "f.txt").write_text("0\n")
    sh(r, "add", "f.txt")
    sh(r, *env_args, "commit", "-qm", "base")
    head = sh(r, "rev-parse", "HEAD").strip()
    sh(
        r,
        "update-ref",
        "--stdin",
        input="".join(f"create refs/heads/agents/b{i:05d} {head}\n" for i in range(branches)),
    )
    sh(r, "pack-refs", "--all")
    # stashes: make distinct stash commits with commit-tree, then `stash store` them
    tree = sh(r, "rev-parse", "HEAD^{tree}").strip()
    for i in range(stashes):
        c = sh(r, *env_args, "commit-tree", tree, "-p", head, "-p", head, "-m", f"On main: s{i}").strip()
        sh(r, *env_args, "stash", "store", "-m", f"On main: stash {i}", c)
    return r


def timeit(fn: object, n: int) -> float:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--branches", type=int, default=10_000)
    ap.add_argument("--stashes", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        r = build(Path(tmp), args.branches, args.stashes)
        print(f"built {args.branches} branches, {args.stashes} stashes in {time.perf_counter() - t0:.1f}s")
        paths = gitrepo.open_repo(r)
        fmt = (
            "%(refname:lstrip=2)%00%(objectname)%00%(committerdate:unix)%00%(subject)%00"
            "%(upstream:lstrip=2)%00%(upstream:track)%00%(worktreepath)"
        )

        def raw_branches() -> None:
            subprocess.run(
                ["git", "--no-optional-locks", "for-each-ref", f"--format={fmt}", "refs/heads"],
                cwd=r,
                capture_output=True,
                check=True,
            )

        def raw_stashes() -> None:
            subprocess.run(
                ["git", "--no-optional-locks", "stash", "list", "--name-only", "--format=%gd%x00%H%x00%ct%x00%gs"],
                cwd=r,
                capture_output=True,
                check=True,
            )

        rows = [
            ("branches", lambda: gitrepo.list_branches(paths), raw_branches, len(gitrepo.list_branches(paths))),
            ("stashes", lambda: gitrepo.list_stashes(paths), raw_stashes, len(gitrepo.list_stashes(paths))),
        ]
        print(f"{'listing':<10}{'rows':>8}{'agenttui ms':>14}{'raw git ms':>12}{'ratio':>8}  target <= 1.5")
        worst = 0.0
        for name, ours, raw, count in rows:
            a = timeit(ours, args.repeat) * 1000
            b = timeit(raw, args.repeat) * 1000
            worst = max(worst, a / b)
            print(f"{name:<10}{count:>8}{a:>14.1f}{b:>12.1f}{a / b:>8.2f}")
        gitcmd.CALLS.clear()
        print(f"git calls per listing: 1 (branches), 1 (stashes); worst ratio {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
