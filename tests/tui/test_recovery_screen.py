"""The recovery screens driven with the pilot: clean a real incident, then restore it all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agenttui.core import recovery
from agenttui.core.git import repo as gitrepo
from agenttui.tui.app import AgentTuiApp
from agenttui.tui.screens.modals import ConfirmModal
from tests.support.incidents import make_incident, refs, tree_state
from tests.support.repos import git
from tests.support.ui import confirm, loaded, recovery_screen, settle, until


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
        await until(pilot, lambda: "diff --git" in screen.preview_text, what="stash diff preview")
        await pilot.press("2", "slash")
        await pilot.press(*"unmerged")
        await pilot.press("enter")
        assert screen.table("branches").row_count == 2
        await pilot.press("escape")  # clears the filter
        assert screen.table("branches").row_count == 6
        await until(
            pilot,
            lambda: "ahead" in str(screen.query_one("#branch-detail").render()),
            what="lazy ahead/behind of the highlighted branch",
        )


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
    from tests.support.repos import make_repo

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


async def test_the_agents_tab_finds_the_incident_from_the_transcripts_without_a_time(
    tmp_path: Path, monkeypatch: object
) -> None:
    """No announcement, no guard, no time given: two Claude Code subagents raced in the checkout (git
    for real; their transcripts as the client writes them).  The screen finds the baseline at their
    dispatch, names both agents, shows where each file's latest revision is, and S salvages each
    onto its own branch; t takes a time instead."""
    import subprocess
    import time

    import pytest

    from tests.support.incidents import Session
    from tests.support.repos import make_repo, wait_for

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    r = make_repo(tmp_path / "repo")
    base = git(r, "rev-parse", "HEAD").strip()
    made = int(time.time())
    wait_for(lambda: time.time() >= made + 1.05, what="the next second (reflogs keep whole seconds)")
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    t0 = time.time()
    calls: dict[str, list[tuple[float, str, dict[str, str], str]]] = {"a1": [], "a2": []}

    def act(agent: str, tool: str, inp: dict[str, str]) -> None:
        start = time.time()
        if tool == "Write":
            Path(inp["file_path"]).write_text(inp["content"])
            out = "File created successfully"
        else:
            out = subprocess.run(inp["command"], shell=True, cwd=r, capture_output=True, text=True, check=True).stdout
        calls[agent].append((start, tool, inp, out))

    act("a1", "Write", {"file_path": str(r / "auth.py"), "content": "AUTH = 2\n"})
    act("a1", "Bash", {"command": "git checkout -q -b agent-a"})
    act("a2", "Write", {"file_path": str(r / "api.py"), "content": "API = 1\n"})
    act("a2", "Bash", {"command": "git stash push -u -q -m sweep"})  # takes both agents' files
    s = Session(home, r)
    s.dispatch(t0, "a1", "impl auth", "make auth", calls["a1"])
    s.dispatch(t0 + 0.01, "a2", "impl api", "make api", calls["a2"])
    s.save()
    paths = gitrepo.open_repo(r)
    app = AgentTuiApp(paths, None, recover=True, live=False)
    async with app.run_test(size=(170, 45)) as pilot:
        screen = await loaded(pilot, app)
        assert "since the first dispatch of agents sharing a checkout" in str(screen.query_one("#incident").render())
        await pilot.press("5")
        assert screen.keys("agents") == ["impl-api", "impl-auth"]
        screen.table("agents").move_cursor(row=1)
        await pilot.pause()
        detail = str(screen.query_one("#agent-detail").render())
        assert "salvage/impl-auth: impl auth (a1)" in detail and "auth.py: its Write" in detail
        assert "stash@{0} (On agent-a: sweep), its untracked files" in detail
        # t: a time instead (the second after the repository was made: the same agents, from git's reflogs)
        await pilot.press("t")
        await pilot.press(*f"{made}.9", "enter")  # (reflog times are whole seconds: just before the next)
        await until(pilot, lambda: screen.since is not None and screen.loads >= 2 and not screen.busy)
        assert screen.keys("agents") == ["impl-api", "impl-auth"]
        await pilot.press("S")
        await confirm(pilot, app)
        await settle(pilot, screen)
        told = list(screen.told)
    assert git(r, "symbolic-ref", "--short", "HEAD").strip() == "main", told
    assert git(r, "rev-parse", "HEAD").strip() == base and git(r, "stash", "list") == ""
    assert git(r, "show", "salvage/impl-auth:auth.py") == "AUTH = 2\n"
    assert git(r, "show", "salvage/impl-api:api.py") == "API = 1\n"
    assert "auth.py" not in git(r, "ls-tree", "--name-only", "salvage/impl-api")


async def test_the_incident_is_read_only_once_the_stashes_are_on_the_screen(tmp_path: Path, monkeypatch: Any) -> None:
    """`agenttui recover` draws the stashes first; the incident's reading (its imports alone hold
    the interpreter for 0.4 s) starts after that frame, not beside it.  Control: it does start."""
    from agenttui.tui.screens.recovery import screen as module

    r, _wt = make_incident(tmp_path)
    starts: list[tuple[bool, int]] = []  # at each full read: (stash rows drawn?, rows in the stash table)
    app = AgentTuiApp(gitrepo.open_repo(r), None, recover=True, live=False)
    real = module.load_data

    def load_data(*args: Any, **kwargs: Any) -> Any:  # the real reading, its start noted
        s = recovery_screen(app)
        starts.append((s._first_drawn.is_set(), s.table("stashes").row_count))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "load_data", load_data)
    async with app.run_test(size=(150, 45)) as pilot:
        screen = await loaded(pilot, app)
        assert screen.data is not None and screen.data.incident is not None  # control: it was read
    assert starts == [(True, 10)]  # once, after the ten stash rows were drawn


async def test_the_stashes_read_ahead_are_in_the_first_frame(tmp_path: Path, monkeypatch: Any) -> None:
    """`agenttui recover` puts the stashes git listed while the screen loaded into the screen as it
    mounts, before its first frame: not after a worker's round trip, which may miss that frame.
    Control: a read-ahead git has not answered within PREFETCH_WAIT is taken by the load worker
    instead; both read the incident once."""
    from concurrent.futures import Future

    from agenttui.core.recovery import listing
    from agenttui.tui.screens.recovery import screen as module

    r, _wt = make_incident(tmp_path)
    paths = gitrepo.open_repo(r)
    monkeypatch.setattr(module, "PREFETCH_WAIT", 0.01)
    real_mount = module.RecoveryScreen.on_mount
    at_first: list[int] = []  # stash rows once the screen is mounted (its first frame follows)

    def on_mount(self: Any) -> None:
        real_mount(self)
        at_first.append(self.table("stashes").row_count)

    monkeypatch.setattr(module.RecoveryScreen, "on_mount", on_mount)
    for answered in (True, False):
        ahead: Future[Any] = Future()
        if answered:
            ahead.set_result(listing.load_stashes(paths))
        monkeypatch.setattr(listing, "read_ahead", lambda _paths, ahead=ahead: ahead)
        app = AgentTuiApp(paths, None, recover=True, live=False)
        async with app.run_test(size=(150, 45)) as pilot:
            await until(pilot, lambda: bool(at_first))
            if not answered:
                ahead.set_result(listing.load_stashes(paths))  # git answers late
            screen = await loaded(pilot, app)
            assert screen.table("stashes").row_count == 10 and screen.loads == 1
        assert at_first.pop() == (10 if answered else 0)


async def test_the_first_frame_reads_the_newest_stashes_and_the_whole_list_after_it(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """`agenttui recover` lists only the newest FIRST_STASHES stashes for its first frame (git lists
    each stash's files: 0.1 s for 1,000), then the whole list, before the incident.  Control: the
    ten stashes are all there once loaded, with the incident read once."""
    from agenttui.core.recovery import listing
    from agenttui.tui.screens.recovery import screen as module

    monkeypatch.setattr(listing, "FIRST_STASHES", 3)
    monkeypatch.setattr(module, "FIRST_STASHES", 3)
    monkeypatch.setattr(module, "PREFETCH_WAIT", 5.0)  # (the read-ahead is taken as the screen mounts)
    real_mount = module.RecoveryScreen.on_mount
    at_mount: list[int] = []

    def on_mount(self: Any) -> None:
        real_mount(self)
        at_mount.append(self.table("stashes").row_count)

    monkeypatch.setattr(module.RecoveryScreen, "on_mount", on_mount)
    r, _wt = make_incident(tmp_path)
    app = AgentTuiApp(gitrepo.open_repo(r), None, recover=True, live=False)
    async with app.run_test(size=(150, 45)) as pilot:
        screen = await loaded(pilot, app)
        assert at_mount == [3]
        assert screen.table("stashes").row_count == 10 and screen.loads == 1
        assert [s.index for s in screen.data.stashes] == list(range(10))


async def test_the_stash_list_has_the_keys_from_the_start(tmp_path: Path) -> None:
    """`agenttui recover` opens with the stash list focused: the arrow keys move its cursor at once
    (Textual focuses the first focusable widget, the tab bar, where they moved nothing; the other
    tests focus the table themselves)."""
    r, _wt = make_incident(tmp_path)
    app = AgentTuiApp(gitrepo.open_repo(r), None, recover=True, live=False)
    async with app.run_test(size=(150, 45)) as pilot:
        screen = await loaded(pilot, app)
        assert app.focused is screen.table("stashes")
        await pilot.press("down", "down")
        assert screen.table("stashes").cursor_row == 2


async def test_a_reload_before_the_whole_list_is_read_lists_every_stash(tmp_path: Path, monkeypatch: Any) -> None:
    """g pressed after the first frame (the newest FIRST_STASHES stashes) and before the first load
    has read the whole list: that reload reads the whole list itself, not the first frame's newest
    ones.  Control: the first load, held back, still lists every stash once let go."""
    import threading

    from agenttui.core.recovery import listing
    from agenttui.tui.screens.recovery import screen as module

    monkeypatch.setattr(listing, "FIRST_STASHES", 3)
    monkeypatch.setattr(module, "FIRST_STASHES", 3)
    monkeypatch.setattr(module, "PREFETCH_WAIT", 5.0)
    hold = threading.Event()
    real = module.load_stashes

    def load_stashes(paths: Any, newest: int | None = None) -> Any:
        if newest is None:  # the first load's whole list: held until the reload is done
            hold.wait(30)
        return real(paths, newest)

    monkeypatch.setattr(module, "load_stashes", load_stashes)
    r, _wt = make_incident(tmp_path)
    app = AgentTuiApp(gitrepo.open_repo(r), None, recover=True, live=False)
    try:
        async with app.run_test(size=(150, 45)) as pilot:
            screen = recovery_screen(app)
            await until(pilot, lambda: screen._first_drawn.is_set(), what="the first frame")
            assert screen.table("stashes").row_count == 3
            await pilot.press("g")
            await until(pilot, lambda: screen.loads >= 1, what="the reload")
            assert screen.data is not None and len(screen.data.stashes) == 10
            assert screen.table("stashes").row_count == 10
            hold.set()
            await until(pilot, lambda: screen.loads >= 2, what="the first load, let go")
            assert screen.data is not None and len(screen.data.stashes) == 10
    finally:
        hold.set()
