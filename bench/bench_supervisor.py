"""Supervisor benchmark: pane latency vs raw watchfiles; 32 agents: sampling, CPU, memory, first frame.

    python bench/bench_supervisor.py [--trials 100] [--agents 32] [--spawn 0] [--runner process|tmux]

Targets (issue 3): file written in an agent worktree → its line in the pane p50 <= 50 ms,
p99 <= 150 ms (beside raw watchfiles on the same folders, same settings); 32 idle agents:
supervisor CPU <= 3 % of a core, RSS <= 120 MB, first frame <= 1 s; sampling 32 agent trees
<= 10 ms a tick (``--spawn 2000`` adds sleeping processes to reach ~2,000 on the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from agenttui.core.git import repo as gitrepo
from agenttui.core.host.procs import ProcSampler  # noqa: E402
from agenttui.tui.app import AgentTuiApp  # noqa: E402
from agenttui.tui.widgets.pane import AgentPane  # noqa: E402
from bench.bench_guard import fmt, git, make_repo, raw_latency  # noqa: E402

FIRST_ROUND: list[float] = []  # seconds from all running until each worktree had its first snapshot, count
STEADY: list[float] = []  # CPU % once that round is over
MACHINE: list[float] = []  # the whole machine's CPU % (of one core) in that window
DRAWN: dict[str, float] = {}  # path -> when a pane first put it in its file lines


class TimedPane(AgentPane):
    def refresh_files(self) -> None:
        super().refresh_files()
        now = time.perf_counter()
        for c in list(self.activity.latest)[:3]:  # the lines the pane shows
            DRAWN.setdefault(c.path, now)


class TimedApp(AgentTuiApp):
    PANE = TimedPane

    @property
    def mounted_at(self) -> float | None:
        """When the main screen had mounted its panes (first frame follows)."""
        try:
            return time.perf_counter() if self.main_screen.grid.panes else None
        except (AssertionError, Exception):  # noqa: BLE001 - not up yet
            return None


async def pane_latency(repo: Path, roots: list[Path], trials: int) -> list[float]:
    """From the write to the moment the pane draws the path among its file lines (the screen is
    painted on Textual's next refresh, within a frame).  Writes are 0.3 s apart, as edits come."""
    app = TimedApp(gitrepo.open_repo(repo), None, live=True)
    out: list[float] = []
    async with app.run_test(size=(160, 50)) as pilot:
        while not app.main_screen.grid.watched_roots:
            await pilot.pause(0.01)
        await pilot.pause(0.5)
        for i in range(trials):
            name = f"pane-{i}.txt"
            await asyncio.sleep(0.3)
            t0 = time.perf_counter()
            (roots[i % len(roots)] / name).write_text("x")
            end = t0 + 2
            while name not in DRAWN and time.perf_counter() < end:
                await asyncio.sleep(0.0005)
            if name in DRAWN:
                out.append(DRAWN[name] - t0)
    return out


def machine_busy() -> tuple[float, float]:
    """(seconds busy, seconds in all) of the whole machine's CPUs, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - ticks[3] - ticks[4]) / hz, sum(ticks) / hz


async def idle_32(repo: Path, n: int, runner: str = "process") -> tuple[float, float, float, int]:
    plan = repo / "agenttui.toml"
    how = f'runner = "{runner}"\n' if runner != "process" else ""
    plan.write_text("".join(f'[[agent]]\nname = "a{i:02d}"\n{how}command = ["sleep", "600"]\n' for i in range(n)))
    t_start = time.perf_counter()
    app = TimedApp(gitrepo.open_repo(repo), plan, live=True)
    me = psutil.Process()
    async with app.run_test(size=(200, 60)) as pilot:
        while app.mounted_at is None:
            await pilot.pause(0.01)
        await pilot.pause()
        first_frame = time.perf_counter() - t_start
        app.sup.announce()
        app.sup.confirm()
        app.main_screen.action_fire()
        while sum(1 for r in app.sup.runs.values() if r.state == "running") < n:
            await pilot.pause(0.05)
        await pilot.pause(3.0)  # settle: watchers up, first samples taken

        def cpu_over(c0: object, t0: float) -> float:
            c1, t1 = me.cpu_times(), time.perf_counter()
            return ((c1.user - c0.user) + (c1.system - c0.system)) / (t1 - t0) * 100  # type: ignore[attr-defined]

        c0, t0 = me.cpu_times(), time.perf_counter()
        await pilot.pause(10.0)
        cpu = cpu_over(c0, t0)  # (the window: includes the keeper's first snapshot of each)
        keeper = app.main_screen.guard_panel.keeper
        end = time.perf_counter() + 60
        while keeper is not None and keeper.snapshots_taken < n and time.perf_counter() < end:
            await pilot.pause(0.2)
        FIRST_ROUND[:] = [time.perf_counter() - t0 + 3.0, keeper.snapshots_taken if keeper else 0]
        await pilot.pause(1.0)
        c0, t0, m0 = me.cpu_times(), time.perf_counter(), machine_busy()
        await pilot.pause(10.0)
        STEADY.append(cpu_over(c0, t0))  # idle after that one-time round
        MACHINE.append((machine_busy()[0] - m0[0]) / (time.perf_counter() - t0) * 100)  # tmux's server too
        rss = me.memory_info().rss
        pids = [r.pid for r in app.sup.runs.values() if r.pid]
        for r in app.sup.runs.values():
            if r.popen is not None:
                os.killpg(r.popen.pid, 9)
        return first_frame, cpu, rss / 2**20, len(pids)


def sampling(n: int) -> tuple[float, float, int]:
    procs = [subprocess.Popen(["sh", "-c", "sleep 600 & sleep 600 & wait"]) for _ in range(n)]
    try:
        time.sleep(0.5)
        sampler = ProcSampler()
        for p in procs:
            sampler.sample(p.pid)
        ours = []
        for _ in range(20):
            t = time.perf_counter()
            for p in procs:
                sampler.sample(p.pid)
            ours.append(time.perf_counter() - t)
        raw = []
        for _ in range(20):  # the naive way: children(recursive=True) per agent, fresh objects
            t = time.perf_counter()
            for p in procs:
                root = psutil.Process(p.pid)
                for q in [root, *root.children(recursive=True)]:
                    with q.oneshot():
                        q.cpu_percent()
                        q.memory_info()
            raw.append(time.perf_counter() - t)
        return sorted(ours)[len(ours) // 2], sorted(raw)[len(raw) // 2], len(psutil.pids())
    finally:
        for p in procs:
            for c in psutil.Process(p.pid).children(recursive=True):
                c.kill()
            p.kill()
            p.wait()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--agents", type=int, default=32)
    ap.add_argument("--spawn", type=int, default=0, help="extra sleeping processes on the machine")
    ap.add_argument("--runner", choices=("process", "tmux"), default="process", help="how the idle agents run")
    args = ap.parse_args()
    if args.runner == "tmux":  # a private server, never the user's
        os.environ["AGENTTUI_TMUX_SOCKET"] = f"agenttui-bench-{os.getpid()}"
        os.environ.pop("TMUX", None)
    extra = [subprocess.Popen(["sleep", "600"]) for _ in range(args.spawn)]
    try:
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
            root = Path(tmp)
            repo = make_repo(root)
            roots = []
            for k in range(4):
                wt = root / "agents" / f"w{k}"
                git(repo, "worktree", "add", "-q", "-b", f"agents/w{k}", str(wt))
                roots.append(wt.resolve())
            raw = asyncio.run(raw_latency(roots, args.trials, debounce=20, step=10))
            ours = asyncio.run(pane_latency(repo, roots, args.trials))
            print(f"pane latency, 4 agent worktrees ({args.trials} writes):")
            print("  " + fmt("file written → pane", ours, raw) + "   target p50 <= 50, p99 <= 150 ms")
            repo2 = make_repo(root, "idle")
            first, cpu, rss, n = asyncio.run(idle_32(repo2, args.agents, args.runner))
            print(
                f"{n} idle agents: first frame {first * 1000:.0f} ms (target <= 1000), supervisor CPU "
                f"{cpu:.1f} % of a core (target <= 3), RSS {rss:.0f} MB (target <= 120)"
            )
            if FIRST_ROUND and STEADY:
                print(
                    f"  (that window holds the keeper's one-time first snapshot of each worktree: "
                    f"{FIRST_ROUND[1]:.0f} taken {FIRST_ROUND[0]:.0f} s after start; afterwards idle "
                    f"{STEADY[0]:.1f} % of a core; the whole machine {MACHINE[0]:.1f} %, {args.runner} agents)"
                )
            ours_s, raw_s, nprocs = sampling(args.agents)
            print(
                f"sampling {args.agents} agent trees with {nprocs} processes on the machine: "
                f"{ours_s * 1000:.1f} ms a tick (target <= 10); naive children(recursive=True): "
                f"{raw_s * 1000:.1f} ms (ratio {ours_s / raw_s:.2f})"
            )
    finally:
        if args.runner == "tmux":
            subprocess.run(["tmux", "-L", os.environ["AGENTTUI_TMUX_SOCKET"], "kill-server"], capture_output=True)
        for p in extra:
            p.kill()
            p.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
