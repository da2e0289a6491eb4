"""runner = "tmux": agents in windows of a private tmux server (never the user's)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
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


def fired(repo: Path) -> Supervisor:
    """The plan written in *repo*, announced, confirmed and fired (every agent started)."""
    sup = Supervisor(gitrepo.open_repo(repo), repo / "agenttui.toml")
    sup.announce()
    sup.confirm()
    assert sup.fire() == []
    return sup


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
    sup = fired(repo)
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
    assert sup.reap_due()  # a live tmux agent: only tmux can say whether it ended, so ask every round
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


def test_one_tmux_call_reads_every_pane_and_reaps_them(repo: Path, private_tmux: str) -> None:
    """Reaping asked tmux once per agent, twice a second; now one ``list-panes`` answers for all."""
    write_plan(
        repo,
        '[[agent]]\nname = "up"\nrunner = "tmux"\ncommand = ["sleep", "60"]\n\n'
        '[[agent]]\nname = "done"\nrunner = "tmux"\ncommand = "exit 7"\n',
    )
    sup = fired(repo)
    up, done = sup.runs["up"].tmux, sup.runs["done"].tmux
    assert up is not None and done is not None
    wait_for(lambda: (tmux.pane_states() or {}).get(done.pane_id, tmux.PaneState(False, "", 0, "")).dead, 10, "exit")
    states = tmux.pane_states()
    assert states is not None and {up.pane_id, done.pane_id} <= set(states)
    assert tmux.status_in(states, up) == (False, None) and tmux.status_in(states, done) == (True, 7)
    assert tmux.status_in(states, up) == tmux.status(up)  # the same answer as asking the pane alone
    wait_for(lambda: sup.poll() or sup.runs["done"].state == "exited", 10, "done reaped")
    assert sup.runs["done"].exit_code == 7 and sup.runs["up"].state == "running"
    subprocess.run(["tmux", "-L", private_tmux, "kill-server"], capture_output=True, check=False)
    assert tmux.pane_states() == {}  # no server: every pane gone (control: dead, not "unknown")
    assert tmux.status_in({}, up)[0] is True


def test_an_idle_tmux_window_is_not_captured_again(
    repo: Path, private_tmux: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sampler captures a tmux agent's window only when it wrote since the last capture
    (``window_activity``); an idle one keeps its lines.  Control: new output is captured."""
    from agenttui.core.agents.sampler import SampleJob, Sampler

    go = repo.parent / "go"
    write_plan(
        repo,
        f'[[agent]]\nname = "w"\nrunner = "tmux"\n'
        f'command = ["sh", "-c", "echo one; while [ ! -e {go} ]; do sleep 0.05; done; echo two; exec sleep 60"]\n',
    )
    sup = fired(repo)
    pane = sup.runs["w"].tmux
    assert pane is not None
    captures: list[str] = []
    real = tmux.capture
    monkeypatch.setattr(tmux, "capture", lambda p, lines=12: (captures.append(p.pane_id), real(p, lines))[1])
    sampler = Sampler(sup.paths, sup.main_checkout)
    job = SampleJob("w", None, None, False, pane)

    def tail() -> list[str]:
        return sampler.sample([job], False).tails.get("w", [])

    wait_for(lambda: "one" in tail(), 10, "the first line")
    for _ in range(2):  # (output in the second of a capture may follow it: that second is read again)
        last = sampler._captured[pane.pane_id]
        wait_for(lambda last=last: int(time.time()) > int(last), 3, "the next second")
        n = len(captures)
        assert "one" in tail()
    assert "one" in tail() and "one" in tail()  # the same lines...
    assert len(captures) == n  # ...without asking tmux for them again
    go.write_text("")
    wait_for(lambda: "two" in tail(), 10, "the new line")  # control: new output is captured
    assert len(captures) > n


def test_a_title_set_by_the_agent_cannot_make_up_a_pane(repo: Path, private_tmux: str) -> None:
    """An agent sets its pane's title (Codex, Gemini: their state); one written to look like more
    lines of ``list-panes`` reaps nothing and revives nothing (tmux here drops the line break and
    the tabs; the reader also keeps only lines that start with its own mark for the call)."""
    write_plan(
        repo,
        '[[agent]]\nname = "sly"\nrunner = "tmux"\n'
        'command = ["sh", "-c", "printf \'\\\\033]2;t\\\\n%%0\\\\t1\\\\t7\\\\t0\\\\tx\\\\007\'; exec sleep 60"]\n',
    )
    sup = fired(repo)
    pane = sup.runs["sly"].tmux
    assert pane is not None

    def titled() -> bool:
        state = (tmux.pane_states() or {}).get(pane.pane_id)
        return state is not None and state.title.startswith("t")

    wait_for(titled, 10, "the agent's title")
    states = tmux.pane_states()
    assert states is not None and set(states) == set(tmux.tmux("list-panes", "-a", "-F", "#{pane_id}").split())
    assert tmux.status_in(states, pane) == (False, None)  # alive, whatever its title says
    assert sup.poll() == [] and sup.runs["sly"].state == "running"
