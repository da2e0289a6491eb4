"""`agenttui demo --incident --unsafe` end to end: the replay raises the guard's alerts for real."""

from __future__ import annotations

import json
from pathlib import Path

from agenttui.core import recovery
from agenttui.core.git import repo as gitrepo
from agenttui.demo import make_demo
from agenttui.tui.app import AgentTuiApp
from tests.support.repos import run_cli
from tests.support.ui import until


async def test_incident_replay_raises_alerts_and_leaves_a_mess_to_recover(
    tmp_path: Path,
    cleanup_agents: list[AgentTuiApp],  # noqa: F811
) -> None:
    root = make_demo(tmp_path / "shop", seconds=12, incident=True)
    paths = gitrepo.open_repo(root)
    app = AgentTuiApp(paths, root / "agenttui.toml", live=True, unsafe_demo=True)
    cleanup_agents.append(app)
    async with app.run_test(size=(150, 50)) as pilot:
        assert "UNSAFE INCIDENT DEMO" in str(app.query_one("#gate").render())
        await pilot.press("f")
        await until(pilot, lambda: app.main_screen.guard_panel.armed, what="guard armed by the unsafe fire")

        def seen(kind: str) -> bool:
            return any(a.kind == kind for a in app.main_screen.guard_panel.alerts.values())

        for kind in ("files", "stash-push", "switch", "branch-create", "worktree-add"):
            await until(pilot, lambda kind=kind: seen(kind), timeout=25, what=f"a {kind} alert")
        await until(
            pilot,
            lambda: any(a.agents for a in app.main_screen.guard_panel.alerts.values()),
            timeout=10,
            what="an alert naming an agent as suspect",
        )
        await until(pilot, lambda: app.sup.counts()[0] == 0, timeout=30, what="all agents done")
    inc = recovery.find_incident(paths)
    assert inc.stashes and inc.branches and inc.worktrees  # real things for the recovery screens
    # every git-level change of the replay named with the agent whose git made it: git reported each
    # command itself (GIT_TRACE2_EVENT set by the launcher), so no process has to be caught running
    rep = json.loads(run_cli("incident", str(root), "--json").stdout)
    changes = [m for m in rep["mutations"] if m.get("ref")]
    named = [m for m in changes if m["actor"]["agent"]]
    assert changes and len(named) >= 0.9 * len(changes), [m for m in changes if not m["actor"]["agent"]][:5]
    assert {m["actor"]["via"] for m in named} <= {"trace2", "process"}
    agents = {m["actor"]["agent"] for m in named}
    assert agents <= {"api", "auth", "docs", "tests"} and len(agents) >= 3


def test_unsafe_needs_incident(tmp_path: Path) -> None:
    res = run_cli("demo", str(tmp_path / "x"), "--unsafe", "--no-tui")
    assert res.returncode == 2 and "only to replay the incident" in res.stderr
