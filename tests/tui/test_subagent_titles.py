"""A Claude Code subagent's pane is titled by its dispatch ("fix logout (general-purpose)"), read
from the PostToolUse record the real hook command writes, not by the client's folder name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.repos import git
from tests.support.ui import make_app, until


def post_tool_use(repo: Path, agent_id: str) -> None:
    payload = {
        "session_id": "s1",
        "cwd": str(repo),
        "hook_event_name": "PostToolUse",
        "tool_name": "Agent",
        "tool_input": {
            "description": "fix logout",
            "prompt": "...",
            "subagent_type": "general-purpose",
            "isolation": "worktree",
        },
        "tool_response": {"isAsync": True, "status": "async_launched", "agentId": agent_id},
    }
    env = {k: v for k, v in os.environ.items() if k != "AGENTTUI_AGENT"}
    res = subprocess.run(
        [sys.executable, "-m", "agenttui", "hook", "claude-code", "event"],
        input=json.dumps(payload),
        text=True,
        capture_output=True,
        env=env,
        check=False,
        timeout=30,
    )
    assert res.returncode == 0, res.stderr


async def test_subagent_pane_titled_by_its_dispatch(repo: Path) -> None:
    wt = repo / ".claude" / "worktrees" / "agent-a1b2c3"
    git(repo, "worktree", "add", "-q", "-b", "worktree-agent-a1b2c3", str(wt))
    other = repo / ".claude" / "worktrees" / "agent-ffff"
    git(repo, "worktree", "add", "-q", "-b", "worktree-agent-ffff", str(other))
    app = make_app(repo, live=True)
    async with app.run_test(size=(160, 44)) as pilot:
        grid = app.main_screen.grid
        await until(pilot, lambda: grid.pane("agent-a1b2c3") is not None, what="the found worktree's pane")
        pane = grid.pane("agent-a1b2c3")
        assert pane is not None
        assert "fix logout" not in str(pane.border_title)  # control: nothing on record yet
        post_tool_use(repo, "a1b2c3")
        await until(
            pilot,
            lambda: "fix logout (general-purpose) · agent-a1b2c3" in str(pane.border_title),
            what="the dispatch title",
        )
        untitled = grid.pane("agent-ffff")
        assert untitled is not None and str(untitled.border_title).strip("▶ ") == "agent-ffff"
