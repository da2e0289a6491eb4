"""Landing agent work on real repositories: every mode, a failing check, a conflict mid-sequence,
a checkout's own edits carried as git carries them, undo through the trash, the order planner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agenttui.core import recovery
from agenttui.core.git import repo as gitrepo
from agenttui.core.landing import land as landing
from tests.support.incidents import agent
from tests.support.repos import git, make_repo, run_cli


@pytest.fixture
def r(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", files={"shared.txt": "one\ntwo\nthree\n"})


def test_fast_forward_moves_main_and_its_clean_checkout(r: Path, tmp_path: Path) -> None:
    agent(r, tmp_path, "auth", {"auth.py": "auth"})
    paths = gitrepo.open_repo(r)
    old = git(r, "rev-parse", "main").strip()
    res = landing.land(paths, "agents/auth", mode="ff")
    assert res.ok, res.message
    assert git(r, "rev-parse", "main").strip() == res.new != old
    assert (r / "auth.py").read_text() == "auth\n"  # the clean checkout on main moved with it
    assert git(r, "status", "--porcelain") == ""
    # cleaned up: integrated, so worktree archived and branch deleted, both to the trash
    assert not (tmp_path / "auth-wt").exists() and "agents/auth" not in git(r, "branch")
    kinds = sorted(e.kind for e in recovery.list_trash(paths))
    assert kinds == ["branch", "branch", "worktree"]


@pytest.mark.parametrize("mode", ["squash", "rebase", "merge"])
def test_modes_when_the_base_moved_on(r: Path, tmp_path: Path, mode: str) -> None:
    agent(r, tmp_path, "api", {"api.py": "api"}, commits=2)
    (r / "other.txt").write_text("main moved\n")
    git(r, "add", "other.txt")
    git(r, "commit", "-qm", "main moved on")
    paths = gitrepo.open_repo(r)
    with pytest.raises(landing.LandingError, match="not a fast-forward"):
        landing.land(paths, "agents/api", mode="ff")  # control: ff refuses a diverged branch
    res = landing.land(paths, "agents/api", mode=mode)
    assert res.ok, res.message
    assert (r / "api.py").read_text() == "api 1\n" and (r / "other.txt").exists()
    log = git(r, "log", "--format=%s", "main").splitlines()
    if mode == "squash":
        assert log[0].startswith("agents/api: land agents/api (squashed)") and len(log) == 5
    elif mode == "rebase":
        assert log[:2] == ["api step 1", "api step 0"]
    else:
        assert log[0] == "Land agents/api (agents/api)"


def test_a_failing_check_lands_nothing(r: Path, tmp_path: Path) -> None:
    agent(r, tmp_path, "bad", {"x.txt": "x"})
    paths = gitrepo.open_repo(r)
    old = git(r, "rev-parse", "main").strip()
    res = landing.land(paths, "agents/bad", check=["sh", "-c", "test -e x.txt && echo 'tests failed' && exit 3"])
    assert not res.ok and res.check == "exit 3: tests failed"
    assert git(r, "rev-parse", "main").strip() == old and not (r / "x.txt").exists()
    assert "agents/bad" in git(r, "branch") and (tmp_path / "bad-wt").exists()  # nothing cleaned either
    ok = landing.land(paths, "agents/bad", check=["sh", "-c", "test -e x.txt"])  # control: a passing check
    assert ok.ok


def test_a_conflict_mid_sequence_leaves_everything_as_it_was(r: Path, tmp_path: Path) -> None:
    agent(r, tmp_path, "one", {"shared.txt": "one\nTWO by one\nthree"})
    two = agent(r, tmp_path, "two", {"shared.txt": "one\nTWO by two\nthree"})
    paths = gitrepo.open_repo(r)
    order, results = landing.land_many(paths, ["agents/one", "agents/two"])
    assert [x.ok for x in results] == [True, False]
    after_first = results[0].new
    assert git(r, "rev-parse", "main").strip() == after_first  # the first landed, the second did not
    assert results[1].conflicts == ["shared.txt"]
    assert git(r, "status", "--porcelain") == "" and (r / "shared.txt").read_text() == "one\nTWO by one\nthree\n"
    assert "shared.txt" in (two / "AGENTTUI-CONFLICTS.md").read_text()  # handed back to the agent
    assert git(r, "worktree", "list").count("agenttui-land") == 0  # no temporary worktree left


def test_the_users_own_edits_are_never_lost_and_another_branch_moves_alone(r: Path, tmp_path: Path) -> None:
    agent(r, tmp_path, "w", {"w.txt": "w"})
    (r / "shared.txt").write_text("my own uncommitted work\n")
    paths = gitrepo.open_repo(r)
    git(r, "branch", "release")
    res = landing.land(paths, "agents/w", into="release", cleanup=False)
    assert res.ok and git(r, "show", "release:w.txt") == "w\n"
    assert (r / "shared.txt").read_text() == "my own uncommitted work\n" and not (r / "w.txt").exists()


def test_undo_through_the_trash_restores_the_old_tip_exactly(r: Path, tmp_path: Path) -> None:
    agent(r, tmp_path, "u", {"u.txt": "u"})
    git(r, "checkout", "-q", "-b", "elsewhere")  # the main checkout is not on the base
    paths = gitrepo.open_repo(r)
    old = git(r, "rev-parse", "main").strip()
    res = landing.land(paths, "agents/u", into="main", cleanup=False)
    assert res.ok and res.trash_id
    assert recovery.restore(paths, res.trash_id).ok
    assert git(r, "rev-parse", "main").strip() == old


def test_refuses_a_dirty_agent_worktree(r: Path, tmp_path: Path) -> None:
    wt = agent(r, tmp_path, "d", {"d.txt": "d"})
    (wt / "d.txt").write_text("half done\n")
    with pytest.raises(landing.LandingError, match="uncommitted changes"):
        landing.land(gitrepo.open_repo(r), "agents/d")


def test_order_planner_beats_plan_order(r: Path, tmp_path: Path) -> None:
    """x conflicts with y and with z; y and z are compatible.  Plan order x, y, z lands one and
    stops on a conflict; the planner lands y and z first and leaves x (the entangled one) last."""
    agent(r, tmp_path, "x", {"shared.txt": "ONE by x\ntwo\nTHREE by x"})
    agent(r, tmp_path, "y", {"shared.txt": "ONE by y\ntwo\nthree"})
    agent(r, tmp_path, "z", {"shared.txt": "one\ntwo\nTHREE by z"})
    paths = gitrepo.open_repo(r)
    order, conflicts = landing.plan_order(paths, ["agents/x", "agents/y", "agents/z"], "main")
    assert order == ["agents/y", "agents/z", "agents/x"]
    assert conflicts["agents/y"] == [] and conflicts["agents/z"] == [] and conflicts["agents/x"] == ["shared.txt"]
    # control: in plan order the second already conflicts
    tip = git(r, "rev-parse", "main").strip()
    tree, files = landing._simulate(paths, tip, "agents/x")
    assert files == []
    after_x = git(r, "commit-tree", tree or "", "-p", tip, "-p", "agents/x", "-m", "x").strip()
    assert landing._simulate(paths, after_x, "agents/y")[1] == ["shared.txt"]


def test_diff_and_land_commands(r: Path, tmp_path: Path) -> None:
    wt = agent(r, tmp_path, "cli", {"c.txt": "c"})
    (wt / "notes.txt").write_text("untracked\n")
    res = run_cli("diff", str(r), "agents/cli", "--json")
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert d["ahead"] == 1 and d["integrated"] is None
    assert {(f["path"], f["state"]) for f in d["files"]} == {("c.txt", "committed"), ("notes.txt", "untracked")}
    (wt / "notes.txt").unlink()
    dry = run_cli("land", str(r), "agents/cli")
    assert dry.returncode == 0 and "nothing changed yet" in dry.stdout
    assert not (r / "c.txt").exists()
    done = run_cli("land", str(r), "agents/cli", "--ff", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["landings"][0]["ok"] is True and (r / "c.txt").exists()
    again = run_cli("diff", str(r), "main", "--json")
    assert json.loads(again.stdout)["integrated"] == "same commit"
