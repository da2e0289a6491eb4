"""The guard in the running app: real file writes and real git commands raise alerts at once."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agenttui.core.git import repo as gitrepo
from agenttui.core.journal import read as read_journal
from agenttui.tui.app import AgentTuiApp
from agenttui.tui.screens.modals import AlertModal
from agenttui.tui.widgets.guard_panel import GuardPanel
from tests.support.repos import git, write_plan
from tests.support.ui import announce_and_confirm, until


def texts(app: AgentTuiApp) -> list[str]:
    return [a.text for a in app.main_screen.guard_panel.alerts.values()]


async def test_guard_by_hand_sees_files_branches_stashes_worktrees(repo: Path, tmp_path: Path) -> None:
    app = AgentTuiApp(gitrepo.open_repo(repo), None, live=True)
    async with app.run_test(size=(140, 44)) as pilot:
        assert not app.main_screen.guard_panel.armed
        await pilot.press("g")
        await until(pilot, lambda: app.main_screen.guard_panel.armed, what="armed")
        assert "armed" in str(app.query_one("#gate").render())
        # (a write that races the watcher's start is still caught by the 2 s re-check)

        (repo / "src").mkdir()
        (repo / "src" / "added.py").write_text("x = 1\n")
        await until(
            pilot,
            lambda: any("src/added.py" in t or "files changed in src" in t for t in texts(app)),
            what="file alert",
        )
        git(repo, "checkout", "-q", "-b", "feature-x")
        await until(
            pilot, lambda: any("branch switched main → feature-x" in t for t in texts(app)), what="branch switch alert"
        )
        (repo / "file0.txt").write_text("their work")
        git(repo, "stash", "push", "-q", "-m", "others-work-again")
        await until(pilot, lambda: "stash pushed: On feature-x: others-work-again" in texts(app), what="stash alert")
        wt = tmp_path / "self-isolated"
        git(repo, "worktree", "add", "-q", "-b", "tmp-iso", str(wt))
        await until(
            pilot,
            lambda: f"worktree added that no plan dispatch owns: {wt.resolve()}" in texts(app),
            what="worktree alert",
        )
        # the feed shows newest first; Enter expands an alert
        feed = app.query_one(GuardPanel)
        await until(pilot, lambda: feed.option_count == len(app.main_screen.guard_panel.alerts), what="feed redrawn")
        feed.focus()
        feed.highlighted = 0
        newest = app.main_screen.guard_panel.highlighted_alert()
        assert newest is not None and newest.id == max(app.main_screen.guard_panel.alerts)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AlertModal), what="alert details")
        await pilot.press("escape")
        await pilot.press("g")
        assert not app.main_screen.guard_panel.armed
        await until(
            pilot,
            lambda: not any(w.group == "guard-watch" and w.is_running for w in app.workers),
            what="watcher stopped",
        )
        reads = app.main_screen.guard_panel.guard.git_reads
        git(repo, "branch", "unseen")
        app.main_screen.guard_panel.poll()
        assert app.main_screen.guard_panel.guard.git_reads == reads and not any("unseen" in t for t in texts(app))
    events = [r for r in read_journal(gitrepo.open_repo(repo)) if r["event"] == "alert"]
    assert any(r["kind"] == "switch" for r in events)


async def test_fire_arms_guard_and_names_the_agent(repo: Path, cleanup_agents: list[AgentTuiApp]) -> None:  # noqa: F811
    write_plan(
        repo,
        """
[[agent]]
name = "good"
command = ["sleep", "60"]

