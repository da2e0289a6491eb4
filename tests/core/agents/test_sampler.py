"""The sampler's full rounds read an idle worktree's git state only when its git files moved."""

from __future__ import annotations

from pathlib import Path

from agenttui.core.agents.sampler import SampleJob, Sampler
from agenttui.core.git.repo import open_repo
from tests.support.repos import git, make_repo


def test_a_full_round_skips_a_worktree_whose_git_files_did_not_move(tmp_path: Path) -> None:
    main = make_repo(tmp_path / "main")
    wt = tmp_path / "wt"
    git(main, "worktree", "add", "-q", "-b", "agent-a", str(wt))
    sampler = Sampler(open_repo(main), main)
    first = SampleJob("a", None, wt, True)  # a read it must make (file activity, or the first round)
    again = SampleJob("a", None, wt, True, if_changed=True)  # a full round's read

    assert sampler.sample([first], True).git["a"].ahead == 0
    assert "a" not in sampler.sample([again], True).git  # nothing moved: no git for it
    (wt / "new.txt").write_text("x\n")
    git(wt, "add", "new.txt")  # the index moved
    assert sampler.sample([again], True).git["a"].dirty == 1
    git(wt, "commit", "-q", "-m", "agent's")  # its branch moved
    got = sampler.sample([again], True).git["a"]
    assert got.ahead == 1 and got.dirty == 0
    assert "a" not in sampler.sample([again], True).git
    (main / "m.txt").write_text("m\n")
    git(main, "add", "m.txt")
    git(main, "commit", "-q", "-m", "main moves")  # what it is counted ahead of moved
    assert "a" in sampler.sample([again], True).git
    git(wt, "checkout", "-q", "-b", "other")  # its HEAD names another branch
    assert sampler.sample([again], True).git["a"].branch == "other"
    # control: a read it must make is made even when nothing moved
    assert "a" in sampler.sample([first], True).git
