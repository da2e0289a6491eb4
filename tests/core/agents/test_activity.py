"""Agent file activity: sorting events by worktree, rates, and a real watch."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from pathlib import Path

import pytest
import watchfiles

from agenttui.core.agents.activity import Activity, assign, watch_worktrees
from agenttui.core.host.procs import thread_ids


def test_assign_deepest_root_wins() -> None:
    roots = [Path("/a/w1"), Path("/a/w10"), Path("/a/w1/nested"), Path("/a/w1/m"), Path("/b")]
    got = assign(
        [
            (1, "/a/w1/x"),
            (2, "/a/w10/y"),
            (3, "/a/w1/nested/z"),
            (1, "/a/w2/q"),
            (1, "/b/c"),
            (1, "/a/w100/r"),
            (1, "/a/w1/n.txt"),
        ],
        roots,
        now=5.0,
    )
    flat = {str(k): [(c.kind, c.path) for c in v] for k, v in got.items()}
    assert flat == {
        "/a/w1": [("created", "x"), ("created", "n.txt")],
        "/a/w10": [("modified", "y")],
        "/a/w1/nested": [("deleted", "z")],
        "/b": [("created", "c")],
    }


def test_noise_is_left_out_by_the_path_inside_the_worktree() -> None:
    noise = [
        ".git",
        ".git/index",
        "src/__pycache__/m.cpython-311.pyc",
        "m.pyc",
        "a/.m.py.swp",
        "notes.txt~",
        ".#lock",
        ".DS_Store",
        "flycheck_x.py",
        "pkg/.mypy_cache/x",
        ".ruff_cache/y",
    ]
    kept = ["src/app.py", ".gitignore", ".github/workflows/ci.yml", "my.git/x", "a.sw", "git/x", "x~y"]
    root = Path("/home/u/.hg/wt")  # a worktree under a directory that would be noise inside one
    got = assign([(1, f"{root}/{p}") for p in noise + kept], [root], now=1.0)
    assert [c.path for c in got[root]] == kept


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


def notify_threads() -> dict[int, int]:
    """tid -> nice of this process's watchfiles reader threads."""
    out = {}
    for tid in thread_ids():
        with contextlib.suppress(OSError):
            if Path(f"/proc/self/task/{tid}/comm").read_text().startswith("notify-rs"):
                out[tid] = os.getpriority(os.PRIO_PROCESS, tid)
    return out


async def test_the_agents_watcher_thread_runs_nicer_and_the_guards_does_not(tmp_path: Path) -> None:
    a, guarded = tmp_path / "a", tmp_path / "main"
    a.mkdir()
    guarded.mkdir()
    base = os.getpriority(os.PRIO_PROCESS, 0)
    if base + 4 > 19:
        pytest.skip("the tests already run at the lowest priority: nothing nicer to set")
    stop = asyncio.Event()
    before = notify_threads()

    async def agents() -> None:
        async for _batch in watch_worktrees([a], stop, thread_nice=4):
            pass

    async def guard() -> None:  # the guard's own watcher, as the app starts it: plain awatch
        async for _changes in watchfiles.awatch(guarded, stop_event=stop, debounce=10, step=5):
            pass

    tasks = [asyncio.create_task(guard()), asyncio.create_task(agents())]
    deadline = time.monotonic() + 10
    while len(set(notify_threads()) - set(before)) < 2 or max(notify_threads().values()) == base:
        assert time.monotonic() < deadline, f"watcher threads: {notify_threads()}"
        await asyncio.sleep(0.02)
    mine = {t: n for t, n in notify_threads().items() if t not in before}
    assert sorted(mine.values()) == [base, min(19, base + 4)]  # one reniced, the guard's untouched
    assert os.getpriority(os.PRIO_PROCESS, 0) == base
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 10)


async def test_the_plan_watch_sees_its_file_written_and_replaced_and_nothing_else(tmp_path: Path) -> None:
    """Raw inotify on the plan's folder: a write and an editor's rename-over both count; another
    file in the folder does not (control: it would have counted, were the filter missing)."""
    from agenttui.core.agents.activity import watch_file

    plan = tmp_path / "agenttui.toml"
    plan.write_text("# v1\n")
    stop = asyncio.Event()
    seen: asyncio.Queue[float] = asyncio.Queue()

    async def consume() -> None:
        async for _ in watch_file(plan, stop):
            seen.put_nowait(time.monotonic())

    task = asyncio.create_task(consume())
    try:
        await asyncio.sleep(0)  # (the watch is set up on the generator's first step)
        for _ in range(100):
            if any(t.name == "agenttui-plan" for t in threading.enumerate()):
                break
            await asyncio.sleep(0.01)
        (tmp_path / "other.txt").write_text("not the plan\n")
        plan.write_text("# v2\n")
        await asyncio.wait_for(seen.get(), 5)
        tmp = tmp_path / ".agenttui.toml.swp"
        tmp.write_text("# v3\n")
        os.replace(tmp, plan)  # how editors save
        await asyncio.wait_for(seen.get(), 5)
        (tmp_path / "other.txt").write_text("still not the plan\n")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(seen.get(), 0.5)  # (the control: waiting for what must not come)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
