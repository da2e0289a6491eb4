"""The core Supervisor on its own (no Textual): the gate, fire, reaping, stop and pause, the plan's
life — real repositories, real processes."""

from __future__ import annotations

import signal
from pathlib import Path

import psutil
import pytest

from agenttui.core.dispatch.supervisor import Supervisor
from agenttui.core.errors import GateClosed
from agenttui.core.git import repo as gitrepo
from agenttui.core.journal import read as read_journal
from tests.support.repos import git, wait_for, write_plan

TWO = """
[[agent]]
name = "auth"
command = ["sh", "-c", "echo $AGENTTUI_AGENT > who.txt; exec sleep 30"]

[[agent]]
name = "api"
command = "exec sleep 30"
"""


@pytest.fixture
def sup(repo: Path) -> Supervisor:
    s = Supervisor(gitrepo.open_repo(repo), write_plan(repo, TWO))
    yield s
    for run in s.runs.values():
        if run.popen is not None and run.popen.poll() is None:
            run.popen.kill()
            run.popen.wait(5)


def test_fire_needs_a_confirmed_announcement(sup: Supervisor, repo: Path) -> None:
    with pytest.raises(GateClosed):
        sup.fire()
    assert not (repo.parent / "repo.agents").exists()  # control: nothing was created
    verdict = sup.announce()
    assert verdict.ok and verdict.announcement == "All 2 dispatches use isolation: worktree \u2014 verified"
    with pytest.raises(GateClosed):
        sup.fire()  # announced but not confirmed
    sup.confirm()
    sup.fire()
    auth = sup.runs["auth"]
    assert auth.state == "running" and auth.worktree == repo.parent / "repo.agents" / "auth"
    wait_for(lambda: (auth.worktree / "who.txt").exists(), what="the agent's first write")
    assert (auth.worktree / "who.txt").read_text() == "auth\n"
    assert git(auth.worktree, "branch", "--show-current").strip() == "agents/auth"
    assert not (repo / "who.txt").exists()  # it wrote in its worktree, not the main checkout
    events = [r["event"] for r in read_journal(sup.paths)]
    assert events.index("announce") < events.index("confirm") < events.index("fire") < events.index("launch")


def test_plan_edit_and_repository_change_revoke(sup: Supervisor, repo: Path) -> None:
    sup.announce()
    sup.confirm()
    assert sup.revalidate() is None  # control: nothing moved, still confirmed
    git(repo, "branch", "agents/auth")  # the target branch now exists: the facts moved
    assert sup.revalidate() == "announcement revoked: the repository changed — announce again"
    assert sup.gate.confirmation is None
    sup.announce()
    sup.confirm()
    write_plan(repo, TWO.replace("sleep 30", "sleep 31"))
    assert sup.reload_plan() == "announcement revoked: the plan changed — announce again"
    with pytest.raises(GateClosed):
        sup.fire()


def test_invalid_plan_keeps_the_last_good_one_and_revokes(sup: Supervisor, repo: Path) -> None:
    sup.announce()
    sup.confirm()
    write_plan(repo, "[[agent]]\nname = 3\n")
    message = sup.reload_plan()
    assert message is not None and "plan is invalid" in message
    assert list(sup.plan.names) == ["auth", "api"] and sup.plan_error is not None


def test_poll_reaps_exits_and_stop_pause_signal_the_tree(repo: Path) -> None:
    plan = write_plan(repo, TWO.replace('command = "exec sleep 30"', 'command = "exit 4"'))
    sup = Supervisor(gitrepo.open_repo(repo), plan)
    sup.announce()
    sup.confirm()
    sup.fire()
    try:
        wait_for(lambda: "api exited with code 4" in sup.poll() or sup.runs["api"].state == "exited", what="api reaped")
        assert sup.runs["api"].exit_code == 4
        pid = sup.runs["auth"].pid
        assert pid is not None
        assert sup.toggle_pause("auth") == "paused auth"
        wait_for(lambda: psutil.Process(pid).status() == psutil.STATUS_STOPPED, what="stopped")
        assert sup.toggle_pause("auth") == "resumed auth"
        assert sup.stop("auth").startswith("stopping auth")
        wait_for(lambda: sup.poll() or sup.runs["auth"].state == "exited", what="auth reaped")
        assert sup.runs["auth"].exit_code == -signal.SIGTERM
        assert sup.counts() == (0, 2)
    finally:
        for run in sup.runs.values():
            if run.popen is not None and run.popen.poll() is None:
                run.popen.kill()


