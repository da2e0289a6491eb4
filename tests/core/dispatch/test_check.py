"""The isolation check on real repositories: every announcement and every violation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agenttui.core.dispatch.check import (
    ANNOUNCE_N1,
    ANNOUNCE_NO_WRITES,
    Verdict,
    gather_facts,
    verify,
)
from agenttui.core.dispatch.gate import Gate
from agenttui.core.dispatch.plan import load_plan
from agenttui.core.errors import GateClosed
from agenttui.core.git import repo as gitrepo
from tests.support.repos import PLAN_TWO, git, make_repo, write_plan


def check(repo: Path, text: str) -> Verdict:
    plan = load_plan(write_plan(repo, text))
    return verify(plan, gather_facts(gitrepo.open_repo(repo), plan))


def agent(name: str, **kw: object) -> str:
    lines = ["[[agent]]", f'name = "{name}"', 'command = ["true"]']
    for k, v in kw.items():
        lines.append(f"{k} = " + (f'"{v}"' if isinstance(v, str) else str(v).lower()))
    return "\n".join(lines) + "\n"


def test_all_verified(repo: Path) -> None:
    v = check(repo, agent("a") + agent("b") + agent("c"))
    assert v.ok and v.announcement == "All 3 dispatches use isolation: worktree \u2014 verified"
    assert [t.branch for t in v.targets] == ["agents/a", "agents/b", "agents/c"]
    assert v.targets[0].path == repo.parent / "repo.agents" / "a"


def test_n_equals_one(repo: Path) -> None:
    v = check(repo, agent("solo", isolation="none"))
    assert v.ok and v.announcement == ANNOUNCE_N1


def test_no_code_writing(repo: Path) -> None:
    v = check(repo, agent("r1", writes=False, isolation="none") + agent("r2", writes=False))
    assert v.ok and v.announcement == ANNOUNCE_NO_WRITES


def test_writer_without_isolation_can_serialize(repo: Path) -> None:
    v = check(repo, agent("a") + agent("b", isolation="none"))
    assert not v.ok and v.announcement is None
    assert [x.line for x in v.violations] == [
        "agent 'b': writes code with isolation = \"none\" while 2 dispatches run in parallel: "
        'set isolation = "worktree", or serialize'
    ]
    assert v.can_serialize


def test_shared_path_and_branch(repo: Path) -> None:
    v = check(repo, agent("a", branch="x", worktree="../w") + agent("b", branch="x", worktree="../w"))
    problems = [x.line for x in v.violations]
    assert any("agent 'b': shares worktree path" in p and "'a'" in p for p in problems)
    assert any("agent 'b': shares branch x with agent 'a'" in p for p in problems)
    assert not v.can_serialize


def test_path_is_main_checkout(repo: Path) -> None:
    v = check(repo, agent("a", worktree=".") + agent("b"))
    assert any("is the main checkout" in x.problem for x in v.violations if x.agent == "a")


def test_branch_checked_out_elsewhere(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", "-b", "agents/a", str(tmp_path / "elsewhere"))
    v = check(repo, agent("a") + agent("b"))
    (x,) = v.violations
    assert x.agent == "a" and "already checked out in" in x.problem and "elsewhere" in x.problem


def test_base_does_not_resolve(repo: Path) -> None:
    v = check(repo, agent("a", base="no-such-branch") + agent("b"))
    (x,) = v.violations
    assert x.agent == "a" and "base 'no-such-branch' does not resolve" in x.problem


def test_target_path_exists(repo: Path) -> None:
    (repo.parent / "repo.agents" / "a").mkdir(parents=True)
    v = check(repo, agent("a") + agent("b"))
    (x,) = v.violations
    assert "exists and is not a worktree" in x.problem


def test_existing_own_worktree_is_fine(repo: Path) -> None:
    git(repo, "worktree", "add", "-q", "-b", "agents/a", str(repo.parent / "repo.agents" / "a"))
    assert check(repo, agent("a") + agent("b")).ok


def test_target_is_worktree_on_other_branch(repo: Path) -> None:
    git(repo, "worktree", "add", "-q", "-b", "zzz", str(repo.parent / "repo.agents" / "a"))
    v = check(repo, agent("a") + agent("b"))
    assert any("is a worktree on zzz" in x.problem for x in v.violations)


def test_bare_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "b.git")
    plan = load_plan(write_plan(tmp_path, agent("a") + agent("b")))
    v = verify(plan, gather_facts(gitrepo.open_repo(tmp_path / "b.git"), plan))
    assert [x.agent for x in v.violations] == ["(repository)"] and "bare" in v.violations[0].problem


def test_no_commits(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "r")
    v = check(tmp_path / "r", agent("a") + agent("b"))
    assert [x.line for x in v.violations] == [
        "(repository): has no commits yet: make a first commit so worktrees have a base"
    ]


def test_mid_rebase(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    git(r, "checkout", "-q", "-b", "o")
    (r / "file0.txt").write_text("o")
    git(r, "commit", "-qam", "o")
    git(r, "checkout", "-q", "main")
    (r / "file0.txt").write_text("m")
    git(r, "commit", "-qam", "m")
    subprocess.run(["git", "rebase", "o"], cwd=r, capture_output=True, check=False)
    v = check(r, agent("a") + agent("b"))
    assert any("middle of a rebase" in x.problem for x in v.violations)


def test_detached_head_is_fine(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    assert check(repo, PLAN_TWO).ok


def test_gate_requires_current_plan_and_facts(repo: Path) -> None:
    v = check(repo, PLAN_TWO)
    gate = Gate()
    with pytest.raises(GateClosed):
        gate.require(v.plan_fingerprint, v.facts_fingerprint)
    gate.confirm(v)
    assert gate.require(v.plan_fingerprint, v.facts_fingerprint).verdict is v
    with pytest.raises(GateClosed, match="plan changed"):
        gate.require("other", v.facts_fingerprint)
    assert gate.confirmation is None and gate.revoked_reason
    gate.confirm(v)
    git(repo, "commit", "-q", "--allow-empty", "-m", "moved")
    plan = load_plan(repo / "agenttui.toml")
    facts = gather_facts(gitrepo.open_repo(repo), plan)
    with pytest.raises(GateClosed, match="repository changed"):
        gate.require(plan.fingerprint, facts.fingerprint)


def test_gate_refuses_failed_verdict(repo: Path) -> None:
    v = check(repo, agent("a") + agent("b", isolation="none"))
    with pytest.raises(GateClosed):
        Gate().confirm(v)
    assert Gate().confirm(v, serial=True).serial
    bad = check(repo, agent("a", base="nope") + agent("b", isolation="none"))
    with pytest.raises(GateClosed):
        Gate().confirm(bad, serial=True)
