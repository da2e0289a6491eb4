"""Attention with real processes: a quiet agent turns idle, one that exits is done and unseen, a
Claude Code Notification (through the real hook command) makes one need input; n jumps to it; the
plan's notify command fires once per edge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from agenttui.core.journal import read as read_journal
from tests.support.repos import write_plan
from tests.support.ui import announce_and_confirm, make_app, until


async def test_states_attention_and_notifications(repo: Path, tmp_path: Path, cleanup_agents: list) -> None:
    log = tmp_path / "notified.log"
    write_plan(
        repo,
        f"""
[notify]
command = ["sh", "-c", "echo \\"$AGENTTUI_AGENT $AGENTTUI_STATE\\" >> {log}"]

[[agent]]
name = "quiet"
command = ["sh", "-c", "echo started; exec sleep 60"]

[[agent]]
name = "asker"
command = ["sh", "-c", "echo thinking; exec sleep 60"]

[[agent]]
name = "quick"
command = ["sh", "-c", "echo done here"]
""",
    )
    app = make_app(repo, live=True)
    cleanup_agents.append(app)
    async with app.run_test(size=(180, 50)) as pilot:
        await announce_and_confirm(pilot, app)
        await pilot.press("f")
        grid = app.main_screen.grid
        await until(
            pilot,
            lambda: grid.states.states.get("quick") is not None and grid.states.states["quick"].state == "done",
            timeout=15,
            what="quick done",
        )
        assert grid.states.states["quick"].unseen
        # the asker's Claude Code session asks for permission: the real hook command records it
        wt = app.sup.runs["asker"].worktree
        payload = {
            "session_id": "s",
            "hook_event_name": "Notification",
            "cwd": str(wt),
            "message": "Claude needs your permission to use Bash",
            "notification_type": "permission_prompt",
        }
        subprocess.run(
            [sys.executable, "-m", "agenttui", "hook", "claude-code", "event"],
            input=json.dumps(payload),
            text=True,
            check=True,
            env={**os.environ, "AGENTTUI_AGENT": "asker"},
            timeout=30,
        )
        await until(pilot, lambda: grid.states.states["asker"].state == "needs-input", what="asker needs input")
        await until(pilot, lambda: grid.states.states["quiet"].state == "idle", timeout=15, what="quiet idle")
        header = str(app.query_one("#header").render())
        assert "1 need input" in header and "1 done" in header
        names = lambda: [p.agent_name for p in grid.panes]  # noqa: E731
        assert names() == ["quiet", "asker", "quick"]  # control: the plan's order
        await pilot.press("u")  # urgent first: needs input, done unseen, then the idle one
        await until(pilot, lambda: names() == ["asker", "quick", "quiet"], what="ordered by urgency")
        await pilot.press("n")  # needs input first
        assert app.focused is grid.pane("asker")
        await pilot.press("n")  # then the ones done and not yet seen
        assert app.focused is grid.pane("quick")
        await until(pilot, lambda: not grid.states.states["quick"].unseen, what="quick seen")
        subtitle = str(grid.pane("asker").border_subtitle)
        assert "needs input" in subtitle and "permission" in subtitle
        await until(pilot, lambda: log.exists() and len(log.read_text().splitlines()) >= 2, what="notifications")
        await pilot.press("u")
        await until(pilot, lambda: names() == ["quiet", "asker", "quick"], what="back in plan order")
    lines = sorted(log.read_text().splitlines())
    assert lines == ["asker needs-input", "quick done"]  # once per edge; never for idle or working


async def test_an_agent_working_outside_its_worktree_revokes_the_announcement(repo: Path, cleanup_agents: list) -> None:
    write_plan(
        repo,
        f"""
[[agent]]
name = "good"
command = ["sh", "-c", "exec sleep 60"]

