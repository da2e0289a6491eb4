"""The recovery screens driven with the pilot: clean a real incident, then restore it all."""

from __future__ import annotations

from pathlib import Path

from agenttui.core import recovery
from agenttui.core import repo as gitrepo
from agenttui.tui.app import AgentTuiApp
from agenttui.tui.screens.modals import ConfirmModal
from tests.conftest import git
from tests.core.test_recovery import make_incident, refs, tree_state
from tests.tui.conftest import confirm, loaded, settle, until


async def test_clean_incident_through_the_screens_then_restore(tmp_path: Path) -> None:
    r, wt = make_incident(tmp_path)
    paths = gitrepo.open_repo(r)
    stashes_before = [(s.sha, s.message) for s in gitrepo.list_stashes(paths)]
    branches_before = refs(r, "refs/heads")
    files_before = tree_state(wt)
    app = AgentTuiApp(paths, None, recover=True, live=False)
    async with app.run_test(size=(150, 45)) as pilot:
        screen = await loaded(pilot, app)
        assert "10 stashes, 5 branches, 1 worktrees" in str(screen.query_one("#incident").render())

        # Stashes tab: select two with space, drop them (highest index first)
        screen.table("stashes").focus()
        await pilot.press("space", "space", "d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        rows = app.screen.rows
        assert rows[0].startswith("git stash drop stash@{1}") and rows[1].startswith("git stash drop stash@{0}")
        await pilot.press("n")  # anything but y cancels
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal))
        assert len(gitrepo.list_stashes(paths)) == 10
        await pilot.press("d")
        await confirm(pilot, app)
        await settle(pilot, screen)
        assert len(gitrepo.list_stashes(paths)) == 8

        # Branches tab: an unmerged branch needs a second confirmation
        await pilot.press("2")
        names = screen.keys("branches")
        screen.table("branches").move_cursor(row=names.index("wip-unmerged-1"))
        await pilot.press("d")
        await confirm(pilot, app)  # first: the list
        await confirm(pilot, app, "n")  # second: refuse -D: nothing happens
        await pilot.pause()
        assert "refs/heads/wip-unmerged-1" in refs(r, "refs/heads")
        # a merged branch goes with one confirmation
        screen.table("branches").move_cursor(row=names.index("agent-a-tmp"))
        await pilot.press("d")
        await confirm(pilot, app)
        await settle(pilot, screen)
        assert "refs/heads/agent-a-tmp" not in refs(r, "refs/heads")

        # Worktrees tab: remove refuses a dirty worktree; archive takes everything
        await pilot.press("3")
        screen.table("worktrees").move_cursor(row=screen.keys("worktrees").index(str(wt.resolve())))
        await pilot.press("d")
        await confirm(pilot, app)
        await settle(pilot, screen)
        assert wt.exists()
        await pilot.press("a")
        await confirm(pilot, app)
        await settle(pilot, screen)
        assert not wt.exists()

        # the incident action cleans the rest, unmerged branches included after the second y
        await pilot.press("c")
        await confirm(pilot, app)
        await confirm(pilot, app)
        await settle(pilot, screen)
        assert gitrepo.list_stashes(paths) == []
        assert set(refs(r, "refs/heads")) == {"refs/heads/main"}
        assert [w.path for w in gitrepo.list_worktrees(paths)] == [r.resolve()]
        assert "nothing stray" in str(screen.query_one("#incident").render())

        # Trash tab: select everything, restore
        await pilot.press("4")
        assert len(screen.keys("trash")) == 16, screen.keys("trash")
        screen.table("trash").focus()
        for _ in range(16):
            await pilot.press("space")
        await pilot.press("u")
        await confirm(pilot, app)
        await settle(pilot, screen)
        assert screen.keys("trash") == []
    assert [(s.sha, s.message) for s in gitrepo.list_stashes(paths)] == stashes_before
    assert refs(r, "refs/heads") == branches_before
    assert tree_state(wt) == files_before
    assert git(wt, "status", "--porcelain").count("\n") == 3


async def test_filter_and_stash_preview(tmp_path: Path) -> None:
    r, _ = make_incident(tmp_path)
    app = AgentTuiApp(gitrepo.open_repo(r), None, recover=True, live=False)
    async with app.run_test(size=(150, 45)) as pilot:
        screen = await loaded(pilot, app)
        await until(pilot, lambda: "diff --git" in screen.preview_text,
                    what="stash diff preview")
        await pilot.press("2", "slash")
        await pilot.press(*"unmerged")
        await pilot.press("enter")
        assert screen.table("branches").row_count == 2
        await pilot.press("escape")  # clears the filter
        assert screen.table("branches").row_count == 6
        await until(pilot, lambda: "ahead" in str(screen.query_one("#branch-detail").render()),
                    what="lazy ahead/behind of the highlighted branch")


async def test_refusal_is_shown_and_nothing_is_removed(tmp_path: Path) -> None:
    import subprocess

    r, wt = make_incident(tmp_path)
    proc = subprocess.Popen(["sleep", "30"], cwd=wt)
    try:
        app = AgentTuiApp(gitrepo.open_repo(r), None, recover=True, live=False)
        async with app.run_test(size=(150, 45)) as pilot:
            screen = await loaded(pilot, app)
            await pilot.press("3")
            screen.table("worktrees").move_cursor(row=screen.keys("worktrees").index(str(wt.resolve())))
            await pilot.press("a")
            await confirm(pilot, app)
            await settle(pilot, screen)
            assert wt.exists() and recovery.list_trash(gitrepo.open_repo(r)) == []
            assert any(f"pid {proc.pid}" in m for s in app.screen_stack if hasattr(s, "told") for m in s.told)
    finally:
        proc.kill()
        proc.wait()


async def test_salvage_from_the_agents_tab(tmp_path: Path) -> None:
    """S on the recovery screen: the incident untangled onto salvage branches, the trunk restored."""
    from agenttui.core import journal
    from tests.conftest import make_repo

    r = make_repo(tmp_path / "repo")
    paths = gitrepo.open_repo(r)
    journal.append(paths, "guard-arm", by_fire=False, baseline=recovery.baseline(paths))
    base = git(r, "rev-parse", "HEAD").strip()
    git(r, "checkout", "-q", "-b", "agent-work")
    (r / "file0.txt").write_text("agent edit\n")
    git(r, "commit", "-qam", "agent commit")
    (r / "loose.txt").write_text("dirty\n")
    app = AgentTuiApp(paths, None, recover=True, live=False)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await loaded(pilot, app)
        await pilot.press("5")
        assert screen.keys("agents") == ["unattributed"]
        await pilot.press("S")
        await confirm(pilot, app)
        await settle(pilot, screen)
    assert git(r, "rev-parse", "HEAD").strip() == base and git(r, "status", "--porcelain") == ""
    assert git(r, "symbolic-ref", "--short", "HEAD").strip() == "main"
    tip = git(r, "rev-parse", "salvage/unattributed").strip()
    assert git(r, "show", f"{tip}:file0.txt") == "agent edit\n" and git(r, "show", f"{tip}:loose.txt") == "dirty\n"
