"""Agent file activity: sorting events by worktree, rates, and a real watch."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agenttui.core.watch import Activity, assign, watch_worktrees


def test_assign_deepest_root_wins() -> None:
    roots = [Path("/a/w1"), Path("/a/w10"), Path("/a/w1/nested"), Path("/a/w1/m"), Path("/b")]
    got = assign([(1, "/a/w1/x"), (2, "/a/w10/y"), (3, "/a/w1/nested/z"), (1, "/a/w2/q"),
                  (1, "/b/c"), (1, "/a/w100/r"), (1, "/a/w1/n.txt")], roots, now=5.0)
    flat = {str(k): [(c.kind, c.path) for c in v] for k, v in got.items()}
    assert flat == {"/a/w1": [("created", "x"), ("created", "n.txt")], "/a/w10": [("modified", "y")],
                    "/a/w1/nested": [("deleted", "z")], "/b": [("created", "c")]}


def test_activity_latest_and_rates() -> None:
    act = Activity(keep=3)
    changes = assign([(1, f"/w/f{i}") for i in range(10)], [Path("/w")], now=1000.0)[Path("/w")]
    act.add(changes)
    assert [c.path for c in act.latest] == ["f9", "f8", "f7"]
    assert act.rates(now=1000.5, width=3) == [0, 0, 10] and act.total == 10


async def test_real_watch(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    stop = asyncio.Event()
    seen: dict[Path, list[str]] = {}

    async def consume() -> None:
        async for batch in watch_worktrees([a, b], stop):
            for root, changes in batch.items():
                seen.setdefault(root, []).extend(c.path for c in changes)
            if "x.py" in seen.get(a, []) and "y.py" in seen.get(b, []):
                stop.set()

    task = asyncio.create_task(consume())
    for _ in range(200):  # keep writing until the watcher (started concurrently) reports both
        (a / "x.py").write_text("1")
        (b / "y.py").write_text("2")
        await asyncio.sleep(0.05)
        if stop.is_set():
            break
    stop.set()
    await asyncio.wait_for(task, 10)
    assert "x.py" in seen[a] and "y.py" in seen[b]
