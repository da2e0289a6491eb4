"""Landing: the order planner, the diff view, a fast-forward landing — beside raw git in the same run.

    python bench/bench_landing.py [--files 10000] [--branches 32] [--diff-lines 5000]

Targets (issue 14): the order planner for 32 branches on a 10,000-file repository < 2 s; the diff
view of a 5,000-line change opens < 300 ms; ``land`` of a fast-forward < 1 s, beside the raw git
commands it needs (``merge-base --is-ancestor`` + ``update-ref``).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agenttui.core.git import repo as gitrepo
from agenttui.core.landing import land as landing


def git(cwd: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@b", *args],
        cwd=cwd,
        input=input,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def build(root: Path, files: int, branches: int) -> Path:
    r = root / "repo"
    r.mkdir()
    git(r, "init", "-q", "-b", "main")
    for i in range(files):
        p = r / f"src/m{i // 100}/f{i}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"x = {i}\n")
    git(r, "add", "-A")
    git(r, "commit", "-qm", "base")
    for b in range(branches):  # each branch edits its own file, a few also a shared one
        git(r, "checkout", "-q", "-b", f"agents/b{b:02d}", "main")
        (r / f"src/m{b}/f{b * 100}.py").write_text(f"x = 'agent {b}'\n")
        if b % 8 == 0:
            (r / "src/m0/f1.py").write_text(f"shared by {b}\n")
        git(r, "commit", "-qam", f"agent {b}")
    git(r, "checkout", "-q", "main")
    return r


async def diff_view_ms(r: Path, name: str) -> float:
    from agenttui.tui.app import AgentTuiApp
    from agenttui.tui.screens.review import DiffScreen

    app = AgentTuiApp(gitrepo.open_repo(r), None, live=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        t0 = time.perf_counter()
        app.push_screen(DiffScreen(gitrepo.open_repo(r), name))
        while not (isinstance(app.screen, DiffScreen) and app.screen.loaded is not None):
            await asyncio.sleep(0.002)
        await pilot.pause()  # drawn
        return (time.perf_counter() - t0) * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--branches", type=int, default=32)
    ap.add_argument("--diff-lines", type=int, default=5_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = build(Path(tmp), args.files, args.branches)
        paths = gitrepo.open_repo(r)
        names = [f"agents/b{b:02d}" for b in range(args.branches)]
        t0 = time.perf_counter()
        order, conflicts = landing.plan_order(paths, names, "main")
        planner = time.perf_counter() - t0
        t0 = time.perf_counter()
        git(r, "merge-tree", "--write-tree", "--name-only", "main", names[0])
        one = time.perf_counter() - t0
        stuck = sum(1 for b in order if conflicts[b])
        print(
            f"order planner, {args.branches} branches on {args.files:,} files: {planner * 1000:.0f} ms "
            f"({stuck} would conflict, landed last)   raw: one merge-tree {one * 1000:.1f} ms x "
            f"{args.branches * (args.branches + 1) // 2} pairs and steps = "
            f"{one * args.branches * (args.branches + 1) / 2 * 1000:.0f} ms"
            f"   target < 2 s"
        )
        # a 5,000-line change for the diff view
        git(r, "checkout", "-q", "-b", "agents/big", "main")
        (r / "big.py").write_text("".join(f"line_{i} = {i}\n" for i in range(args.diff_lines)))
        git(r, "add", "big.py")
        git(r, "commit", "-qm", "big change")
        git(r, "checkout", "-q", "main")
        t0 = time.perf_counter()
        git(r, "diff", "main...agents/big")
        raw_diff = (time.perf_counter() - t0) * 1000
        view = asyncio.run(diff_view_ms(r, "agents/big"))
        print(
            f"diff view of a {args.diff_lines:,}-line change: {view:.0f} ms to drawn   raw git diff "
            f"{raw_diff:.1f} ms   target < 300 ms"
        )
        # a fast-forward landing
        git(r, "checkout", "-q", "-b", "agents/ff", "main")
        (r / "ff.py").write_text("ff\n")
        git(r, "add", "ff.py")
        git(r, "commit", "-qm", "ff")
        git(r, "checkout", "-q", "-b", "elsewhere", "main")  # the base is not checked out
        t0 = time.perf_counter()
        res = landing.land(paths, "agents/ff", mode="ff", into="main", cleanup=False)
        ours = time.perf_counter() - t0
        old = res.old
        git(r, "update-ref", "refs/heads/main", old)  # back, to time the raw commands
        t0 = time.perf_counter()
        git(r, "merge-base", "--is-ancestor", "main", "agents/ff")
        git(r, "update-ref", "refs/heads/main", git(r, "rev-parse", "agents/ff").strip(), old)
        raw = time.perf_counter() - t0
        print(
            f"land of a fast-forward: {ours * 1000:.0f} ms (ok: {res.ok})   raw merge-base + update-ref "
            f"{raw * 1000:.1f} ms   ratio {ours / raw:5.1f}   target < 1 s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
