"""Pilot tests of the supervisor: the gate, fire, stop, pause, serialize — real repos, real processes."""

from __future__ import annotations

import json
from pathlib import Path

import psutil

from agenttui.core.git import repo as gitrepo
from agenttui.core.host.procs import session_nice
from agenttui.core.journal import read as read_journal
from agenttui.tui.app import AgentTuiApp
from agenttui.tui.screens.modals import AnnounceModal
from tests.support.repos import git, write_plan
from tests.support.ui import SLEEPERS, announce_and_confirm, fire_enabled, make_app, pane, until


async def test_gate_fire_disabled_until_confirmed_then_revoked_by_plan_edit(
    repo: Path, cleanup_agents: list[AgentTuiApp]
) -> None:
    write_plan(repo, SLEEPERS)
    app = make_app(repo)
    cleanup_agents.append(app)
    async with app.run_test(size=(140, 44)) as pilot:
        assert [p.agent_name for p in app.main_screen.grid.panes] == ["auth", "api"]
        assert not fire_enabled(app)
        await pilot.press("f")  # disabled: nothing happens
        await pilot.pause()
        assert not (repo.parent / "repo.agents").exists()
        assert "not announced" in str(app.query_one("#gate").render())

        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AnnounceModal))
        modal = app.screen
        assert isinstance(modal, AnnounceModal)
        assert modal.verdict.announcement == "All 2 dispatches use isolation: worktree \u2014 verified"
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, AnnounceModal))
        assert not fire_enabled(app)

        await announce_and_confirm(pilot, app)
        assert fire_enabled(app)
        assert "All 2 dispatches use isolation" in str(app.query_one("#gate").render())

        # editing the plan revokes the confirmation
        write_plan(repo, SLEEPERS.replace("sleep 60", "sleep 61"))
        await app.main_screen.reload_plan()
        assert not fire_enabled(app)
        assert app.sup.gate.revoked_reason == "the plan changed"
        assert "revoked" in str(app.query_one("#notice").render())

        # and a direct call cannot get around the gate
        app.main_screen.action_fire()
        await until(pilot, lambda: not app.main_screen.firing, what="fire worker")
        assert "not fired" in str(app.query_one("#notice").render())
        assert not (repo.parent / "repo.agents").exists()
    events = [r["event"] for r in read_journal(gitrepo.open_repo(repo))]
    assert events[:3] == ["announce", "announce", "confirm"] and "revoke" in events
    assert "fire" not in events


async def test_fire_creates_worktrees_and_launches(repo: Path, cleanup_agents: list[AgentTuiApp]) -> None:
    write_plan(repo, SLEEPERS)
    app = make_app(repo, live=True)
    cleanup_agents.append(app)
    async with app.run_test(size=(140, 44)) as pilot:
        await announce_and_confirm(pilot, app)
        await pilot.press("f")
        await until(pilot, lambda: all(r.state == "running" for r in app.sup.runs.values()), what="both agents running")
        root = repo.parent / "repo.agents"
        trees = {str(w.path): w.branch for w in gitrepo.list_worktrees(gitrepo.open_repo(repo))}
        assert trees[str((root / "auth").resolve())] == "agents/auth"
        assert trees[str((root / "api").resolve())] == "agents/api"
        await until(pilot, lambda: (root / "auth" / "who.txt").exists(), what="agent wrote who.txt")
        assert (root / "auth" / "who.txt").read_text().strip() == "auth"  # AGENTTUI_AGENT
        auth = app.sup.runs["auth"]
        assert auth.log_path is not None and auth.log_path.is_relative_to(repo / ".git" / "agenttui" / "logs")
        assert psutil.Process(auth.pid).cwd() == str((root / "auth").resolve())
        # settings.agent_nice (5) spread over the 2 agents fired together: 9 each (weights 2 x 137 <= 335)
        assert auth.nice == 9
        assert psutil.Process(auth.pid).nice() == min(19, psutil.Process().nice() + 9)
        if session_nice(auth.pid) is not None:  # its session's nice too: CPU is shared per session first
            assert session_nice(auth.pid) == min(19, (session_nice("self") or 0) + 9)
        # the pane shows process stats, git state, output tail and live file activity
        await until(pilot, lambda: pane(app, "auth").stats is not None, what="process stats")
        await until(
            pilot, lambda: "started auth" in "\n".join(pane(app, "auth").query_one("#out").lines), what="output tail"
        )
        (root / "api" / "new_module.py").write_text("x = 1\n")
        await until(
            pilot,
            lambda: any(c.path == "new_module.py" for c in pane(app, "api").activity.latest),
            what="file activity in the api pane",
        )
        await until(pilot, lambda: pane(app, "api").git is not None and pane(app, "api").git.dirty, what="dirty count")
        assert not fire_enabled(app)  # fired once: the gate is spent

        # stop the highlighted agent: SIGTERM its tree
        pane(app, "auth").focus()
        await pilot.press("s")
        await until(pilot, lambda: app.sup.runs["auth"].state == "exited", what="auth stopped")
        assert app.sup.runs["auth"].state_text == "stopped by SIGTERM"
        assert not psutil.pid_exists(auth.pid) or psutil.Process(auth.pid).status() == "zombie"

        # pause / resume the other one
        pane(app, "api").focus()
        api_pid = app.sup.runs["api"].pid
        await pilot.press("p")
        await until(pilot, lambda: psutil.Process(api_pid).status() == psutil.STATUS_STOPPED, what="paused")
        assert app.sup.runs["api"].state == "paused"
        await pilot.press("p")
        await until(pilot, lambda: psutil.Process(api_pid).status() != psutil.STATUS_STOPPED, what="resumed")
    events = [r["event"] for r in read_journal(gitrepo.open_repo(repo))]
    for e in ("announce", "confirm", "fire", "verified", "launch", "stop", "pause", "resume"):
        assert e in events, e