def test_reaping_is_due_only_when_an_agent_exited(sup: Supervisor) -> None:
    """The screen starts its reaping worker only when `reap_due` says so: not for agents that run
    on, at once for one that exited, and no more once it is reaped (control: the exit is seen)."""
    sup.announce()
    sup.confirm()
    sup.fire()
    assert not sup.reap_due()  # both running
    api = sup.runs["api"]
    assert api.popen is not None
    api.popen.terminate()
    wait_for(sup.reap_due, what="the exit seen")
    assert sup.poll() == [f"api exited with code {-signal.SIGTERM}"]
    assert not sup.reap_due() and api.state == "exited"


def test_discover_gives_foreign_worktrees_a_run(sup: Supervisor, repo: Path) -> None:
    wt = repo / ".claude" / "worktrees" / "agent-x"
    git(repo, "worktree", "add", "-q", "-b", "claude/agent-x", str(wt))
    added = sup.discover(gitrepo.list_worktrees(sup.paths))
    assert added == ["agent-x"]
    run = sup.runs["agent-x"]
    assert run.source == "worktree" and run.branch == "claude/agent-x" and run.state == "found"
    assert sup.discover(gitrepo.list_worktrees(sup.paths)) == []  # once only


def test_serialized_dispatch_runs_one_after_another_in_the_main_checkout(repo: Path) -> None:
    log = repo.parent / "order.log"
    plan = write_plan(
        repo,
        f"""
[[agent]]
name = "one"
command = ["sh", "-c", "echo one >> {log}"]
isolation = "none"

[[agent]]
name = "two"
command = ["sh", "-c", "echo two >> {log}"]
isolation = "none"
""",
    )
    sup = Supervisor(gitrepo.open_repo(repo), plan)
    verdict = sup.announce()
    assert not verdict.ok and verdict.can_serialize
    sup.confirm(serial=True)
    assert sup.fire() == ["serialized 2 dispatches in the main checkout"]
    assert sup.runs["two"].state == "queued"  # control: not started in parallel
    wait_for(lambda: (sup.poll() or True) and all(r.state == "exited" for r in sup.runs.values()), what="both ran")
    assert log.read_text().split() == ["one", "two"]


def test_launched_agents_get_git_tracing_and_claude_agents_the_clients_fence(repo: Path) -> None:
    """Each launched agent's git reports its commands to agenttui (GIT_TRACE2_EVENT), and an agent
    running Claude Code in its worktree gets the client's own fence; one running something else does not
    (the control)."""
    import json as _json

    dump = (
        'env | grep -E "^(GIT_TRACE2_EVENT|CLAUDE_CODE_HOST_WORKTREE)" > env.tmp; mv env.tmp env.txt; '
        "git status -s > /dev/null"
    )
    write_plan(
        repo,
        f"""
[[agent]]
name = "cc"
client = "claude-code"
command = ["sh", "-c", {_json.dumps(dump)}]

[[agent]]
name = "plain"
command = ["sh", "-c", {_json.dumps(dump)}]
""",
    )
    s = Supervisor(gitrepo.open_repo(repo), repo / "agenttui.toml")
    s.announce()
    s.confirm()
    s.fire()
    cc, plain = s.runs["cc"].worktree, s.runs["plain"].worktree
    assert cc is not None and plain is not None
    wait_for(lambda: (cc / "env.txt").exists() and (plain / "env.txt").exists(), what="both agents' env")
    env_cc, env_plain = (cc / "env.txt").read_text(), (plain / "env.txt").read_text()
    assert f"CLAUDE_CODE_HOST_WORKTREE={cc}" in env_cc and f'FENCE=["{repo}"]' in env_cc
    assert "CLAUDE_CODE_HOST_WORKTREE" not in env_plain and "GIT_TRACE2_EVENT=" in env_plain
    trace = repo / ".git" / "agenttui" / "trace2" / "plain"
    wait_for(lambda: trace.is_dir() and any(trace.iterdir()), what="git's own report of the agent's git status")


def test_after_creation_a_worktree_two_dispatches_share_is_named(repo: Path, tmp_path: Path) -> None:
    """`verify_dispatched` names a worktree two isolated dispatches would share (the comparison was
    of a Path with strings: it never fired — found by mypy --strict).  Control: one each passes."""
    from agenttui.core.dispatch.check import DispatchTarget

    write_plan(repo, TWO)
    s = Supervisor(gitrepo.open_repo(repo), repo / "agenttui.toml")
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "agents/x", str(wt))
    one = DispatchTarget("auth", wt, "agents/x", True)
    assert s.verify_dispatched([one]) == {}  # control
    two = DispatchTarget("api", wt, "agents/x", True)
    problems = s.verify_dispatched([one, two])
    assert list(problems) == ["api"] and "shared" in problems["api"]
