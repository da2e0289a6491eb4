"""Process inspection and priorities, on real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import psutil
import pytest

from agenttui.core.host.procs import deprioritize, renice_threads, session_nice, spread_nice, thread_ids


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
