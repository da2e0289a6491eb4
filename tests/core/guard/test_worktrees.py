"""Agent worktrees protected like the main checkout: snapshots, outsiders named, one-step restore.

Real repositories, real outside processes (``rm -rf``, ``git -C … reset --hard``, ``git branch -f``)
started from a shell elsewhere, real inotify: nothing is simulated.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from agenttui.core.git.repo import open_repo
from agenttui.core.guard import snapshots
from agenttui.core.guard.alerts import Alert
from agenttui.core.guard.worktrees import KIND, WorktreeKeeper
from agenttui.core.host import inotify
from tests.support.repos import git, make_repo, wait_for

pytestmark = pytest.mark.skipif(not inotify.available(), reason="needs Linux inotify")


def tree_state(root: Path) -> tuple[dict[str, bytes], str, str]:
    """Every file (but .git) with its bytes, git's status, and the staged index."""
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for f in filenames:
            full = os.path.join(dirpath, f)
            files[os.path.relpath(full, root)] = Path(full).read_bytes()
    return files, git(root, "status", "--porcelain"), git(root, "diff", "--cached", "--name-status")


@pytest.fixture
def agent_tree(tmp_path: Path) -> tuple[Path, Path]:
    """A repository and an agent's worktree full of work: committed, modified, staged, untracked."""
    main = make_repo(tmp_path / "repo", files={f"src/m{i}.py": f"x = {i}\n" for i in range(150)})
    wt = tmp_path / "wt" / "impl"
    git(main, "worktree", "add", "-q", "-b", "agent/impl", str(wt))
    (wt / "src" / "m1.py").write_text("x = 'edited'\n")
    (wt / "new.py").write_text("staged\n")
    git(wt, "add", "new.py")
    (wt / "notes").mkdir()
    for i in range(60):
        (wt / "notes" / f"n{i}.md").write_text(f"note {i}\n")
    return main, wt


class Keeper:
    def __init__(self, main: Path, agents: dict[str, Path]) -> None:
        self.alerts: list[Alert] = []
        self.changed = threading.Event()
        self.k = WorktreeKeeper(open_repo(str(main)), lambda: agents, self._alert)

    def _alert(self, a: Alert) -> None:
        self.alerts.append(a)
        self.changed.set()

    def __enter__(self) -> WorktreeKeeper:
        self.k.start()
        return self.k

    def __exit__(self, *exc: object) -> None:
        self.k.stop()


def outside(cmd: str, cwd: Path) -> None:
    """A command run by someone else: a shell started elsewhere, not under the agent."""
    subprocess.run(["sh", "-c", cmd], cwd=cwd, check=True, capture_output=True)


def test_outside_rm_rf_is_named_and_restored_identical(agent_tree: tuple[Path, Path], tmp_path: Path) -> None:
    main, wt = agent_tree
    (wt / "build").mkdir()  # a worktree of a real size: its rm takes long enough to be seen (a
    for i in range(500):  # handful of files goes in well under a millisecond: README, "unknown")
        (wt / "build" / f"out{i}.txt").write_text(f"{i}\n")
    before = tree_state(wt)
    paths = open_repo(str(main))
    keeper = Keeper(main, {"impl": wt})
    with keeper as k:
        # (the snapshot thread is niced: under load the first one can take a while)
        wait_for(lambda: k.restorable("impl") is not None, timeout=60, what="the first snapshot")
        outside(f"rm -rf {wt}", tmp_path)
        assert not wt.exists()  # control: the work is really gone from disk
        wait_for(lambda: any(a.suspects for a in keeper.alerts), what="the alert naming the process")
    alert = next(a for a in keeper.alerts if a.suspects)
    assert alert.kind == KIND and alert.agents == ("impl",) and alert.worktree == str(wt)
    assert f"rm -rf {wt}" in alert.text and "pid" in alert.suspects[0]
    assert alert.snapshot is not None
    said = snapshots.restore(paths, snapshots.find(paths, alert.snapshot))
    assert "restored" in said
    assert tree_state(wt) == before  # files, untracked ones, status and the staged index
    assert git(wt, "rev-parse", "--abbrev-ref", "HEAD").strip() == "agent/impl"
    journal = (main / ".git" / "agenttui" / "journal.jsonl").read_text()
    assert '"kind": "worktree-threat"' in journal and '"event": "snapshot-restore"' in journal


