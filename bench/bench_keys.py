"""Key latency of the real ``agenttui`` over a real pty while agents write files in their worktrees.

    python bench/bench_keys.py [--agents 32] [--trials 30] [--seconds 90] [--rate 13000]
                               [--keys both|nav|palette] [--nice N] [--idle-trials N]
                               [--layout auto|grid|list] [--no-floor]

Starts the installed supervisor in a pty on a repository whose plan has N agents, each writing
files at its share of --rate in its own worktree; confirms and fires through the real keys; then
times two keys until their answer is on the terminal: an arrow key (the pane highlight moves: the
newly focused pane's title "▶ w01" is drawn) and ctrl+p (the command palette's list is drawn).
Baselines in the same run: the same keys before the agents start, and the floor: a Textual app
with no agenttui in it (``floor_keys.py``: the same list, detail title and palette titles) in a
pty of its own beside the supervisor, sent the same keys in turns with it, idle and under the
same load.  What the supervisor takes above the floor is agenttui's; the floor itself is Python's,
Textual's and the loaded machine's.  Also prints the supervisor's CPU and RSS while loaded.
Targets (issue 24): under load p99 <= 2x idle and <= 100 ms (arrow), <= 150 ms (ctrl+p); the
supervisor <= 50 % of a core.
On 2 cores the writers and the supervisor share the machine: the files/s achieved is printed.
``BENCH_AGENTTUI=script.py`` runs a wrapper script instead of the installed command (profiling).
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

import psutil  # noqa: E402

from bench.bench_guard import fmt, make_repo, pct  # noqa: E402

WRITER = """
import os, sys, time
n = 0
start = time.monotonic()
end = start + float(sys.argv[1])
rate = float(sys.argv[2])  # files per second for this agent
while time.monotonic() < end:
    for _ in range(20):
        with open(f"{os.environ.get('AGENTTUI_AGENT', 'w')}-{n % 500}.txt", "w") as f:
            f.write(str(n))
        n += 1
    ahead = n / rate - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)
print(n, flush=True)
"""


class Term:
    def __init__(self, argv: list[str], cwd: Path, **extra_env: str) -> None:
        env = dict(os.environ, TERM="xterm-256color", COLUMNS="200", LINES="60", **extra_env)
        env.pop("TMUX", None)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            os.chdir(cwd)
            os.execvpe(argv[0], argv, env)
        import fcntl
        import struct
        import termios

        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 200, 0, 0))
        self.buf = b""

    def read(self, timeout: float) -> bytes:
        out = b""
        end = time.perf_counter() + timeout
        while True:
            left = end - time.perf_counter()
            if left <= 0:
                break
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                break
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            out += chunk
            if chunk:
                break
        self.buf = (self.buf + out)[-200_000:]
        return out

    def wait_for(self, needle: bytes, timeout: float) -> float | None:
        t0 = time.perf_counter()
        seen = b""
        while time.perf_counter() - t0 < timeout:
            seen += self.read(0.05)
            if needle in seen:
                return time.perf_counter()
        return None

    def send(self, data: bytes) -> None:
        os.write(self.fd, data)

    def drain(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.read(0.05)

    def close(self) -> None:
        self.send(b"q")
        self.drain(1.0)
        end = time.monotonic() + (15 if os.environ.get("BENCH_AGENTTUI") else 0)  # a probe writes at exit
        while time.monotonic() < end and os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            self.drain(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, 9)


# open for the whole run, closed at exit
TRACE = open(os.environ["BENCH_TRACE"], "a", buffering=1) if os.environ.get("BENCH_TRACE") else None  # noqa: SIM115


def trace(kind: str, t0: float, t: float | None) -> None:
    """With BENCH_TRACE=file: one line per key (wall clock at send, latency) to line up with a probe."""
    if TRACE is not None:
        sent = time.time() - (time.perf_counter() - t0)
        TRACE.write(f"{sent:.3f} {kind} {'lost' if t is None else f'{(t - t0) * 1000:.0f} ms'}\n")


def schedstat(pid: int) -> tuple[int, int] | None:
    """(ns on a CPU, ns runnable but waiting for one) of *pid*'s main thread."""
    try:
        on, wait, _ = Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()
        return int(on), int(wait)
    except (OSError, ValueError):
        return None


