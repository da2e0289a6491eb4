"""runner = "tmux": agents in windows of a private tmux server (never the user's)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psutil
import pytest

from agenttui.core.dispatch.supervisor import Supervisor
from agenttui.core.git import repo as gitrepo
from agenttui.core.host import tmux
from tests.support.repos import wait_for, write_plan

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@pytest.fixture
def private_tmux(monkeypatch: pytest.MonkeyPatch) -> str:
    sock = f"agenttui-runner-{os.getpid()}"
    monkeypatch.setenv("AGENTTUI_TMUX_SOCKET", sock)
    monkeypatch.delenv("TMUX", raising=False)
    yield sock
    subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True, check=False)


def test_tmux_agents_run_in_windows(repo: Path, private_tmux: str) -> None:
    write_plan(
        repo,
        """
[[agent]]
name = "chat"
runner = "tmux"
command = ["sh", "-c", "echo hello from $AGENTTUI_AGENT in $(pwd); exec sleep 60"]

[[agent]]
name = "quick"
runner = "tmux"
command = "echo bye; exit 7"
""",
    )
    sup = Supervisor(gitrepo.open_repo(repo), repo / "agenttui.toml")
    sup.announce()
    sup.confirm()
    assert sup.fire() == []
    chat, quick = sup.runs["chat"], sup.runs["quick"]
    assert chat.tmux is not None and chat.state == "running"
    assert chat.tmux.session == tmux.session_name("repo")
    windows = tmux.tmux("list-windows", "-t", chat.tmux.session, "-F", "#{window_name}").split()
    assert "chat" in windows and "quick" in windows
    wait_for(lambda: any("hello from chat in" in ln for ln in tmux.capture(chat.tmux)), 10, "chat's output")
    line = next(ln for ln in tmux.capture(chat.tmux) if "hello from chat" in ln)
    assert line.endswith(str((repo.parent / "repo.agents" / "chat").resolve()))
    wait_for(lambda: sup.poll() or quick.state == "exited", 10, "quick to exit")
    assert quick.exit_code == 7
    assert "attach -t agenttui-repo" in tmux.focus(chat.tmux)
    agent_pid = wait_for(
        lambda: next((c.pid for c in psutil.Process(chat.pid).children()), None), 5, "the agent under the pane's sh"
    )
    sup.toggle_pause("chat")
    wait_for(lambda: psutil.Process(agent_pid).status() == psutil.STATUS_STOPPED, 5, "paused")
    assert psutil.Process(agent_pid).status() == psutil.STATUS_STOPPED  # and tmux did not resume it
    sup.toggle_pause("chat")
    wait_for(lambda: psutil.Process(agent_pid).status() != psutil.STATUS_STOPPED, 5, "resumed")
    sup.stop("chat", grace=1.0)
    wait_for(lambda: sup.poll() or chat.state == "exited", 10, "chat stopped")
    assert chat.state == "exited"


def test_tmux_missing_command(repo: Path, private_tmux: str) -> None:
    write_plan(repo, '[[agent]]\nname = "x"\nrunner = "tmux"\ncommand = ["no-such-agent-cli"]\n')
    sup = Supervisor(gitrepo.open_repo(repo), repo / "agenttui.toml")
    sup.announce()
    sup.confirm()
    sup.fire()
    assert sup.runs["x"].state == "failed" and sup.runs["x"].error == "command not found: no-such-agent-cli"