def test_the_agents_own_deletes_and_resets_are_not_threats(agent_tree: tuple[Path, Path]) -> None:
    main, wt = agent_tree
    keeper = Keeper(main, {"impl": wt})
    with keeper as k:
        wait_for(lambda: k.restorable("impl") is not None, timeout=60, what="the first snapshot")
        outside("rm -rf notes && git reset -q --hard && git status --short", wt)  # run from inside it
        assert not (wt / "notes").exists()
        # a control that must alert, so the quiet above is not a deaf sentinel
        outside(f"git -C {wt} reset -q --hard HEAD~1 && echo reset", main)
        wait_for(lambda: keeper.alerts, what="the outside reset's alert")
    assert len(keeper.alerts) == 1, [a.text for a in keeper.alerts]
    assert "git reset in it" in keeper.alerts[0].text and f"git -C {wt} reset" in keeper.alerts[0].text


def test_moving_the_agents_branch_from_outside_is_named(agent_tree: tuple[Path, Path]) -> None:
    main, wt = agent_tree
    git(wt, "commit", "-q", "-m", "agent work")
    keeper = Keeper(main, {"impl": wt})
    with keeper as k:
        wait_for(lambda: k.restorable("impl") is not None, timeout=60, what="the first snapshot")
        # (branch -f refuses a checked-out branch; a script that moves it anyway, as tools do, and
        # goes on with its work: its shell, whose -c text names the branch, is there when the
        # sentinel looks — the git process alone lives milliseconds and, on a machine busy enough,
        # can be gone before the sentinel's thread runs: then the move is not named, a known limit)
        outside("git update-ref refs/heads/agent/impl main; echo moved; sleep 0.5", main)
        wait_for(lambda: keeper.alerts, what="the branch move's alert")
        alert = keeper.alerts[0]
        assert "on its branch agent/impl" in alert.text and "git update-ref refs/heads/agent/impl main" in alert.text
        paths = open_repo(str(main))
        snapshots.restore(paths, snapshots.find(paths, str(alert.snapshot)))
    assert git(main, "log", "-1", "--format=%s", "agent/impl").strip() == "agent work"
    trash = git(main, "for-each-ref", "--format=%(refname)", "refs/agenttui/trash")
    assert "/branch" in trash  # the tip it replaced (main's) is in the trash, restorable


def test_snapshots_only_on_change_keep_the_last_few_and_stop_after_a_threat(
    agent_tree: tuple[Path, Path], tmp_path: Path
) -> None:
    main, wt = agent_tree
    paths = open_repo(str(main))
    first = snapshots.take(paths, "impl", wt)
    assert first is not None
    assert snapshots.take(paths, "impl", wt, last_tree=first.tree) is None  # nothing changed
    last = first
    for i in range(snapshots.KEEP + 2):
        (wt / "notes" / f"more{i}.md").write_text("more\n")
        s = snapshots.take(paths, "impl", wt, last_tree=last.tree)
        assert s is not None
        last = s
    kept = snapshots.list_snapshots(paths, "impl")
    assert len(kept) == snapshots.KEEP and kept[0].ref == last.ref
    assert git(wt, "status", "--porcelain").count("??") == 1  # the agent's index was not touched

    keeper = Keeper(main, {"impl": wt})
    with keeper as k:
        wait_for(lambda: k.snapshots_taken >= 1, timeout=60, what="the keeper's first snapshot")
        good = k.restorable("impl")
        assert good is not None
        k.activity([wt])
        assert k.due(time.time() + 60) == ["impl"]  # control: a burst ends in a snapshot
        outside(f"git -C {wt} clean -fdq && echo cleaned", tmp_path)
        wait_for(lambda: keeper.alerts, what="the clean's alert")
        k.activity([wt])  # the deletions' own file events
        assert k.due(time.time() + 60) == []  # the damage is never snapshotted over the good state
        assert keeper.alerts[0].snapshot == good.id
        k.restored("impl")
        assert k.due(time.time() + 60) == ["impl"]