def thread_cpu(pid: int) -> dict[int, tuple[str, int]]:
    """tid -> (thread name, user+system clock ticks) of every thread of *pid*."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        out[int(task.name)] = (name, int(fields[11]) + int(fields[12]))
    return out


def _turn(term: Term, terms: list[Term], settle: float, key: bytes, needle: bytes, kind: str) -> float | None:
    """*key* to *term* once all the terminals have been read for *settle* s together: the seconds
    until *needle* is on its screen (None: not within 3 s)."""
    for other in terms:
        other.drain(settle / len(terms))
    t0 = time.perf_counter()
    term.send(key)
    t = term.wait_for(needle, 3.0)
    trace(kind, t0, t)
    return None if t is None else t - t0


def palette_latency(terms: list[Term], trials: int) -> list[list[float]]:
    """ctrl+p until the palette's first listed command (sorted by title) is drawn, then escape; with
    several terminals (the supervisor and the floor) they take turns, trial by trial."""
    out: list[list[float]] = [[] for _ in terms]
    for _ in range(trials):
        for term, times in zip(terms, out, strict=True):
            if (t := _turn(term, terms, 0.3, b"\x10", b"Announce", "palette")) is not None:
                times.append(t)
            term.send(b"\x1b")
            term.drain(0.4)
    return out


def nav_latency(terms: list[Term], trials: int) -> list[list[float]]:
    """Right / left arrow between the first two panes, until the newly focused pane's title
    ("▶ w01" / "▶ w00") is on the terminal: the most frequent key of the supervisor.  Several
    terminals take turns, trial by trial."""
    out: list[list[float]] = [[] for _ in terms]
    for i in range(trials):
        key, name = (b"\x1b[C", "w01") if i % 2 == 0 else (b"\x1b[D", "w00")
        for term, times in zip(terms, out, strict=True):
            if (t := _turn(term, terms, 0.15, key, f"\u25b6 {name}".encode(), "arrow")) is not None:
                times.append(t)
    return out


def pair(lists: list[list[float]]) -> tuple[list[float], list[float]]:
    """(the supervisor's, the floor's) from the per-terminal lists ([] where there is none)."""
    a, b = (lists + [[], []])[:2]
    return a, b


def p50_p99(values: list[float]) -> tuple[float, float]:
    """ms, as ``fmt`` computes them."""
    return pct(values, 0.5) * 1000, pct(values, 0.99) * 1000


def floor_term(agents: int, cwd: Path) -> Term:
    """The floor (``floor_keys.py``): Textual drawing the same list with the same palette titles, at
    the same frame rate."""
    from agenttui.tui.actions import MAIN

    commands = [f"{a.palette}={a.help}" for a in MAIN if a.palette]
    floor = [sys.executable, str(Path(__file__).with_name("floor_keys.py")), str(agents), *commands]
    return Term(floor, cwd, TEXTUAL_FPS="120")  # the frame rate agenttui sets for itself (cli._before_textual)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=32)
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--idle-trials", type=int, default=None, help="baseline trials (default: from --trials)")
    ap.add_argument("--seconds", type=float, default=90, help="the writers' time: longer than the keys take")
    ap.add_argument("--rate", type=float, default=13_000, help="files/s for all agents together")
    ap.add_argument("--keys", choices=("both", "nav", "palette"), default="both")
    ap.add_argument("--nice", type=int, default=None, help="settings.agent_nice for the plan")
    ap.add_argument(
        "--no-floor",
        action="store_true",
        help="without the floor: Textual alone (floor_keys.py) answering the same keys beside the supervisor",
    )
    ap.add_argument(
        "--layout",
        choices=("auto", "grid", "list"),
        default="auto",
        help="the agents' layout (auto: a list from 9 agents on; the other is chosen with the l key)",
    )
    args = ap.parse_args()
    exe = Path(sys.executable).parent / "agenttui"
    argv = [str(exe)] if exe.exists() else [sys.executable, "-m", "agenttui"]
    if os.environ.get("BENCH_AGENTTUI"):  # e.g. a probe script that wraps the entry point
        argv = [sys.executable, os.environ["BENCH_AGENTTUI"]]
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        repo = make_repo(Path(tmp))
        writer = Path(tmp) / "writer.py"
        writer.write_text(WRITER)
        per_agent = args.rate / args.agents
        settings = f"[settings]\nagent_nice = {args.nice}\n\n" if args.nice is not None else ""
        (repo / "agenttui.toml").write_text(
            settings
            + "".join(
                f'[[agent]]\nname = "w{i:02d}"\n'
                f'command = ["{sys.executable}", "{writer}", "{args.seconds}", "{per_agent}"]\n'
                for i in range(args.agents)
            )
        )
        subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", "add", "-A"], cwd=repo, check=True)
        subprocess.run(
            ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "plan"], cwd=repo, check=True
        )
        term = Term(argv, repo)
        floor: Term | None = None
        try:
            assert term.wait_for(b"not announced", 20) is not None, "no first frame"
            term.drain(1.0)
            auto_list = args.agents >= 9
            if args.layout != "auto" and (args.layout == "list") != auto_list:
                term.send(b"l")  # the other layout
                assert term.wait_for(b"agents as a", 10) is not None, "no layout toggle"
                term.drain(1.0)
            layout = args.layout if args.layout != "auto" else ("list" if auto_list else "grid")
            if not args.no_floor:
                floor = floor_term(args.agents, repo)
                assert floor.wait_for(b"nothing watched", 20) is not None, "no first frame of the floor"
                floor.drain(1.0)
            terms = [term] if floor is None else [term, floor]
            nav, pal = args.keys in ("both", "nav"), args.keys in ("both", "palette")
            base = args.trials if args.idle_trials is None else args.idle_trials
            idle_nav, idle_nav_floor = pair(nav_latency(terms, max(10, base)) if nav else [])
            idle, idle_floor = pair(palette_latency(terms, max(5, base // 2)) if pal else [])
            term.send(b"a")
            assert term.wait_for(b"verified", 20) is not None, "no announce modal"
            term.send(b"y")
            term.drain(1.0)
            term.send(b"f")
            term.drain(4.0)
            sup = psutil.Process(term.pid)
            t0, c0 = time.monotonic(), sum(sup.cpu_times()[:2])
            s0 = schedstat(term.pid)
            th0 = thread_cpu(term.pid)
            loaded_nav, loaded_nav_floor = pair(nav_latency(terms, args.trials * 2) if nav else [])
            loaded, loaded_floor = pair(palette_latency(terms, args.trials) if pal else [])
            wall = time.monotonic() - t0
            cpu = (sum(sup.cpu_times()[:2]) - c0) / wall * 100
            s1 = schedstat(term.pid)
            th1 = thread_cpu(term.pid)
            rss = sup.memory_info().rss
        finally:
            term.close()
            if floor is not None:
                floor.close()
        logs = list((repo / ".git" / "agenttui" / "logs").glob("*.log"))
        deadline = time.monotonic() + args.seconds + 15
        while time.monotonic() < deadline and not all(p.read_text().split() for p in logs):
            time.sleep(0.5)  # the writers print their count when their time is up
        written = sum(int(p.read_text().split()[-1]) for p in logs if p.read_text().split())
        print(
            f"key → palette drawn over a pty, {args.agents} agents writing (about {written:,} files in "
            f"{args.seconds:.0f} s, {written / args.seconds:,.0f} files/s), {layout} layout:"
        )
        print("  " + fmt("arrow → pane under load", loaded_nav, None))
        print("  " + fmt("arrow → pane idle (baseline)", idle_nav, None))
        print("  " + fmt("ctrl+p under load", loaded, None))
        print("  " + fmt("ctrl+p idle (baseline)", idle, None) + "   target under load: p99 <= 100 ms")
        if floor is not None:
            print(f"  the floor beside it, in turns (Textual alone: {Path(__file__).with_name('floor_keys.py').name}):")
            print("  " + fmt("arrow → row under load, floor", loaded_nav_floor, None))
            print("  " + fmt("arrow → row idle, floor", idle_nav_floor, None))
            print("  " + fmt("ctrl+p under load, floor", loaded_floor, None))
            print("  " + fmt("ctrl+p idle, floor", idle_floor, None))
            for label, ours, theirs in (("arrow", loaded_nav, loaded_nav_floor), ("ctrl+p", loaded, loaded_floor)):
                if ours and theirs:
                    (o50, o99), (f50, f99) = p50_p99(ours), p50_p99(theirs)
                    print(
                        f"  {label} under load above the floor: p50 {o50 - f50:+.1f} ms, p99 {o99 - f99:+.1f} ms "
                        f"(ratio p99 {o99 / f99:.2f})"
                    )
        print(f"  supervisor under load: {cpu:.0f} % of a core, RSS {rss / 2**20:.0f} MB   target: under one core")
        if s0 and s1:
            print(
                f"  its main thread: ran {(s1[0] - s0[0]) / 1e9 / wall * 100:.0f} % of the time, waited for a CPU "
                f"{(s1[1] - s0[1]) / 1e9 / wall * 100:.0f} % (/proc schedstat)"
            )
        by_name: dict[str, float] = {}
        for tid, (name, ticks) in th1.items():
            if tid != term.pid:
                by_name[name] = by_name.get(name, 0.0) + ticks - th0.get(tid, (name, 0))[1]
        tick = os.sysconf("SC_CLK_TCK")
        busiest = sorted(by_name.items(), key=lambda x: -x[1])
        print(
            "  its other threads (% of a core): "
            + ", ".join(f"{n} {t / tick / wall * 100:.0f}" for n, t in busiest if t > 0)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
