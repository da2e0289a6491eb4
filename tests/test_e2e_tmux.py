"""End to end: the installed ``agenttui`` in a real tmux (private socket), driven by send-keys."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from agenttui.core.host.procs import processes_in
from tests.support.repos import wait_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def agenttui_argv() -> list[str]:
    script = Path(sys.executable).parent / "agenttui"
    return [str(script)] if script.exists() else [sys.executable, "-m", "agenttui"]


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str, check: bool = True) -> str:
        res = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=20,
        )
        if check and res.returncode != 0:
            raise AssertionError(f"tmux {args[0]} failed: {res.stderr}")
        return res.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "e2e")


@pytest.fixture
def tmux() -> Tmux:
    t = Tmux(f"agenttui-test-{os.getpid()}")
    yield t
    t("kill-server", check=False)


def test_demo_announce_confirm_fire_in_tmux(tmux: Tmux, tmp_path: Path) -> None:
    demo = tmp_path / "shop"
    argv = " ".join(f"'{a}'" for a in [*agenttui_argv(), "demo", str(demo), "--seconds", "20"])
    env = {k: v for k, v in os.environ.items() if k != "TMUX"}
    subprocess.run(
        [
            "tmux",
            "-L",
            tmux.socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "150",
            "-y",
            "45",
            f"{argv}; echo AGENTTUI-EXIT $?; sleep 30",
        ],
        check=True,
        env=env,
    )
    try:
        wait_for(lambda: "not announced" in tmux.screen(), 30, "the supervisor's first frame")
        screen = tmux.screen()
        for name in ("api", "docs", "tests"):
            assert f"─ {name} ─" in screen
        # the highlighted pane says so in words, not only in colour
        wait_for(lambda: "─ ▶ auth ─" in tmux.screen(), 10, "the highlighted first pane")
        tmux("send-keys", "-t", "e2e", "a")
        wait_for(
            lambda: "All 4 dispatches use isolation: worktree — verified" in tmux.screen(), 20, "the announce modal"
        )
        assert "Isolation check" in tmux.screen()
        tmux("send-keys", "-t", "e2e", "y")
        wait_for(lambda: "press f to fire" in tmux.screen(), 20, "confirmation")
        tmux("send-keys", "-t", "e2e", "f")
        wait_for(lambda: tmux.screen().count("running") >= 4, 30, "four running panes")
        wait_for(
            lambda: all(f"{n}: created" in tmux.screen() for n in ("auth", "api", "docs", "tests")),
            30,
            "output tails of all four agents",
        )
        wait_for(lambda: tmux.screen().count(" dirty") >= 4, 30, "git state in the panes")
        screen = tmux.screen()
        assert "fired" in screen and "4 running" in screen
        tmux("send-keys", "-t", "e2e", "q")
        wait_for(lambda: "AGENTTUI-EXIT 0" in tmux.screen(), 20, "agenttui to quit cleanly")
        # the agents worked in their own worktrees, never in the main checkout
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=demo, capture_output=True, text=True, check=True
        ).stdout
        assert status == ""
    finally:
        for pids in processes_in([tmp_path]).values():
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
