"""The ledger against real processes racing in a real checkout: every mutation recorded, and the
git ones attributed to the process tree that made them.  Ground truth: what the agents log."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from agenttui.core import journal
from agenttui.core.git import repo as gitrepo
from agenttui.core.guard.events import GuardWatch
from agenttui.core.guard.main_checkout import Guard
from tests.support.repos import git, make_repo

AGENT = r"""
import os, subprocess, sys, time
repo, name, log = sys.argv[1], sys.argv[2], sys.argv[3]
def g(*a):  # agents racing in one checkout: git fails now and then (a lock, a file in the way)
    for _ in range(20):
        if subprocess.run(["git", "-C", repo, *a], capture_output=True).returncode == 0:
            return True
        time.sleep(0.01)
    return False
with open(log, "a") as out:
    def note(kind, **kw):
        out.write(repr((kind, kw)) + "\n"); out.flush()
    for i in range(3):                      # files, half of them in brand-new directories
        d = os.path.join(repo, f"{name}-dir{i}", "deep")
        os.makedirs(d)
        for j in range(4):
            p = os.path.join(d, f"f{j}.txt")
            open(p, "w").write(f"{name} {i} {j}")
            note("file", path=os.path.relpath(p, repo))
        p = os.path.join(repo, f"{name}-top{i}.txt")
        open(p, "w").write("x")
        note("file", path=os.path.relpath(p, repo))
    g("checkout", "-q", "-b", f"{name}-work") and note("head")
    for _ in range(3):
        g("checkout", "-q", "-f", "main") and note("head")         # flips within milliseconds
        g("checkout", "-q", "-f", f"{name}-work") and note("head")
    g("stash", "push", "-q", "-u", "-m", f"others-work-again {name}") and note("stash-push")
    g("checkout", "-q", "-f", "main") and note("head")
    open(os.path.join(repo, f"{name}-commit.txt"), "w").write("c")
    g("add", f"{name}-commit.txt") and g("commit", "-q", "-m", f"{name} on main") and note("commit")
"""


async def run_guard(repo: Path, start: Any, launched: dict[int, str]) -> Guard:
    """Arm the guard, then start the agents, and run the guard's loop until they are done."""
    paths = gitrepo.open_repo(repo)
    guard = Guard(paths, repo, launched=lambda: launched)
    guard.arm()
    watcher = GuardWatch(guard)
    stop = asyncio.Event()
    reads: list[asyncio.Future[None]] = []

    def emit(_alerts: list[Any]) -> None:
        pass

    async def loop() -> None:
        async for ev in watcher.events(stop):
            if ev.parts and watcher.request(ev.parts):
                reads.append(asyncio.ensure_future(asyncio.to_thread(watcher.read, emit)))

    task = asyncio.ensure_future(loop())
    probe = paths.git_dir / "agenttui-watch-probe"  # (under .git: no file mutation for the ledger)
    deadline = time.monotonic() + 10
    while watcher.batches == 0:  # the watcher is up once it has seen the probe
        assert time.monotonic() < deadline, "the guard's watcher never started"
        probe.write_text(str(time.monotonic()))
        await asyncio.sleep(0.01)
    probe.unlink()
    procs: list[subprocess.Popen[bytes]] = start()
    while any(p.poll() is None for p in procs):
        await asyncio.sleep(0.02)
    seen = watcher.batches  # the last events: in before a probe written after them is seen
    probe.write_text("after")
    deadline = time.monotonic() + 10
    while watcher.batches == seen:
        assert time.monotonic() < deadline, "the guard's watcher stopped"
        await asyncio.sleep(0.01)
    probe.unlink()
    if watcher.request(reconcile=True):
        await asyncio.to_thread(watcher.read, emit)
    await asyncio.gather(*reads)
    stop.set()
    await task
    guard.disarm()  # flushes the ledger
    return guard


def guard_offset(repo: Path) -> int:
    """HEAD reflog lines written before the guard was armed (make_repo's commits)."""
    return 3


def mutations(repo: Path) -> list[dict[str, Any]]:
    return [r for r in journal.read(gitrepo.open_repo(repo)) if r.get("event") == "mutation"]


def ground_truth(log: Path) -> list[tuple[str, dict[str, Any]]]:
    import ast

    return [ast.literal_eval(line) for line in log.read_text().splitlines()]


async def test_two_agents_racing_every_mutation_recorded_and_attributed(tmp_path: Path) -> None:
    # a checkout of some size: git takes its locks for a few milliseconds, as in a real project
    repo = make_repo(tmp_path / "repo", files={f"src/m{i // 50}/f{i}.py": f"x = {i}\n" for i in range(1500)})
    log = tmp_path / "truth.log"
    script = tmp_path / "agent.py"
    script.write_text(AGENT)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    procs: list[subprocess.Popen[bytes]] = []
    launched: dict[int, str] = {}

    def start() -> list[subprocess.Popen[bytes]]:
        for name in ("a1", "a2", "a3"):
            env = {**os.environ, "AGENTTUI_AGENT": name}
            procs.append(
                subprocess.Popen([sys.executable, str(script), str(repo), name, str(log)], cwd=outside, env=env)
            )
        return procs

    guard = await run_guard(repo, start, launched)
    assert all(p.returncode == 0 for p in procs)
    truth = ground_truth(log)
    recs = mutations(repo)
    recorded_files = {path for r in recs if r["kind"] == "file" for path in r["paths"]}
    files = [kw["path"] for kind, kw in truth if kind == "file"]
    assert set(files) <= recorded_files, sorted(set(files) - recorded_files)
    heads = [r for r in recs if r["kind"] == "head"]
    # every HEAD movement git logged while armed, each entry (not the net of two snapshots)
    logged = (repo / ".git" / "logs" / "HEAD").read_text().splitlines()[guard_offset(repo) :]
    assert [h["reason"] for h in heads] == [line.split("\t", 1)[1] for line in logged]
    assert len(heads) >= sum(1 for kind, _ in truth if kind == "head")
    made = git(repo, "stash", "list", "--format=%H").split()  # (a push finding nothing to save makes none)
    assert sorted(r["sha"] for r in recs if r["kind"] == "stash-push") == sorted(made)
    assert sum(1 for r in recs if r["kind"] == "commit") >= sum(1 for k, _ in truth if k == "commit")
    # attribution of the git-level mutations: the agent named, its process tree walked
    git_recs = [r for r in recs if r["kind"] in ("head", "stash-push", "commit")]
    named = [r for r in git_recs if r["actor"]["agent"] in ("a1", "a2", "a3")]
    assert len(named) / len(git_recs) >= 0.9, [(r["kind"], r["actor"]) for r in git_recs]
    # the right agent where the record says which: its branch, its stash message, its commit
    for r in named:
        mine = r["actor"]["agent"]
        said = r.get("reason", "").split(" to ")[-1] + r.get("message", "").split(": ", 1)[-1]
        for other in {"a1", "a2", "a3"} - {mine}:
            assert f"{other}-work" not in said and f"{other} on main" not in said and not said.endswith(other), r
    for r in named:
        assert r["actor"]["via"] == "process" and r["actor"]["ancestry"]
    assert guard.actors is not None and guard.actors.scans > 0


async def test_control_without_the_guard_nothing_is_recorded(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "x.txt").write_text("x")
    git(repo, "checkout", "-q", "-b", "other")
    assert mutations(repo) == []  # the ledger exists only while the guard is armed
