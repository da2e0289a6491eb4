"""Salvage loses nothing while it works: the checkout's own state restores exactly, deletions stay
deleted, a half-done rebase is ended, odd names survive, and a process still writing stops it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.support.repos import git, make_repo, run_cli, wait_for


def incident_repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository, then (a second later) an agent's mess: a branch, a commit, and a dirty checkout
    with a modified, a deleted and an untracked file.  Returns it and a --since before the mess."""
    r = make_repo(tmp_path / "repo", commits=3)
    time.sleep(1.1)  # reflogs keep whole seconds
    since = str(int(time.time()))
    time.sleep(1.1)
    git(r, "checkout", "-q", "-b", "agent-x")
    (r / "file0.txt").write_text("the agent's edit\n")
    git(r, "commit", "-qam", "agent work")
    (r / "file1.txt").write_text("uncommitted edit\n")
    (r / "file2.txt").unlink()
    (r / "new.txt").write_text("untracked\n")
    return r, since


def state(r: Path) -> tuple[str, str, dict[str, str]]:
    files = {p.name: p.read_text() for p in r.iterdir() if p.is_file()}
    return git(r, "symbolic-ref", "--short", "HEAD").strip(), git(r, "status", "--porcelain"), files


def test_restore_all_after_salvage_puts_the_checkout_back_exactly(tmp_path: Path) -> None:
    r, since = incident_repo(tmp_path)
    before = state(r)
    res = run_cli("salvage", str(r), "--all", "--since", since, "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert state(r) != before and git(r, "status", "--porcelain") == ""  # salvage cleaned it (the control)
    res = run_cli("restore", str(r), "--all")
    assert res.returncode == 0, res.stdout + res.stderr
    assert state(r) == before  # branch, modified, deleted (not come back) and untracked files, as they were
    assert not (r / "file2.txt").exists()


def test_restore_all_on_an_empty_trash_says_so(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "repo")
    res = run_cli("restore", str(r), "--all")
    assert res.returncode == 0 and "the trash is empty" in res.stdout


def test_a_rebase_left_half_done_is_ended_and_the_checkout_is_clean(tmp_path: Path) -> None:
    r, since = incident_repo(tmp_path)
    git(r, "stash", "push", "-u", "-q", "-m", "wip")
    git(r, "checkout", "-q", "-b", "other", "main")
    (r / "file0.txt").write_text("a conflicting edit\n")
    git(r, "commit", "-qam", "conflicting")
    res = subprocess.run(["git", "rebase", "agent-x"], cwd=r, capture_output=True, text=True, check=False)
    assert res.returncode != 0 and (r / ".git" / "rebase-merge").is_dir()  # the agent left it conflicted
    res = run_cli("salvage", str(r), "--all", "--since", since, "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert not (r / ".git" / "rebase-merge").exists() and git(r, "status", "--porcelain") == ""
    assert git(r, "symbolic-ref", "--short", "HEAD").strip() == "main"


def test_a_file_name_with_a_newline_is_salvaged(tmp_path: Path) -> None:
    r, since = incident_repo(tmp_path)
    odd = "two\nlines.txt"
    (r / odd).write_text("odd but real\n")
    res = run_cli("salvage", str(r), "--all", "--since", since, "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    names = git(r, "ls-tree", "-r", "-z", "--name-only", "salvage/unattributed").split("\0")
    assert odd in names
    assert git(r, "show", "salvage/unattributed:" + odd) == "odd but real\n"


def test_salvage_waits_for_a_process_still_writing_in_the_checkout(tmp_path: Path) -> None:
    r, since = incident_repo(tmp_path)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nfor i in range(100000):\n    open(f'w{i % 50}.txt', 'w').write(str(i)); time.sleep(0.01)",
        ],
        cwd=r,
    )
    try:
        wait_for(lambda: (r / "w1.txt").exists(), what="the writer started")
        res = run_cli("salvage", str(r), "--all", "--since", since, "--yes")
        assert res.returncode == 2 and "still working in" in res.stderr and f"pid {writer.pid}" in res.stderr
        assert git(r, "symbolic-ref", "--short", "HEAD").strip() == "agent-x"  # nothing moved
    finally:
        writer.kill()
        writer.wait()
    res = run_cli("salvage", str(r), "--all", "--since", since, "--yes")  # the control: it stopped, salvage runs
    assert res.returncode == 0, res.stdout + res.stderr