async def test_serialize_runs_one_after_another_in_main_checkout(repo: Path, cleanup_agents: list[AgentTuiApp]) -> None:
    write_plan(
        repo,
        """
[[agent]]
name = "one"
command = ["sh", "-c", "echo one-start >> order.log; sleep 0.3; echo one-end >> order.log"]
isolation = "none"

[[agent]]
name = "two"
command = ["sh", "-c", "echo two-start >> order.log; echo two-end >> order.log"]
isolation = "none"
""",
    )
    app = make_app(repo, live=True)
    cleanup_agents.append(app)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AnnounceModal))
        modal = app.screen
        assert isinstance(modal, AnnounceModal) and modal.verdict.can_serialize
        await pilot.press("y")  # cannot confirm a failed check
        await pilot.pause()
        assert isinstance(app.screen, AnnounceModal)
        await pilot.press("s")
        await until(pilot, lambda: not isinstance(app.screen, AnnounceModal))
        assert fire_enabled(app)
        assert "Serialized" in str(app.query_one("#gate").render())
        await pilot.press("f")
        await until(
            pilot,
            lambda: all(r.state == "exited" for r in app.sup.runs.values()),
            timeout=15,
            what="both serialized agents exited",
        )
    assert (repo / "order.log").read_text().split() == ["one-start", "one-end", "two-start", "two-end"]
    assert not (repo.parent / "repo.agents").exists()
    assert "serialize" in [r["event"] for r in read_journal(gitrepo.open_repo(repo))]


async def test_missing_command_and_instant_death_are_reported(repo: Path, cleanup_agents: list[AgentTuiApp]) -> None:
    write_plan(
        repo,
        """
[[agent]]
name = "ghost"
command = ["no-such-agent-binary-xyz", "--go"]

[[agent]]
name = "crash"
command = "exit 3"

[[agent]]
name = "fine"
command = ["sleep", "30"]
""",
    )
    app = make_app(repo, live=True)
    cleanup_agents.append(app)
    async with app.run_test(size=(160, 50)) as pilot:
        await announce_and_confirm(pilot, app)
        await pilot.press("f")
        await until(pilot, lambda: app.sup.runs["crash"].state == "exited", what="crash exits")
        ghost = app.sup.runs["ghost"]
        assert ghost.state == "failed" and ghost.error == "command not found: no-such-agent-binary-xyz"
        assert "command not found" in str(pane(app, "ghost").query_one("#title").render())
        assert app.sup.runs["crash"].exit_code == 3
        assert app.sup.runs["fine"].state == "running"


async def test_violation_modal_lists_problems_and_offers_no_serialize(repo: Path) -> None:
    write_plan(repo, SLEEPERS + 'base = "no-such-base"\n')
    app = make_app(repo)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AnnounceModal))
        text = str(app.screen.query_one("#sentence").render())
        assert "base 'no-such-base' does not resolve" in text
        assert app.screen.check_action("serial", ()) is None
        await pilot.press("s", "y")
        assert isinstance(app.screen, AnnounceModal)
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, AnnounceModal))
        assert not fire_enabled(app)


