"""Process inspection with psutil: agent process trees, CPU, memory, who sits in a folder.

PERF-NOTES: ``children(recursive=True)`` rebuilds a full ppid map per call, so trees are read
from ``/proc/PID/task/*/children`` (Linux) with psutil as the fallback; one ``psutil.Process``
is kept per pid because the first ``cpu_percent()`` of a new object is always 0.0.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

from agenttui.core.host import proc

_PROC = Path("/proc")
_HAVE_PROC_CHILDREN = (_PROC / "self" / "task").is_dir()


@dataclass(frozen=True)
class ProcStats:
    pids: tuple[int, ...]
    cpu: float  # percent of one core, summed over the tree
    rss: int  # bytes, summed over the tree
    runtime: float  # seconds since the root started
    status: str  # root's psutil status ("running", "stopped", "zombie", ...)


def _children(pid: int) -> list[int]:
    if _HAVE_PROC_CHILDREN:
        return proc.children(pid) or []
    try:
        return [c.pid for c in psutil.Process(pid).children()]
    except psutil.Error:
        return []


def tree_pids(root: int) -> list[int]:
    """root and all its descendants (breadth first)."""
    out: list[int] = []
    todo = [root]
    seen: set[int] = set()
    while todo:
        pid = todo.pop(0)
        if pid in seen:
            continue
        seen.add(pid)
        if not (proc.exists(pid) if _HAVE_PROC_CHILDREN else psutil.pid_exists(pid)):
            continue
        out.append(pid)
        todo.extend(_children(pid))
    return out


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_STATES = {
    "R": "running",
    "S": "sleeping",
    "D": "disk-sleep",
    "Z": "zombie",
    "T": "stopped",
    "t": "tracing-stop",
    "X": "dead",
    "I": "idle",
}  # (psutil's names)


class ProcSampler:
    """Samples process trees: from ``/proc/<pid>/stat`` where there is one (a read a process), else
    psutil with one ``psutil.Process`` kept per pid.  Either way a process's first sample has
    0 % CPU (there is no earlier reading to measure from)."""

    def __init__(self) -> None:
        self._procs: dict[int, psutil.Process] = {}
        self._last: dict[int, tuple[int, int, float]] = {}  # pid -> (start ticks, cpu ticks, when)
        self._boot: float | None = None

    def _sample_proc(self, root: int, pids: list[int]) -> ProcStats | None:
        now = time.monotonic()
        cpu, rss, runtime, status = 0.0, 0, 0.0, "gone"
        alive: list[int] = []
        for pid in pids:
            st = proc.stat(pid)
            if st is None:
                self._last.pop(pid, None)
                continue
            last = self._last.get(pid)
            if last is not None and last[0] == st.start_ticks and now > last[2]:  # (the same process)
                cpu += (st.cpu_ticks - last[1]) / _TICK / (now - last[2]) * 100
            self._last[pid] = (st.start_ticks, st.cpu_ticks, now)
            rss += (proc.rss_pages(pid) or 0) * _PAGE
            if pid == root:
                if self._boot is None:
                    self._boot = psutil.boot_time()
                runtime = max(0.0, time.time() - (self._boot + st.start_ticks / _TICK))
                status = _STATES.get(st.state, st.state)
            alive.append(pid)
        if not alive:
            return None
        return ProcStats(tuple(alive), max(0.0, cpu), rss, runtime, status)

    def _proc(self, pid: int) -> psutil.Process | None:
        p = self._procs.get(pid)
        if p is None:
            try:
                p = psutil.Process(pid)
            except psutil.Error:
                return None
            self._procs[pid] = p
        return p

    def sample(self, root: int, extra: tuple[int, ...] = ()) -> ProcStats | None:
        pids = tree_pids(root) + [p for p in extra if p != root]
        if not pids and not extra:
            return None
        if _HAVE_PROC_CHILDREN:
            return self._sample_proc(root, pids)
        cpu = 0.0
        rss = 0
        runtime = 0.0
        status = "gone"
        alive: list[int] = []
        for pid in pids:
            p = self._proc(pid)
            if p is None:
                continue
            try:
                with p.oneshot():
                    cpu += p.cpu_percent()
                    rss += p.memory_info().rss
                    if pid == root:
                        runtime = time.time() - p.create_time()
                        status = p.status()
                alive.append(pid)
            except psutil.Error:
                self._procs.pop(pid, None)
        if not alive:
            return None
        return ProcStats(tuple(alive), cpu, rss, runtime, status)

    def forget_dead(self) -> None:
        for pid in list(self._procs):
            if not psutil.pid_exists(pid):
                del self._procs[pid]
        for pid in list(self._last):
            if not proc.exists(pid):
                del self._last[pid]


def _own_git(pid: int, me: set[int]) -> bool:
    try:
        p = psutil.Process(pid)
        return p.ppid() in me and p.name() == "git"
    except psutil.Error:
        return False


def processes_in(folders: list[Path], *, exclude: set[int] | None = None) -> dict[Path, list[int]]:
    """Pids whose working directory is inside each folder (deepest folder wins)."""
    result: dict[Path, list[int]] = {f: [] for f in folders}
    keys = sorted(((str(f).rstrip("/") + "/", f) for f in folders), key=lambda t: -len(t[0]))
    me = exclude or set()
    for pid in psutil.pids():
        if pid in me:
            continue
        try:
            cwd = (proc.cwd(pid) or "") if _HAVE_PROC_CHILDREN else psutil.Process(pid).cwd()
        except (OSError, psutil.Error):
            continue
        c = cwd.rstrip("/") + "/"
        for prefix, folder in keys:
            if c.startswith(prefix):
                if not _own_git(pid, me):  # our own short-lived git calls are not suspects
                    result[folder].append(pid)
                break
    return result


def describe(pid: int) -> str:
    try:
        p = psutil.Process(pid)
        return f"{p.name()} (pid {pid})"
    except psutil.Error:
        return f"pid {pid}"


# the kernel's CPU weight of each nice value, -20..19 (kernel/sched/core.c sched_prio_to_weight)
_WEIGHTS = (
    88761,
    71755,
    56483,
    46273,
    36291,
    29154,
    23254,
    18705,
    14949,
    11916,
    9548,
    7620,
    6100,
    4904,
    3906,
    3121,
    2501,
    1991,
    1586,
    1277,
    1024,
    820,
    655,
    526,
    423,
    335,
    272,
    215,
    172,
    137,
    110,
    87,
    70,
    56,
    45,
    36,
    29,
    23,
    18,
    15,
)


def spread_nice(nice: int, agents: int) -> int:
    """The nice value for each of *agents* concurrent agents so that together they weigh no more
    than one process *nice* steps nicer than the supervisor (or as close as nice 19 allows).

    The scheduler shares CPU by weight: 32 agents at nice 5 outweigh the supervisor 10 to 1, and
    its keys wait seconds for a CPU.  Spread over 32 agents, ``agent_nice = 5`` becomes 19 each."""
    if nice <= 0 or agents <= 1:
        return max(0, nice)
    budget = _WEIGHTS[20 + nice] / agents
    for k in range(nice, 20):
        if _WEIGHTS[20 + k] <= budget:
            return k
    return 19


def deprioritize(pid: int, nice: int) -> bool:
    """Run *pid* (and what it starts) *nice* steps nicer than us; return False to be retried.

    With the kernel's autogroups (``/proc/sys/kernel/sched_autogroup_enabled``) CPU is shared
    fairly between *sessions* first, and a process nice value only counts inside its session.
    Agents start in their own session, so their session's nice (``/proc/PID/autogroup``) is set
    too: without it 32 agents take 32/33 of the CPU whatever their nice.  The kernel allows one
    autogroup change per 100 ms to unprivileged users (EAGAIN): the caller retries later."""
    if nice <= 0:
        return True
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice))
    if session_nice(pid) is None:
        return True  # no autogroup for it: the plain nice is all there is
    try:
        with open(_PROC / str(pid) / "autogroup", "w") as f:
            f.write(str(min(19, (session_nice("self") or 0) + nice)))
    except BlockingIOError:
        return False
    except OSError:
        return True  # the process is gone, or the kernel refused: the plain nice is all there is
    return True


def thread_ids() -> set[int]:
    """The ids of this process's threads (Linux: ``/proc/self/task``; empty elsewhere)."""
    try:
        return {int(t) for t in os.listdir(_PROC / "self" / "task")}
    except (OSError, ValueError):
        return set()


