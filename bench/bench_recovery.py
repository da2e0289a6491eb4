"""Recovery screen with 1,000 stashes and 10,000 branches: time to first rows vs raw git listings.

    python bench/bench_recovery.py [--branches 10000] [--stashes 1000]

Target (issue 5): first rows in under 1 s.  The raw baseline is the two git listings alone,
measured in the same run.
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
from agenttui.tui.app import AgentTuiApp  # noqa: E402
from agenttui.tui.screens.recovery import RecoveryScreen  # noqa: E402
from bench.bench_listing import build  # noqa: E402


async def first_rows(repo: Path) -> tuple[float, float, int, int]:
    app = AgentTuiApp(gitrepo.open_repo(repo), None, live=False)
    async with app.run_test(size=(150, 45)) as pilot:
        t0 = time.perf_counter()
        await pilot.press("r")
        while not (isinstance(app.screen, RecoveryScreen) and app.screen.loaded):
            await asyncio.sleep(0.002)
        await pilot.pause()
        shown = time.perf_counter() - t0
        screen = app.screen
        assert isinstance(screen, RecoveryScreen)
        screen.action_tab("branches")
        table = screen.table("branches")
        table.focus()
        t1 = time.perf_counter()
        for _ in range(200):  # scroll: 200 page-downs through 10,000 rows
            await pilot.press("pagedown")
        scroll = (time.perf_counter() - t1) / 200
        return shown, scroll, screen.table("stashes").row_count, table.row_count


async def bare_table_scroll(rows: int) -> float:
    """Baseline: a bare Textual DataTable with the same number of rows, the same key presses."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

        def on_mount(self) -> None:
            t = self.query_one(DataTable)
            t.add_columns("a", "b", "c", "d", "e", "f")
            for i in range(rows):
                t.add_row(" ", f"agents/b{i:05d}", "1h", "merged", "-", "base", key=str(i))
            t.focus()

    async with Bare().run_test(size=(150, 45)) as pilot:
        await pilot.pause()
        t1 = time.perf_counter()
        for _ in range(200):
            await pilot.press("pagedown")
        return (time.perf_counter() - t1) / 200


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--branches", type=int, default=10_000)
    ap.add_argument("--stashes", type=int, default=1_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = build(Path(tmp), args.branches, args.stashes)
        t0 = time.perf_counter()
        subprocess.run(["git", "for-each-ref", "refs/heads"], cwd=repo, capture_output=True, check=True)
        subprocess.run(["git", "stash", "list"], cwd=repo, capture_output=True, check=True)
        raw = time.perf_counter() - t0
        shown, scroll, stashes, branches = asyncio.run(first_rows(repo))
        print(
            f"recovery screen: {stashes:,} stashes and {branches:,} branches shown in {shown * 1000:.0f} ms "
            f"(target < 1000 ms); raw git listings {raw * 1000:.0f} ms (ratio {shown / raw:.1f})"
        )
        bare = asyncio.run(bare_table_scroll(branches))
        print(
            f"scrolling the branch table: {scroll * 1000:.1f} ms per page-down (pilot key press included); "
            f"a bare DataTable of {branches:,} rows: {bare * 1000:.1f} ms (ratio {scroll / bare:.2f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