[[agent]]
name = "rogue"
command = ["sh", "-c", "cd \\"$MAIN\\" && sleep 0.8 && echo oops > rogue.txt && exec sleep 60"]
""".replace("$MAIN", str(repo.resolve())),
    )
    git(repo, "add", "agenttui.toml")
    git(repo, "commit", "-qm", "plan")
    app = AgentTuiApp(gitrepo.open_repo(repo), repo / "agenttui.toml", live=True)
    cleanup_agents.append(app)
    async with app.run_test(size=(140, 44)) as pilot:
        await announce_and_confirm(pilot, app)
        await pilot.press("f")
        await until(pilot, lambda: app.main_screen.guard_panel.armed, what="armed by fire")
        panel = app.main_screen.guard_panel
        await until(
            pilot,
            lambda: any(a.agents == ("rogue",) for a in panel.alerts.values()),
            timeout=15,
            what="alert naming the rogue agent",
        )
        alert = next(a for a in app.main_screen.guard_panel.alerts.values() if a.agents)
        assert "rogue.txt" in alert.text
        assert any(s.startswith("agent 'rogue' (pid ") for s in alert.suspects)
        # from the alert, p pauses the suspect agent's tree
        feed = app.query_one(GuardPanel)
        await until(pilot, lambda: feed.option_count == len(app.main_screen.guard_panel.alerts), what="feed redrawn")
        feed.focus()
        feed.highlighted = [a.id for a in sorted(panel.alerts.values(), key=lambda a: -a.id)].index(alert.id)
        await pilot.press("p")
        await until(pilot, lambda: app.sup.runs["rogue"].state == "paused", what="rogue paused")
        await pilot.press("s")
        await until(pilot, lambda: app.sup.runs["rogue"].state == "exited", what="rogue stopped")


async def test_expected_changes_are_not_alerts(repo: Path) -> None:
    write_plan(repo, '[guard]\nignore = ["*.log"]\n\n[[agent]]\nname = "a"\ncommand = ["true"]\n')
    git(repo, "add", "agenttui.toml")
    git(repo, "commit", "-qm", "plan")
    app = AgentTuiApp(gitrepo.open_repo(repo), repo / "agenttui.toml", live=True)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("g")
        await until(pilot, lambda: app.main_screen.guard_panel.armed)
        (repo / "debug.log").write_text("ignored by the plan")
        subprocess.run(["git", "pack-refs", "--all"], cwd=repo, check=True)
        subprocess.run(["git", "gc", "-q"], cwd=repo, check=True)
        (repo / "real.txt").write_text("x")  # a marker: once it is seen, the others were processed
        await until(pilot, lambda: any("real.txt" in t for t in texts(app)), what="marker alert")
        reads = app.main_screen.guard_panel.guard.git_reads
        await until(pilot, lambda: app.main_screen.guard_panel.guard.git_reads >= reads + 2, what="a full poll round")
        assert [t for t in texts(app) if "real.txt" not in t] == []


async def test_degraded_coverage_is_said_in_the_header(repo: Path, monkeypatch: object) -> None:
    for i in range(20):
        (repo / "vendor" / f"pkg{i}").mkdir(parents=True)
    monkeypatch.setenv("AGENTTUI_MAX_WATCHES", "10")  # type: ignore[attr-defined]
    app = AgentTuiApp(gitrepo.open_repo(repo), None, live=True)
    async with app.run_test(size=(200, 44)) as pilot:
        await pilot.press("g")
        await until(pilot, lambda: app.main_screen.guard_panel.coverage is not None, what="coverage counted")
        assert app.main_screen.guard_panel.coverage.degraded
        gate = str(app.query_one("#gate").render())
        assert "degraded coverage" in gate and "max_user_watches is 10" in gate and "vendor" in gate
        assert "DEGRADED" in str(app.query_one(GuardPanel).border_title)


async def test_an_agent_worktree_deleted_from_outside_is_restored_with_one_key(repo: Path, tmp_path: Path) -> None:
    wt = tmp_path / "wt" / "impl"
    git(repo, "worktree", "add", "-q", "-b", "agent/impl", str(wt))
    for i in range(150):
        (wt / f"work{i}.py").write_text(f"print({i})\n")
    before = sorted(p.name for p in wt.iterdir())
    app = AgentTuiApp(gitrepo.open_repo(repo), None, live=True)
    async with app.run_test(size=(140, 44)) as pilot:
        panel = app.main_screen.guard_panel
        keeper = panel.keeper
        assert keeper is not None
        await until(pilot, lambda: keeper.restorable("impl") is not None, timeout=60, what="the first snapshot")
        assert app.main_screen.check_action("restore_worktree", ()) is False  # control: nothing to restore
        subprocess.run(["sh", "-c", f"rm -rf {wt}"], cwd=tmp_path, check=True)
        await until(pilot, lambda: "impl" in panel.threats, what="the threat alert")
        alert = panel.threats["impl"]
        assert "rm -rf" in alert.text and "R restores snapshot" in alert.text
        assert app.main_screen.check_action("restore_worktree", ()) is True
        await pilot.press("R")
        await until(
            pilot,
            lambda: any("restored" in s and str(wt) in s for s in app.main_screen.said),
            what="the restore's notice",
        )
        assert "impl" not in panel.threats
    assert sorted(p.name for p in wt.iterdir()) == before
    assert (wt / "work7.py").read_text() == "print(7)\n"


async def test_an_agent_script_stashing_the_checkout_revokes_the_announcement_in_the_app(
    repo: Path, tmp_path: Path, cleanup_agents: list[AgentTuiApp]
) -> None:
    """The running app: a plan agent's script (run from its worktree) stashes the main checkout; the
    guard names the agent, the announcement is revoked on screen and in the journal.  Control: the
    same script run by the user from outside any agent worktree revokes nothing."""
    write_plan(
        repo,
        """
