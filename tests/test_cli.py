"""The real ``agenttui`` command: check and status, exit codes, and bad input without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.repos import PLAN_TWO, git, make_repo, run_cli, write_plan


def test_check_ok_last_line(repo: Path) -> None:
    write_plan(repo, PLAN_TWO)
    res = run_cli("check", str(repo))
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1] == "All 2 dispatches use isolation: worktree \u2014 verified"


def test_check_from_subdirectory_and_cwd(repo: Path) -> None:
    write_plan(repo, PLAN_TWO)
    (repo / "sub").mkdir()
    res = run_cli("check", cwd=repo / "sub")
    assert res.returncode == 0, res.stderr


def test_check_violations_exit_1(repo: Path) -> None:
    write_plan(repo, PLAN_TWO + 'isolation = "none"\n')
    res = run_cli("check", str(repo))
    assert res.returncode == 1
    assert res.stdout.splitlines() == [
        "agent 'api': writes code with isolation = \"none\" while 2 dispatches run in parallel: "
        'set isolation = "worktree", or serialize'
    ]


def test_check_json(repo: Path, tmp_path: Path) -> None:
    plan = tmp_path / "elsewhere.toml"
    plan.write_text(PLAN_TWO + 'base = "nope"\n')
    res = run_cli("check", str(repo), "--plan", str(plan), "--json")
    assert res.returncode == 1
    data = json.loads(res.stdout)
    assert data["ok"] is False and data["announcement"] is None
    assert data["violations"][0]["agent"] == "api"
    assert "does not resolve" in data["violations"][0]["problem"]
    write_plan(repo, PLAN_TWO)
    ok = json.loads(run_cli("check", str(repo), "--json").stdout)
    assert ok == {
        "ok": True,
        "announcement": "All 2 dispatches use isolation: worktree \u2014 verified",
        "violations": [],
    }


def _assert_one_line_error(res: object, code: int, pattern: str) -> None:
    assert res.returncode == code, (res.stdout, res.stderr)  # type: ignore[attr-defined]
    err = res.stderr.strip()  # type: ignore[attr-defined]
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert pattern in err, err


def test_bad_input(tmp_path: Path) -> None:
    _assert_one_line_error(run_cli("check", str(tmp_path)), 2, "not a git repository")
    _assert_one_line_error(run_cli("status", str(tmp_path / "missing")), 2, "no such file")
    r = make_repo(tmp_path / "r")
    _assert_one_line_error(run_cli("check", str(r)), 2, "no plan")
    write_plan(r, "[[agent]\n")
    _assert_one_line_error(run_cli("check", str(r)), 2, "agenttui.toml:1: malformed TOML")
    write_plan(r, '[[agent]]\nname = "a"\ncommand = ["x"]\ncolor = "red"\n')
    _assert_one_line_error(run_cli("check", str(r)), 2, "agent[0].color: unknown key")
    _assert_one_line_error(run_cli("status", str(r)), 2, "agent[0].color: unknown key")
    _assert_one_line_error(run_cli("check", "--bogus"), 2, "unrecognized arguments")


def test_unreadable_plan(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    r = make_repo(tmp_path / "r")
    p = write_plan(r, PLAN_TWO)
    p.chmod(0)
    _assert_one_line_error(run_cli("check", str(r)), 2, "cannot read plan")


def test_plan_is_a_directory(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "r")
    _assert_one_line_error(run_cli("check", str(r), "--plan", str(tmp_path)), 2, "cannot read plan")


def test_bare_and_empty_repositories(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "--bare", "b.git")
    plan = tmp_path / "p.toml"
    plan.write_text(PLAN_TWO)
    res = run_cli("check", str(tmp_path / "b.git"), "--plan", str(plan))
    assert res.returncode == 1 and "bare repository" in res.stdout
    st = run_cli("status", str(tmp_path / "b.git"), "--json")
    assert st.returncode == 0 and json.loads(st.stdout)["bare"] is True
    _assert_one_line_error(run_cli(str(tmp_path / "b.git")), 2, "bare repository")
    git(tmp_path, "init", "-q", "empty")
    res = run_cli("check", str(tmp_path / "empty"), "--plan", str(plan))
    assert res.returncode == 1 and "no commits yet" in res.stdout
    st = run_cli("status", str(tmp_path / "empty"), "--json")
    assert st.returncode == 0 and json.loads(st.stdout)["head"]["sha"] is None


def test_index_lock_held(repo: Path) -> None:
    write_plan(repo, PLAN_TWO)
    (repo / ".git" / "index.lock").write_text("")
    res = run_cli("check", str(repo))
    assert res.returncode == 1 and "index.lock is held" in res.stdout
    st = run_cli("status", str(repo), "--json")
    assert st.returncode == 0 and json.loads(st.stdout)["head"]["index_locked"] is True
    assert (repo / ".git" / "index.lock").exists()  # never removed behind the user's back


def test_status_json(repo: Path, tmp_path: Path) -> None:
    write_plan(repo, PLAN_TWO)
    git(repo, "add", "agenttui.toml")
    git(repo, "commit", "-qm", "plan")
    (repo / "file0.txt").write_text("wip")
    git(repo, "stash", "push", "-q", "-m", "others-work-again")
    git(repo, "worktree", "add", "-q", "-b", "self-made", str(tmp_path / "tmp wt ☃"))
    res = run_cli("status", str(repo), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["repo"] == str(repo.resolve())
    assert data["head"]["branch"] == "main" and not data["head"]["detached"]
    assert [w["path"] for w in data["worktrees"]] == [str(repo.resolve()), str((tmp_path / "tmp wt ☃").resolve())]
    assert {"path", "branch", "head", "dirty", "locked", "prunable"} <= set(data["worktrees"][0])
    assert {b["name"] for b in data["branches"]} == {"main", "self-made"}
    assert all({"name", "sha", "merged"} <= set(b) for b in data["branches"])
    (s,) = data["stashes"]
    assert s["index"] == 0 and s["message"] == "On main: others-work-again" and len(s["sha"]) == 40
    names = [(a["name"], a["source"]) for a in data["agents"]]
    assert names == [("auth", "plan"), ("api", "plan"), ("tmp wt ☃", "worktree")]


def test_status_text(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    res = run_cli("status", str(repo))
    assert res.returncode == 0
    assert "HEAD        detached at" in res.stdout


def test_the_supervisor_draws_up_to_120_frames_unless_told_otherwise() -> None:
    """And it starts with no garbage collections (the collector pacer turns them on after the first
    frame: tests/tui/test_collector.py).  Control: a plain interpreter has them on."""
    code = (
        "import gc; print(gc.isenabled()); from agenttui.cli import _before_textual; _before_textual(); "
        "import textual.constants as c; print(c.MAX_FPS, gc.isenabled())"
    )
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "120", "False"]
    out = subprocess.run(
        [sys.executable, "-c", code], env={**env, "TEXTUAL_FPS": "30"}, capture_output=True, text=True, check=True
    )
    assert out.stdout.split()[1] == "30"


def test_status_json_gives_each_agent_a_state_and_watch_streams_changes(repo: Path) -> None:
    """A finished agent is done, one asking for permission needs input (a hook record), and
    `status --watch --json` prints each change once."""
    from agenttui.core import journal
    from agenttui.core.git import repo as gitrepo

    write_plan(repo, PLAN_TWO)
    paths = gitrepo.open_repo(repo)
    journal.append(paths, "launch", agent="auth", pid=999999, log=str(repo / "nolog"))
    journal.append(paths, "exit", agent="auth", code=0)
    journal.append(
        paths,
        "claude-code-hook",
        hook="Notification",
        agent="api",
        message="needs permission",
        notification_type="permission_prompt",
    )
    res = run_cli("status", str(repo), "--json")
    agents = {a["name"]: a for a in json.loads(res.stdout)["agents"]}
    assert agents["auth"]["state"] == "done" and agents["auth"]["reason"] == "exited 0"
    assert agents["api"]["state"] == "needs-input" and "permission" in agents["api"]["reason"]
    watch = subprocess.Popen(
        [sys.executable, "-m", "agenttui", "status", str(repo), "--watch", "--json"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert watch.stdout is not None
        first = [json.loads(watch.stdout.readline()) for _ in range(2)]
        assert {(x["agent"], x["state"]) for x in first} == {("auth", "done"), ("api", "needs-input")}
        journal.append(paths, "claude-code-hook", hook="UserPromptSubmit", agent="api")
        change = json.loads(watch.stdout.readline())
        assert (change["agent"], change["state"]) == ("api", "working")  # each change once, as it happens
    finally:
        watch.terminate()
        watch.wait(10)


def test_trash_lists_agent_snapshots_and_restore_puts_a_deleted_worktree_back(repo: Path, tmp_path: Path) -> None:
    from agenttui.core.git.repo import open_repo
    from agenttui.core.guard import snapshots

    wt = tmp_path / "impl"
    git(repo, "worktree", "add", "-q", "-b", "agent/impl", str(wt))
    (wt / "half-done.py").write_text("work = 1\n")
    snap = snapshots.take(open_repo(str(repo)), "impl", wt)
    assert snap is not None
    subprocess.run(["rm", "-rf", str(wt)], check=True)
    listed = run_cli("trash", str(repo))
    assert listed.returncode == 0 and f"{snap.id}  snapshot" in listed.stdout
    bad = run_cli("restore", "impl/000", cwd=repo)
    assert bad.returncode == 2 and "no trash entry" in bad.stderr  # control: an unknown id restores nothing
    res = run_cli("restore", snap.id, cwd=repo)
    assert res.returncode == 0, res.stderr
    assert (wt / "half-done.py").read_text() == "work = 1\n" and "?? half-done.py" in git(wt, "status", "--short")


def test_every_command_is_in_help_and_takes_dash_c(tmp_path: Path) -> None:
    """One argparse tree: `--help` names every command, and each that works on a repository takes
    `-C REPO` as well as a positional REPO (control: an unknown option is refused with exit 2)."""
    from agenttui.cli import COMMAND_HELP

    out = run_cli("--help").stdout
    for name in COMMAND_HELP:
        assert f"\n    {name} " in out, name
    repo = make_repo(tmp_path / "r")
    for args in (["status", "--json"], ["trash"], ["incident", "--json"], ["check"]):
        by_word = run_cli(*args, str(repo), cwd=tmp_path)
        by_c = run_cli(args[0], "-C", str(repo), *args[1:], cwd=tmp_path)
        assert by_c.returncode == by_word.returncode, (args, by_c.stderr)
        assert by_c.stdout == by_word.stdout or args[0] == "incident", args
    assert run_cli("diff", "-C", str(repo), "nosuch", cwd=tmp_path).stderr.strip().endswith("'nosuch'")
    bad = run_cli("status", "--nope", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
