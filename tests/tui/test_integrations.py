"""Overlap warnings, the merge-conflict matrix, Claude Code bursts and .claude/worktrees panes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agenttui.core.git import repo as gitrepo
from agenttui.tui.app import AgentTuiApp
from agenttui.tui.screens.modals import ConflictModal
from tests.support.repos import git
from tests.support.ui import until


def two_claude_worktrees(repo: Path) -> tuple[Path, Path]:
    a = repo / ".claude" / "worktrees" / "agent-a"
    b = repo / ".claude" / "worktrees" / "agent-b"
    git(repo, "worktree", "add", "-q", "-b", "claude/a", str(a))
    git(repo, "worktree", "add", "-q", "-b", "claude/b", str(b))
    return a, b


async def test_overlap_warning_in_panes_and_feed(repo: Path) -> None:
    a, b = two_claude_worktrees(repo)
    app = AgentTuiApp(gitrepo.open_repo(repo), None, live=True)
    async with app.run_test(size=(140, 44)) as pilot:
        assert {p.agent_name for p in app.main_screen.grid.panes} == {"agent-a", "agent-b"}
        await until(pilot, lambda: any(w.group == "watch-agents" and w.is_running for w in app.workers))
        await until(pilot, lambda: app.main_screen.grid.watched_roots != (), what="agent watcher roots")
        (a / "config.py").write_text("A = 1\n")
        grid = app.main_screen.grid
        await until(
            pilot,
            lambda: any(c.path == "config.py" for c in grid.pane("agent-a").activity.latest),
            what="activity in agent-a",
        )
        (b / "config.py").write_text("B = 2\n")
        await until(
            pilot,
            lambda: any(al.kind == "overlap" for al in app.main_screen.guard_panel.alerts.values()),
            what="overlap alert",
        )
        alert = next(al for al in app.main_screen.guard_panel.alerts.values() if al.kind == "overlap")
        assert alert.text == "'agent-a' and 'agent-b' both changed config.py"
        assert app.main_screen.grid.pane("agent-a").overlap == "config.py also changed by agent-b"
        assert app.main_screen.grid.pane("agent-b").overlap == "config.py also changed by agent-a"


async def test_conflict_matrix(repo: Path) -> None:
    a, b = two_claude_worktrees(repo)
    for wt, text in ((a, "from a\n"), (b, "from b\n")):
        (wt / "file0.txt").write_text(text)
        git(wt, "commit", "-qam", "change file0")
    app = AgentTuiApp(gitrepo.open_repo(repo), None, live=False)
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ConflictModal), what="conflict matrix")
        modal = app.screen
        assert isinstance(modal, ConflictModal)
        assert modal.cells[("agent-a", "agent-b")] == "✗ 1"
        assert modal.cells[("agent-a", "base")] == "ok"
        assert any("file0.txt" in d for d in modal.details)


async def test_claude_code_burst_is_announced(repo: Path) -> None:
    payload = {
        "session_id": "s9",
        "tool_name": "Agent",
        "cwd": str(repo),
        "tool_input": {"description": "d", "prompt": "p", "subagent_type": "general-purpose", "isolation": "worktree"},
    }
    for _ in range(3):
        subprocess.run(
            [sys.executable, "-m", "agenttui", "hook", "claude-code", "pre-tool-use"],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            check=True,
        )
    app = AgentTuiApp(gitrepo.open_repo(repo), None, live=True)
    async with app.run_test(size=(160, 44)) as pilot:
        await until(pilot, lambda: app.main_screen.claude_sentence is not None, what="claude burst read")
        assert app.main_screen.claude_sentence == "Claude Code dispatched 3 subagents: all isolated \u2014 verified"
        await until(pilot, lambda: "all isolated" in str(app.query_one("#gate").render()))


async def test_review_and_land_from_the_supervisor(repo: Path, tmp_path: Path) -> None:
    """v shows the highlighted agent's changes; L lands it after a confirmation."""
    from agenttui.core.git import repo as gitrepo
    from agenttui.tui.screens.modals import ConfirmModal
    from agenttui.tui.screens.review import DiffScreen

    wt = tmp_path / "agent-wt"
    git(repo, "worktree", "add", "-q", "-b", "agents/rev", str(wt))
    (wt / "feature.py").write_text("def f():\n    return 42\n")
    git(wt, "add", "feature.py")
    git(wt, "commit", "-qm", "feature")
    app = AgentTuiApp(gitrepo.open_repo(repo), None, live=False)
    async with app.run_test(size=(140, 44)) as pilot:
        await until(pilot, lambda: app.main_screen.grid.pane("agent-wt") is not None, what="the pane")
        app.main_screen.grid.pane("agent-wt").focus()
        await pilot.press("v")
        await until(
            pilot, lambda: isinstance(app.screen, DiffScreen) and app.screen.loaded is not None, what="the review"
        )
        screen = app.screen
        assert isinstance(screen, DiffScreen) and screen.loaded is not None
        assert [f.path for f in screen.loaded.files] == ["feature.py"] and screen.loaded.ahead == 1
        assert "return 42" in screen.loaded.patch
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the confirmation")
        await pilot.press("y")
        await until(pilot, lambda: any("landed" in m for m in app.main_screen.said), timeout=15, what="landed")
    assert (repo / "feature.py").exists() and git(repo, "status", "--porcelain") == ""
    assert not wt.exists()  # integrated: archived (to the trash)


async def test_land_offers_to_commit_uncommitted_work_with_an_editable_message(repo: Path, tmp_path: Path) -> None:
    from agenttui.core.git import repo as gitrepo
    from agenttui.tui.screens.modals import ConfirmModal, MessageModal

    wt = tmp_path / "dirty-wt"
    git(repo, "worktree", "add", "-q", "-b", "agents/dirty", str(wt))
    (wt / "half.py").write_text("half done\n")
    app = AgentTuiApp(gitrepo.open_repo(repo), None, live=False)
    async with app.run_test(size=(140, 44)) as pilot:
        await until(pilot, lambda: app.main_screen.grid.pane("dirty-wt") is not None, what="the pane")
        app.main_screen.grid.pane("dirty-wt").focus()
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, MessageModal), what="the commit message")
        await pilot.press("ctrl+u")  # edit it
        for ch in "finish half":
            await pilot.press("space" if ch == " " else ch)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the confirmation")
        await pilot.press("y")
        await until(pilot, lambda: any("landed" in m for m in app.main_screen.said), timeout=15, what="landed")
    assert (repo / "half.py").read_text() == "half done\n"
    assert "finish half" in git(repo, "log", "-3", "--format=%B", "main")
