"""Process inspection and priorities, on real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from agenttui.core.procs import deprioritize, spread_nice


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
        assert psutil.Process(child.pid).nice() == psutil.Process().nice() + 7
        ag = Path(f"/proc/{child.pid}/autogroup")
        if not ag.exists():
            pytest.skip("no scheduler autogroups on this kernel")
        mine = int(Path("/proc/self/autogroup").read_text().split()[-1])
        assert ag.read_text().split()[-1] == str(min(19, mine + 7))
        assert Path("/proc/self/autogroup").read_text().split()[-1] == str(mine)  # ours is untouched
    finally:
        child.kill()
        child.wait()


def test_deprioritize_a_gone_process_is_not_an_error() -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    assert deprioritize(child.pid, 5) is True  # nothing to retry