[[agent]]
name = "tidy"
command = ["sleep", "120"]
""",
    )
    git(repo, "add", "agenttui.toml")
    git(repo, "commit", "-q", "-m", "plan")  # (else the stash -u takes the plan with it: revoked for that)
    script = f"cd {repo} && git stash push -u -q -m tidy\n"
    app = AgentTuiApp(gitrepo.open_repo(repo), repo / "agenttui.toml", live=True)
    cleanup_agents.append(app)
    async with app.run_test(size=(150, 44)) as pilot:
        await announce_and_confirm(pilot, app)
        await pilot.press("f")
        panel = app.main_screen.guard_panel
        await until(pilot, lambda: panel.armed and app.sup.runs["tidy"].pid, what="fired, guard armed")
        wt = app.sup.runs["tidy"].worktree
        assert wt is not None and wt != repo
        (tmp_path / "tidy.sh").write_text(script)
        (repo / "file0.txt").write_text("the user's work\n")
        subprocess.run(["sh", "tidy.sh"], cwd=tmp_path, check=True, capture_output=True)  # the user's own
        await until(pilot, lambda: "tidy" in git(repo, "stash", "list"), what="the user's stash")
        await until(
            pilot,
            lambda: any(a.kind == "stash-push" for a in panel.alerts.values()),
            what="the guard read the user's stash",
        )
        assert app.sup.gate.revoked_reason is None  # control: nobody's escape
        (repo / "file1.txt").write_text("more of the user's work\n")
        (wt / "tidy.sh").write_text(script)
        subprocess.run(["sh", "-c", "sh tidy.sh"], cwd=wt, check=True, capture_output=True)  # the agent's
        await until(
            pilot, lambda: any(a.kind == "escape" for a in panel.alerts.values()), timeout=15, what="the escape alert"
        )
        (alert,) = [a for a in panel.alerts.values() if a.kind == "escape"]
        assert alert.agents == ("tidy",) and "git stash push -u -q -m tidy" in alert.text
        await until(pilot, lambda: app.sup.gate.revoked_reason is not None, what="revoked")
        await until(pilot, lambda: "revoked" in str(app.query_one("#gate").render()), what="the header says so")
    assert any(r.get("event") == "revoke" and r.get("agent") == "tidy" for r in read_journal(app.sup.paths))
