"""Process inspection and priorities, on real processes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from agenttui.core.host import proc
from agenttui.core.host.procs import (
    ProcSampler,
    deprioritize,
    renice_threads,
    session_nice,
    spread_nice,
    thread_ids,
)
from tests.support.repos import wait_for


def test_spread_nice_keeps_the_agents_together_no_heavier_than_one_nice_process() -> None:
    weights = {0: 1024, 5: 335, 9: 137, 12: 70, 19: 15}
    assert spread_nice(5, 1) == 5
    assert spread_nice(5, 2) == 9 and 2 * weights[9] <= weights[5]
    assert spread_nice(5, 4) == 12 and 4 * weights[12] <= weights[5]
    assert spread_nice(5, 32) == 19  # as close as the kernel allows
    assert spread_nice(0, 32) == 0  # agent_nice = 0: the plan asked for no change
    assert [spread_nice(3, n) for n in range(1, 40)] == sorted(spread_nice(3, n) for n in range(1, 40))


def test_deprioritize_sets_process_and_session_nice() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    try:
        assert deprioritize(child.pid, 7) is True
        assert psutil.Process(child.pid).nice() == min(19, psutil.Process().nice() + 7)
        # a test runner outside any session of its own sits in the root autogroup: its file is empty
        mine = session_nice("self")
        if session_nice(child.pid) is None:
            pytest.skip("no scheduler autogroups on this kernel")
        assert session_nice(child.pid) == min(19, (mine or 0) + 7)
        assert session_nice("self") == mine  # ours is untouched
    finally:
        child.kill()
        child.wait()


def test_deprioritize_a_gone_process_is_not_an_error() -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    assert deprioritize(child.pid, 5) is True  # nothing to retry


def test_renice_threads_makes_the_given_threads_nicer_never_the_main_one() -> None:
    stop = threading.Event()
    before = thread_ids()
    worker = threading.Thread(target=stop.wait, name="test-worker")
    worker.start()
    base = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        tid = worker.native_id
        assert tid is not None and tid in thread_ids() - before
        main = threading.main_thread().native_id
        assert renice_threads([tid, main or 0], 3) == [tid]
        assert os.getpriority(os.PRIO_PROCESS, tid) == min(19, base + 3)
        assert os.getpriority(os.PRIO_PROCESS, 0) == base  # the main thread keeps its nice
        assert renice_threads([tid], 3, name_prefix="notify-rs") == []  # not a watcher thread
    finally:
        stop.set()
        worker.join()


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(*argv: str) -> subprocess.Popen[bytes]:
        p = subprocess.Popen(list(argv), start_new_session=True)
        started.append(p)
        return p

    yield start
    for p in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def test_the_sampler_reads_cpu_memory_and_age_as_psutil_does(spawn: Callable[..., subprocess.Popen[bytes]]) -> None:
    """/proc/<pid>/stat, one read a process (psutil's three were most of a sample): the same answers."""
    busy = spawn(sys.executable, "-c", "while True: pass")
    idle = spawn("sleep", "60")
    sampler = ProcSampler()
    first = sampler.sample(busy.pid)
    assert first is not None and first.cpu == 0.0  # no earlier reading to measure from
    theirs = psutil.Process(busy.pid)
    theirs.cpu_percent()
    spent = sum(theirs.cpu_times()[:2])
    wait_for(lambda: sum(theirs.cpu_times()[:2]) - spent >= 0.4, 10, "0.4 s of CPU spent")
    ours, psutils = sampler.sample(busy.pid), theirs.cpu_percent()
    assert ours is not None and ours.cpu > 30 and abs(ours.cpu - psutils) < 20, (ours, psutils)
    sampler.sample(idle.pid)  # (its first sample has no CPU reading yet)
    wait_for(lambda: (s := sampler.sample(idle.pid)) is not None and s.runtime > 0.05, 10, "a second sample")
    quiet = sampler.sample(idle.pid)
    assert quiet is not None and quiet.cpu < 5 and quiet.status == "sleeping"  # control: idle is idle
    ps = psutil.Process(idle.pid)
    assert quiet.rss == ps.memory_info().rss and quiet.pids == (idle.pid,)
    assert abs(quiet.runtime - (time.time() - ps.create_time())) < 0.1
    os.kill(idle.pid, signal.SIGSTOP)
    wait_for(lambda: (s := sampler.sample(idle.pid)) is not None and s.status == "stopped", 5, "stopped")
    os.kill(idle.pid, signal.SIGKILL)
    idle.wait()
    assert sampler.sample(idle.pid) is None  # gone


def test_the_sampler_sums_a_tree_and_reads_a_name_with_parentheses(
    tmp_path: Path, spawn: Callable[..., subprocess.Popen[bytes]]
) -> None:
    odd = tmp_path / "a) (b c"  # the command name is field 2 of /proc/<pid>/stat, in parentheses
    shutil.copy(shutil.which("sleep") or "/bin/sleep", odd)
    root = spawn("sh", "-c", f"'{odd}' 60 & sleep 60 & wait")
    sampler = ProcSampler()

    def settled() -> bool:  # (three processes, all asleep: none still exec-ing and growing)
        s = sampler.sample(root.pid)
        return s is not None and len(s.pids) == 3 and all(getattr(proc.stat(p), "state", "") == "S" for p in s.pids)

    wait_for(settled, 10, "the tree of three, asleep")
    stats = sampler.sample(root.pid)
    assert stats is not None and stats.pids[0] == root.pid
    assert stats.rss == sum(psutil.Process(p).memory_info().rss for p in stats.pids)
    child = next(p for p in stats.pids if psutil.Process(p).name().startswith("a) (b"))
    assert proc.stat(child) is not None and proc.stat(child).state == "S"  # type: ignore[union-attr]