[[agent]]
name = "escaper"
command = ["sh", "-c", "cd {repo} && exec sleep 60"]
""",
    )
    app = make_app(repo, live=True)
    cleanup_agents.append(app)
    async with app.run_test(size=(160, 44)) as pilot:
        await announce_and_confirm(pilot, app)
        await pilot.press("f")
        await until(pilot, lambda: "escaper" in app.main_screen.escaped, timeout=15, what="the escape seen")
        assert app.main_screen.escaped == {"escaper"}  # control: the agent that stays home is not named
        assert app.sup.gate.confirmation is None
        assert "works outside its worktree" in (app.sup.gate.revoked_reason or "")
        assert "revoked" in str(app.query_one("#gate").render())
        pane = app.main_screen.grid.pane("escaper")
        await until(pilot, lambda: pane is not None and pane.outside and str(repo) in pane.outside, what="pane line")
        # announced and confirmed again while the agent is still outside: revoked again (THREADS.md:
        # the screen's "seen outside" set no longer swallows the second revocation)
        await announce_and_confirm(pilot, app)
        await until(pilot, lambda: app.sup.gate.confirmation is None, timeout=15, what="revoked again")
        assert "works outside its worktree" in (app.sup.gate.revoked_reason or "")
        revokes = [r for r in read_journal(app.sup.paths) if r.get("event") == "revoke" and r.get("agent") == "escaper"]
        assert len(revokes) == 2


async def test_a_tmux_agent_is_working_while_its_window_changes_then_idle(
    repo: Path, cleanup_agents: list, monkeypatch: object
) -> None:
    """tmux agents have no log to grow: their window's content changing is their activity.
    Control: past the idle threshold from its start it is still working, because it still prints."""
    import shutil
    import time

    import pytest

    from agenttui.core.agents.state import StateTracker

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    sock = f"agenttui-attn-{os.getpid()}"
    mp = pytest.MonkeyPatch()
    mp.setenv("AGENTTUI_TMUX_SOCKET", sock)
    mp.delenv("TMUX", raising=False)
    write_plan(
        repo,
        """
[[agent]]
name = "chatty"
runner = "tmux"
command = ["sh", "-c", "for i in $(seq 40); do echo line $i; sleep 0.25; done; exec sleep 60"]
""",
    )
    app = make_app(repo, live=True)
    try:
        async with app.run_test(size=(160, 44)) as pilot:
            grid = app.main_screen.grid
            # Thresholds with margins against the window's capture cadence (one capture per sample,
            # SAMPLE_INTERVAL plus the sample's own time, longer on a loaded machine): "working" spans
            # more than one capture gap, "idle" several, so neither a slow sample nor a late tick
            # decides the state.
            grid.states = StateTracker(idle=6.0, working=2.5, hold=0.5)
            await announce_and_confirm(pilot, app)
            await pilot.press("f")
            await until(pilot, lambda: app.sup.runs["chatty"].started, what="started")
            started = app.sup.runs["chatty"].started
            pane = grid.pane("chatty")
            assert pane is not None
            await until(
                pilot,
                lambda: any("line 30" in x for x in pane.tail_next or ()),
                timeout=30,
                what="7.5 s of printing: past the idle threshold since its start",
            )
            assert time.time() - started > 6.0
            assert grid.states.states["chatty"].state == "working"  # its window kept changing
            await until(
                pilot,
                lambda: grid.states.states["chatty"].state == "idle",
                timeout=30,
                what="idle once the window is still",
            )
            assert time.time() - started > 10.0  # (not before it stopped printing)
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True, check=False)
        mp.undo()


async def test_a_repositorys_notify_command_runs_nothing_until_its_plan_is_confirmed(
    repo: Path, tmp_path: Path, cleanup_agents: list
) -> None:
    """A cloned repository's plan carries a [notify] command; an agent (a Claude Code worktree the
    supervisor found) needs input before anything was announced: nothing runs, and the screen says
    why.  Once the user confirmed the plan, the next edge runs it (the control)."""
    from tests.support.repos import git

    ran = tmp_path / "ran.log"
    wt = tmp_path / "found"
    git(repo, "worktree", "add", "-q", "-b", "found", str(wt))
    write_plan(
        repo,
        f"""
[notify]
command = ["sh", "-c", "echo \\"$AGENTTUI_AGENT\\" >> {ran}"]

