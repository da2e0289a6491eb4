"""The ledger and the incident: costs beside raw baselines measured in the same run.

    python bench/bench_ledger.py [--spawn 2000] [--install 30000] [--mutations 10000]

1. Actor capture per git event with ``--spawn`` extra processes on the machine, beside the raw
   baseline of one full /proc scan for processes working in the repository (psutil, what
   ``processes_in`` does).  Target: <= 5 ms per git event.
2. A package install in the main checkout (``--install`` files in new directories within a few
   seconds) while the guard is armed: every path recorded (nothing lost), the alert latency of a
   marker file written meanwhile (target p99 <= 250 ms), the CPU of the ledger's threads (target
   <= 15 % of a core).
3. ``agenttui incident`` over ``--mutations`` journal records, beside the raw read of the journal
   (target < 1 s).  4. ``salvage`` of the seed incident (target < 10 s), with its git calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agenttui.core import journal
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from agenttui.core.guard.events import GuardWatch  # noqa: E402
from agenttui.core.guard.main_checkout import Guard  # noqa: E402
from bench.bench_guard import git, pct  # noqa: E402
from bench.bench_guard import make_repo as _make_repo  # noqa: E402


def make_repo(root: Path) -> Path:
    return _make_repo(root, "repo")


def thread_cpu(names: tuple[str, ...]) -> float:
    """CPU seconds of this process's threads whose Python name starts with one of *names*."""
    import threading

    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for t in threading.enumerate():
        if not t.name.startswith(names) or t.native_id is None:
            continue
        try:
            fields = Path(f"/proc/self/task/{t.native_id}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            continue
    return total


def bench_actors(root: Path, spawn: int) -> None:
    import psutil

    from agenttui.core.host.procs import processes_in

    repo = make_repo(root / "actors")
    sleepers = [subprocess.Popen(["sleep", "600"]) for _ in range(spawn)]
    try:
        guard = Guard(gitrepo.open_repo(repo), repo)
        guard.arm()
        actors = guard.actors
        assert actors is not None
        time.sleep(0.3)
        base_scans, base_time = actors.scans, actors.scan_time
        env = {**os.environ, "AGENTTUI_AGENT": "bench"}
        for i in range(40):  # an agent's shell runs git (our own children are not suspects)
            subprocess.run(["sh", "-c", f"git -C '{repo}' checkout -q -b b{i}; true"], env=env, check=True)
        time.sleep(0.3)
        scans = actors.scans - base_scans
        per = (actors.scan_time - base_time) / max(1, scans) * 1000
        caught = sum(1 for a in actors.captured if a.agent == "bench")
        raw = []
        for _ in range(5):
            t0 = time.perf_counter()
            processes_in([repo])
            raw.append(time.perf_counter() - t0)
        guard.disarm()
        print(
            f"actor capture, {len(psutil.pids())} processes on the machine: {per:6.2f} ms per scan "
            f"({scans} scans for 40 git commands, {caught} caught)   raw full /proc scan p50 "
            f"{pct(raw, 0.5) * 1000:6.1f} ms   ratio {per / (pct(raw, 0.5) * 1000):5.2f}   target <= 5 ms"
        )
    finally:
        for p in sleepers:
            p.kill()
        for p in sleepers:
            p.wait()


async def bench_install(root: Path, files: int) -> None:
    repo = make_repo(root / "install")
    paths = gitrepo.open_repo(repo)
    guard = Guard(paths, repo)
    guard.arm()
    watcher = GuardWatch(guard)
    stop = asyncio.Event()
    alerts: list[tuple[float, tuple[str, ...]]] = []

    async def loop() -> None:
        async for ev in watcher.events(stop):
            now = time.perf_counter()
            alerts.extend((now, a.paths) for a in ev.alerts)
            if ev.parts and watcher.request(ev.parts):
                await asyncio.to_thread(watcher.read, lambda found: None)

    task = asyncio.ensure_future(loop())
    await asyncio.sleep(0.3)
    cpu0, t0 = thread_cpu(("agenttui-ledger", "agenttui-actors", "agenttui-locks")), time.perf_counter()
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import os,sys\nroot=sys.argv[1]; n=int(sys.argv[2])\n"
                "for i in range(n):\n d=os.path.join(root,'node_modules',f'pkg{i//50}')\n"
                " os.makedirs(d,exist_ok=True)\n"
                " open(os.path.join(d,f'f{i%50}.js'),'w').write('x')\n"
            ),
            str(repo),
            str(files),
        ]
    )
    lat: list[float] = []
    i = 0
    while writer.poll() is None:
        name = f"marker-{i}.txt"
        tw = time.perf_counter()
        (repo / name).write_text("m")
        while time.perf_counter() - tw < 2 and not any(name in p for _, p in alerts):
            await asyncio.sleep(0.002)
        hit = next((t for t, p in alerts if name in p), None)
        if hit is not None:
            lat.append(hit - tw)
        i += 1
        await asyncio.sleep(0.05)
    took = time.perf_counter() - t0
    await asyncio.sleep(1.0)
    if watcher.request(reconcile=True):
        await asyncio.to_thread(watcher.read, lambda found: None)
    stop.set()
    await task
    guard.disarm()
    cpu = (thread_cpu(("agenttui-ledger", "agenttui-actors", "agenttui-locks")) - cpu0) / took * 100
    recorded = {
        p for r in journal.read(paths) if r.get("event") == "mutation" and r.get("kind") == "file" for p in r["paths"]
    }
    wanted = {f"node_modules/pkg{j // 50}/f{j % 50}.js" for j in range(files)}
    lost = len(wanted - recorded)
    print(
        f"package install: {files:,} files in {took:.1f} s ({files / took:,.0f}/s): {lost} not recorded "
        f"(target 0); alert while it ran p50 {pct(lat, 0.5) * 1000:.1f} / p99 {pct(lat, 0.99) * 1000:.1f} ms "
        f"(n={len(lat)}, target p99 <= 250 ms); ledger threads {cpu:.1f} % of a core (target <= 15 %)"
    )


