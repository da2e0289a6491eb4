"""Deterministic apps for SVG snapshots and screenshots: a demo repository at a fixed path."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from agenttui.core.git import repo as gitrepo
from agenttui.demo import make_demo
from agenttui.tui.app import AgentTuiApp

PINNED_NOW = 1767272400.0  # 2026-01-01T13:00:00Z, an hour after the fixed commit dates
SNAP_ROOT = Path(tempfile.gettempdir()) / "agenttui-snapshots"


def fixed_demo(name: str = "shop", *, live: bool = False) -> Path:
    root = SNAP_ROOT / name
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(root.parent / f"{name}.agents", ignore_errors=True)
    # not live: nothing runs, so the plan names a fixed interpreter and the shas match everywhere
    return make_demo(root, seconds=5, fixed_dates=True, python=None if live else "python3")


def demo_app(name: str = "shop", *, live: bool = False, plan_suffix: str = "") -> AgentTuiApp:
    root = fixed_demo(name, live=live)
    plan = root / "agenttui.toml"
    if plan_suffix:
        plan.write_text(plan.read_text() + plan_suffix)
    return AgentTuiApp(gitrepo.open_repo(root), plan, live=live)


def incident_app(name: str = "incident") -> AgentTuiApp:
    """A repository with stray stashes, branches and a self-made worktree (for recovery)."""
    root = fixed_demo(name)
    import os

    from agenttui.base.safefile import append_json_lines
    from agenttui.core import journal, recovery

    paths = gitrepo.open_repo(root)  # the guard was armed before the strays appeared: the baseline
    # (at a pinned time, after the demo's commits and before the strays: the incident's clock never races
    # the wall clock's second, which made the agents tab count 0 or 5 git changes)
    journal.journal_path(paths).parent.mkdir(parents=True, exist_ok=True)
    record = {"time": PINNED_NOW - 2700, "event": "guard-arm", "by_fire": False, "baseline": recovery.baseline(paths)}
    append_json_lines(journal.journal_path(paths), [record])

    env = dict(os.environ, GIT_AUTHOR_DATE="2026-01-01T12:30:00Z", GIT_COMMITTER_DATE="2026-01-01T12:30:00Z")
    env_args = ["-c", "user.name=x", "-c", "user.email=x@x"]
    for i in range(3):
        (root / "README.md").write_text(f"edit {i}\n")
        subprocess.run(
            ["git", *env_args, "stash", "push", "-q", "-m", f"others-work-again {i}"], cwd=root, check=True, env=env
        )
    for b in ("agents/auth", "agents/api", "tmp-fix"):
        subprocess.run(["git", "branch", b], cwd=root, check=True, env=env)
    wt = root.parent / f"{name}.agents" / "self-made"
    subprocess.run(["git", "worktree", "add", "-q", "-b", "self-isolated", str(wt)], cwd=root, check=True, env=env)
    (wt / "README.md").write_text("half-done work\n")
    (wt / "scratch.txt").write_text("untracked\n")
    recovery.trash.ID_OVERRIDE = iter(f"20260101-120000-00000{i}" for i in range(10))
    try:
        recovery.delete_branch(gitrepo.open_repo(root), "tmp-fix")
    finally:
        recovery.trash.ID_OVERRIDE = None
    return AgentTuiApp(gitrepo.open_repo(root), root / "agenttui.toml", live=False, recover=True, now=PINNED_NOW)