def renice_threads(tids: Iterable[int], nice: int, *, name_prefix: str = "") -> list[int]:
    """Run the given threads of this process *nice* steps nicer than the calling thread.

    A thread's nice is its own on Linux.  The main thread is never changed; with *name_prefix*
    only threads whose name starts with it are (e.g. ``notify-rs``, watchfiles' reader thread)."""
    main = threading.main_thread().native_id
    if nice <= 0:
        return []
    target = min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice)
    changed = []
    for tid in tids:
        if tid == main:
            continue
        try:
            if name_prefix and not (_PROC / "self" / "task" / str(tid) / "comm").read_text().startswith(name_prefix):
                continue
            os.setpriority(os.PRIO_PROCESS, tid, target)
        except OSError:  # gone meanwhile
            continue
        changed.append(tid)
    return changed


def session_nice(pid: int | str) -> int | None:
    """The nice value of *pid*'s scheduler autogroup (its session), or None when it has none.

    The file reads ``/autogroup-123 nice 0``; it is empty for a task in the root autogroup (a
    process whose session never got one, e.g. under some container runtimes and CI runners), and
    missing without autogroup support."""
    try:
        fields = (_PROC / str(pid) / "autogroup").read_text().split()
        return int(fields[-1]) if fields else None
    except (OSError, ValueError):
        return None


def signal_tree(root: int, sig: int, *, include_root: bool = True) -> list[int]:
    """Send *sig* to root's process group and to every descendant; return pids signalled.

    Without *include_root* only the descendants are signalled, one by one (a tmux pane's first
    process must not be stopped: tmux would resume it and its whole group at once)."""
    pids = tree_pids(root)
    if not include_root:
        pids = pids[1:]
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(os.getpgid(root), sig)
    # stop children before parents so a parent cannot respawn them meanwhile
    for pid in reversed(pids):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
    return pids
