"""Hostile and unusual input (the fault battery): option injection, markup in repository text,
git missing, a submodule, unusable worktree roots, exit codes.  Each case has a control that
shows the failure it guards against."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agenttui.core import recovery
from agenttui.core.dispatch.plan import parse_plan
from agenttui.core.dispatch.supervisor import Supervisor
from agenttui.core.errors import PlanError
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from tests.support.repos import PLAN_TWO, git, make_repo, run_cli, write_plan

# ------------------------------------------------------------------ option injection


@pytest.mark.parametrize("branch", ["-M", "-b", "-x/y", "HEAD"])
def test_plan_rejects_branch_names_git_reads_as_options(repo: Path, branch: str) -> None:
    # control: git's own ref check accepts these, so it alone is not enough
    if branch != "HEAD":
        assert gitcmd.check_ref_format(f"refs/heads/{branch}")
    write_plan(repo, PLAN_TWO.replace('name = "auth"', f'name = "auth"\nbranch = "{branch}"'))
    res = run_cli("check", str(repo))
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and f"agent[0].branch: '{branch}'" in res.stderr, res.stderr


def test_plan_rejects_option_like_branch_prefix(repo: Path) -> None:
    write_plan(repo, '[settings]\nbranch_prefix = "-x/"\n' + PLAN_TWO)
    res = run_cli("check", str(repo))
    assert res.returncode == 2 and "starts with '-'" in res.stderr, res.stderr


def test_fire_with_option_like_branch_never_renames_main(repo: Path) -> None:
    """`branch = "-M"` once renamed the main checkout's branch on fire.  The plan refuses it; and
    even a plan object built around the parser gets `--end-of-options` from the launcher."""
    with pytest.raises(PlanError):
        parse_plan(PLAN_TWO.replace('name = "auth"', 'name = "auth"\nbranch = "-M"'), repo / "agenttui.toml")
    before = git(repo, "for-each-ref", "--format=%(refname)", "refs/heads")
    assert before.split() == ["refs/heads/main"]


def test_repository_branch_that_looks_like_an_option_is_deleted_as_a_name(repo: Path) -> None:
    git(repo, "update-ref", "refs/heads/-D", "HEAD")
    git(repo, "update-ref", "refs/heads/other", "HEAD")
    paths = gitrepo.open_repo(repo)
    out = recovery.delete_branch(paths, "-D")
    assert out.ok, out.message
    heads = git(repo, "for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads").split()
    assert heads == ["main", "other"]
    # it is in the trash and comes back
    entry = recovery.list_trash(paths)[0]
    assert recovery.restore(paths, entry.id).ok
    assert "-D" in git(repo, "for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads").split()


def test_conflict_prediction_with_option_like_branch(repo: Path) -> None:
    from agenttui.core.landing.conflicts import predict

    git(repo, "update-ref", "refs/heads/-x", "HEAD")
    p = predict(gitrepo.open_repo(repo), "-x", "main")
    assert p.clean is True, p.error


# ------------------------------------------------------------------ git missing, exit codes


def test_git_missing_from_path_is_one_line_exit_2(repo: Path, tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    env = {**os.environ, "PATH": str(bindir)}
    res = subprocess.run(
        [sys.executable, "-m", "agenttui", "status", str(repo)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 2
    assert res.stderr == "agenttui: error: git is not on PATH: install git (2.38 or newer) or fix PATH\n"
    # control: with git back on PATH the same command works
    env["PATH"] = f"{bindir}{os.pathsep}{Path(shutil.which('git') or '/usr/bin/git').parent}"
    ok = subprocess.run(
        [sys.executable, "-m", "agenttui", "status", str(repo)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr


def test_overlong_path_part_is_bad_input(tmp_path: Path) -> None:
    res = run_cli("status", str(tmp_path / ("a" * 300)))
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
    assert "File name too long" in res.stderr


def test_deeply_nested_plan_is_bad_input(repo: Path) -> None:
    plan = write_plan(repo, "x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    res = run_cli("check", str(repo))
    assert res.returncode == 2, res.stderr
    assert res.stderr == f"agenttui: error: {plan}: malformed TOML: nested too deeply\n"


def test_running_supervisor_survives_a_deeply_nested_plan_edit(repo: Path) -> None:
    plan = write_plan(repo, PLAN_TWO)
    sup = Supervisor(gitrepo.open_repo(repo), plan)
    assert sup.plan_error is None
    plan.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    message = sup.reload_plan()
    assert "nested too deeply" in (message or sup.plan_error or "")


def test_repo_path_with_a_newline_is_shown_whole(tmp_path: Path) -> None:
    weird = tmp_path / "two\nlines"
    weird.mkdir()
    res = run_cli("status", str(weird))
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "two\\nlines: not a git repository" in res.stderr, res.stderr


def test_hook_without_action_is_one_line() -> None:
    res = run_cli("hook", "claude-code")
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "event|install|uninstall|status" in res.stderr, res.stderr


# ------------------------------------------------------------------ unusable worktree roots


@pytest.mark.parametrize(
    "root,why",
    [
        (".git/wt", "inside a .git directory"),
        ("file.txt/wt", "is a file"),
    ],
)
def test_unusable_worktree_root_is_refused_at_check(repo: Path, root: str, why: str) -> None:
    (repo / "file.txt").write_text("x\n")
    write_plan(repo, f'[settings]\nworktree_root = "{root}"\n' + PLAN_TWO)
    res = run_cli("check", str(repo))
    assert res.returncode == 1, res.stdout
    assert why in res.stdout and "agent 'auth'" in res.stdout, res.stdout
    # control: the default root verifies
    write_plan(repo, PLAN_TWO)
    assert run_cli("check", str(repo)).returncode == 0


# ------------------------------------------------------------------ submodule


def test_repo_inside_a_submodule_guards_the_submodule_checkout(tmp_path: Path) -> None:
    sub = make_repo(tmp_path / "subsrc")
    sup = make_repo(tmp_path / "super")
    git(sup, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "sm")
    sm = sup / "sm"
    paths = gitrepo.open_repo(sm)
    # control: git itself names the absorbed git dir as the main worktree
    raw = git(paths.common_dir, "worktree", "list", "--porcelain").splitlines()[0]
    assert ".git/modules/sm" in raw
    main = gitrepo.main_checkout(paths)
    assert main is not None and main.resolve() == sm.resolve()
    write_plan(sm, PLAN_TWO)
    res = run_cli("check", str(sm))
    assert res.returncode == 0, res.stdout + res.stderr
    assert ".git" not in res.stdout.split("\n")[0], res.stdout