async def test_found_worktrees_get_panes_and_no_plan_still_opens(repo: Path) -> None:
    wt = repo / ".claude" / "worktrees" / "agent-x"
    git(repo, "worktree", "add", "-q", "-b", "claude/agent-x", str(wt))
    app = make_app(repo)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert [p.agent_name for p in app.main_screen.grid.panes] == ["agent-x"]
        p = pane(app, "agent-x")
        assert p.run.source == "worktree" and p.run.branch == "claude/agent-x"
        assert "plan" in str(app.query_one("#header").render())


async def test_plan_file_watch_revokes(repo: Path, cleanup_agents: list[AgentTuiApp]) -> None:
    write_plan(repo, SLEEPERS)
    app = make_app(repo, live=True)
    cleanup_agents.append(app)
    async with app.run_test(size=(140, 44)) as pilot:
        await announce_and_confirm(pilot, app)
        assert fire_enabled(app)
        write_plan(repo, SLEEPERS + '\n[[agent]]\nname = "third"\ncommand = ["true"]\n')
        await until(pilot, lambda: not fire_enabled(app), what="revocation after plan edit")
        await until(pilot, lambda: app.main_screen.grid.pane("third") is not None, what="new pane for the new agent")


async def test_arrow_keys_move_between_panes(repo: Path) -> None:
    write_plan(repo, "".join(f'[[agent]]\nname = "a{i}"\ncommand = ["true"]\n' for i in range(4)))
    app = make_app(repo)
    async with app.run_test(size=(130, 44)) as pilot:
        assert app.focused is app.main_screen.grid.pane("a0")
        await pilot.press("right")
        assert app.focused is app.main_screen.grid.pane("a1")
        await pilot.press("down")
        assert app.focused is app.main_screen.grid.pane("a3")
        await pilot.press("left", "up")
        assert app.focused is app.main_screen.grid.pane("a0")


def test_status_lists_launched_agent_pids(repo: Path) -> None:
    from agenttui.core import journal

    paths = gitrepo.open_repo(repo)
    proc = psutil.Popen(["sleep", "30"])
    try:
        journal.append(paths, "launch", agent="auth", pid=proc.pid, create_time=proc.create_time())
        from agenttui.cli import status_data
        from agenttui.core.dispatch.plan import load_plan

        data = status_data(paths, load_plan(write_plan(repo, SLEEPERS)))
        assert {a["name"]: a["pid"] for a in data["agents"]}["auth"] == proc.pid
        json.dumps(data)
    finally:
        proc.kill()
        proc.wait()


async def test_agents_ending_together_make_one_notice_and_one_journal_write(
    repo: Path, tmp_path: Path, cleanup_agents: list[AgentTuiApp]
) -> None:
    go = tmp_path / "go"
    write_plan(
        repo,
        "".join(
            f'[[agent]]\nname = "w{i}"\ncommand = ["sh", "-c", "while [ ! -e \'{go}\' ]; do sleep 0.02; done"]\n\n'
            for i in range(4)
        ),
    )
    app = make_app(repo, live=True)
    cleanup_agents.append(app)
    async with app.run_test(size=(140, 44)) as pilot:
        await announce_and_confirm(pilot, app)
        await pilot.press("f")
        await until(pilot, lambda: all(r.state == "running" for r in app.sup.runs.values()), what="running")
        app.main_screen.firing = True  # hold the reaping tick while all four end, so one tick sees them together
        go.touch()
        pids = [r.pid for r in app.sup.runs.values()]
        await until(
            pilot,
            lambda: all(psutil.Process(p).status() == psutil.STATUS_ZOMBIE for p in pids if p),
            what="all four ended",
        )
        app.main_screen.firing = False
        await until(pilot, lambda: all(r.state == "exited" for r in app.sup.runs.values()), what="reaped")
        await until(pilot, lambda: any("exited with code" in m for m in app.main_screen.said), what="the notice")
        said = list(app.main_screen.said)
        ended = [m for m in said if "exited with code" in m]
        assert len(ended) == 1 and ended[0].endswith("and 2 more agents ended"), said
    exits = [r for r in read_journal(gitrepo.open_repo(repo)) if r["event"] == "exit"]
    assert sorted(r["agent"] for r in exits) == ["w0", "w1", "w2", "w3"]
    assert len({r["time"] for r in exits}) == 1  # one append, one fsync