[[agent]]
name = "planned"
command = ["sh", "-c", "exec sleep 60"]
""",
    )
    app = make_app(repo, live=True)
    cleanup_agents.append(app)

    def ask(message: str) -> None:
        payload = {
            "session_id": "s",
            "hook_event_name": "Notification",
            "cwd": str(wt),
            "message": message,
            "notification_type": "permission_prompt",
        }
        subprocess.run(
            [sys.executable, "-m", "agenttui", "hook", "claude-code", "event"],
            input=json.dumps(payload),
            text=True,
            check=True,
            timeout=30,
        )

    async with app.run_test(size=(180, 50)) as pilot:
        grid = app.main_screen.grid
        await until(pilot, lambda: grid.pane("found") is not None, what="the found worktree's pane")
        assert any("will not run until you confirm" in s for s in app.main_screen.said)
        ask("first")
        await until(
            pilot,
            lambda: grid.states.states.get("found") is not None and grid.states.states["found"].state == "needs-input",
            what="found needs input",
        )
        await until(pilot, lambda: ("found", "needs-input") in app.main_screen.notifier.sent, what="the edge")
        assert not ran.exists()  # the edge came, the repository's command did not run
        await announce_and_confirm(pilot, app)
        assert app.main_screen.notifier.command is not None
        app.main_screen.notifier._last.clear()  # (the once-a-minute limit, for the control's next edge)
        grid.states.states["found"].state = "idle"
        ask("second")
        await until(
            pilot, lambda: ran.exists() and "found" in ran.read_text(), timeout=15, what="the confirmed plan's command"
        )


async def test_a_codex_agents_pane_title_says_it_needs_input(repo: Path, cleanup_agents: list) -> None:
    """A tmux agent running Codex (client = "codex") says its state only in its pane title: a spinner
    while it works, "[ ! ] Action Required" when it waits for an approval.  The pane shows needs
    input from the title alone; the control: the same title means nothing from an unknown client."""
    import shutil

    import pytest

    from agenttui.core.agents.state import StateTracker, title_signal

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    assert title_signal(None, "[ ! ] Action Required | fix | work") is None
    assert title_signal("gemini", "\u270b  Action Required (work)")[0] == "needs-input"  # type: ignore[index]
    sock = f"agenttui-title-{os.getpid()}"
    mp = pytest.MonkeyPatch()
    mp.setenv("AGENTTUI_TMUX_SOCKET", sock)
    mp.delenv("TMUX", raising=False)
    script = (
        "printf '\\033]2;\u280b fix the login | work\\033\\\\'; sleep 1; "
        "printf '\\033]2;[ ! ] Action Required | fix the login | work\\033\\\\'; exec sleep 60"
    )
    write_plan(
        repo,
        f"""
[[agent]]
name = "cx"
runner = "tmux"
client = "codex"
command = ["sh", "-c", {json.dumps(script)}]
""",
    )
    app = make_app(repo, live=True)
    try:
        async with app.run_test(size=(160, 44)) as pilot:
            grid = app.main_screen.grid
            grid.states = StateTracker(idle=6.0, working=2.5, hold=0.5)
            await announce_and_confirm(pilot, app)
            await pilot.press("f")
            await until(
                pilot,
                lambda: grid.states.states.get("cx") is not None and grid.states.states["cx"].state == "needs-input",
                timeout=30,
                what="needs input",
            )
            assert "Codex asks for approval" in grid.states.states["cx"].reason
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True, check=False)
        mp.undo()


async def test_a_failing_periodic_read_is_shown_and_journaled(repo: Path, cleanup_agents: list) -> None:
    """A broken read never leaves the panes stale in silence: the sampler's error reaches the notice
    line and the journal, once, and goes away when the read works again.  Control: nothing is said
    while the repository reads fine."""
    write_plan(
        repo,
        """
[[agent]]
name = "one"
command = ["sh", "-c", "exec sleep 60"]
""",
    )
    app = make_app(repo, live=True)
    cleanup_agents.append(app)
    head = repo / ".git" / "HEAD"
    good = head.read_text()
    async with app.run_test(size=(160, 44)) as pilot:
        await until(pilot, lambda: app.main_screen.grid.pane("one") is not None, what="pane")
        rounds = app.main_screen.grid.sampler._rounds
        await until(pilot, lambda: app.main_screen.grid.sampler._rounds >= rounds + 2, timeout=15, what="git rounds")
        assert not any("periodic read failed" in t for t in app.main_screen.said)  # control
        head.write_text("not a ref\n")  # git refuses the repository from here on
        try:
            await until(
                pilot,
                lambda: any("periodic read failed" in t for t in app.main_screen.said),
                timeout=20,
                what="the failure said",
            )
        finally:
            head.write_text(good)
        await until(pilot, lambda: not app.main_screen.read_errors, timeout=20, what="the read recovered")
    failed = [r for r in read_journal(app.sup.paths) if r.get("event") == "read-failed"]
    assert failed and len({r["error"] for r in failed}) == len(failed)  # once per distinct failure