def bench_incident(root: Path, n: int) -> None:
    from agenttui.core.recovery import baseline
    from agenttui.core.recovery.report import incident_report

    repo = make_repo(root / "incident")
    paths = gitrepo.open_repo(repo)
    journal.append(paths, "guard-arm", baseline=baseline(paths))
    actor = {"agent": "a1", "pid": 1, "ancestry": [1], "cmdline": ["git"], "via": "process"}
    events = [("mutation", {"kind": "file", "paths": [f"src/f{i}.py"], "actor": actor}) for i in range(n)]
    journal.append_many(paths, events)
    t0 = time.perf_counter()
    raw = [json.loads(line) for line in journal.journal_path(paths).read_text().splitlines()]
    raw_t = time.perf_counter() - t0
    t0 = time.perf_counter()
    rep = incident_report(paths)
    ours = time.perf_counter() - t0
    print(
        f"incident over {len(rep['mutations']):,} mutations: {ours * 1000:.0f} ms   raw journal read "
        f"{raw_t * 1000:.0f} ms ({len(raw):,} lines)   ratio {ours / raw_t:5.2f}   target < 1 s"
    )


def bench_salvage(root: Path) -> None:
    from agenttui.core.recovery.salvage import salvage

    r = make_repo(root / "seed")
    since = time.time()
    time.sleep(1.05)
    for i in range(10):  # the seed incident: 10 stashes, 4 branches, 1 self-made worktree
        (r / "a.txt").write_text(f"stash {i}\n")
        (r / f"u{i}.txt").write_text("u")
        git(r, "stash", "push", "-q", "-u", "-m", f"others-work-again {i}")
    for b in range(4):
        git(r, "branch", f"agent-{b}-tmp")
    git(r, "worktree", "add", "-q", "-b", "self-iso", str(root / "seed-wt"))
    (root / "seed-wt" / "w.txt").write_text("w")
    os.environ["AGENTTUI_RECORD_GIT"] = "1"
    gitcmd._RECORD = True
    gitcmd.CALLS.clear()
    t0 = time.perf_counter()
    res = salvage(gitrepo.open_repo(r), since=since)
    took = time.perf_counter() - t0
    ok = all(o.ok for o in res.outcomes)
    print(
        f"salvage of the seed incident (10 stashes, 4 branches, 1 worktree): {took:.2f} s, {len(gitcmd.CALLS)} "
        f"git calls (~{took / max(1, len(gitcmd.CALLS)) * 1000:.1f} ms each), all ok: {ok}   target < 10 s"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spawn", type=int, default=2000)
    ap.add_argument("--install", type=int, default=30_000)
    ap.add_argument("--mutations", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bench_actors(root, args.spawn)
        asyncio.run(bench_install(root, args.install))
        bench_incident(root, args.mutations)
        bench_salvage(root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
