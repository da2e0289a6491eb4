"""The incident's timeline: Claude Code transcripts read robustly, reflog entries attributed only on
evidence (never a guess), file revisions rebuilt from Write/Edit, the baseline found without a time.

Transcripts here are written in the layout the real client 2.1.332 writes (tests/realclient reads the
client's own); git is real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from agenttui.core.clients import claude_code
from agenttui.core.git import reflog
from agenttui.core.git import repo as gitrepo
from agenttui.core.recovery import timeline
from tests.support.incidents import Session, iso
from tests.support.repos import git, make_repo


def test_reads_runs_and_counts_what_it_skips_without_crashing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    home = tmp_path / "home"
    s = Session(home, repo)
    t = time.time() - 600
    s.dispatch(t, "a1", "impl auth", "do auth", [(t + 1, "Bash", {"command": "git status"}, "clean")])
    s.dispatch(t + 0.1, "a2", "impl api", "do api", [])
    cut = json.dumps({"type": "user", "timestamp": iso(t), "cwd": str(repo)})[:-9]
    s.save(
        cut
        + "\n"  # a line cut mid-record
        + "not json at all\n"
        + json.dumps({"type": "some-future-record", "x": 1})
        + "\n"
        + "[1, 2]\n"
    )
    # another repository's session in a folder whose name starts the same; one of another time
    other = Session(home, tmp_path / "repo-two", "s-2")
    other.dispatch(t, "b1", "elsewhere", "x", [])
    other.save()
    old = Session(home, repo, "s-old")
    old.dispatch(t - 86400 * 30, "c1", "last month", "x", [])
    os.utime(old.save(), (t - 86400 * 30, t - 86400 * 30))
    # a symlinked transcript is not followed
    (s.folder / "linked.jsonl").symlink_to(tmp_path / "secret.jsonl")
    (tmp_path / "secret.jsonl").write_text(json.dumps({"type": "user", "cwd": str(repo)}) + "\n")
    runs, stats = claude_code.read_runs([str(repo)], since=t - 3600, home=home)
    named = {r.name: r for r in runs if not r.main_thread}
    assert set(named) == {"impl auth", "impl api"}  # not "elsewhere", not "last month"
    assert named["impl auth"].prompt == "do auth" and named["impl auth"].id == "a1"
    assert [c.command for c in named["impl auth"].calls] == ["git status"]
    assert stats.bad_lines == 3  # the cut line, the non-JSON line, the list; the unknown record is just ignored
    assert stats.unreadable == 1  # the symlink
    assert stats.other == 2  # repo-two's session (its cwd is not this repository's); last month's (by time)
    # through the command line: the same repository, nothing crashes, the counts are said
    res = subprocess.run(
        [sys.executable, "-m", "agenttui", "incident", str(repo), "--since", "1h"],
        env=dict(os.environ, HOME=str(home)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0 and "Traceback" not in res.stderr


def test_an_unreadable_projects_folder_is_counted_not_fatal(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "projects").write_text("a file where a folder should be\n")
    runs, stats = claude_code.read_runs([str(repo)], home=home)
    assert runs == [] and stats.unreadable == 1


def test_edits_are_replayed_on_what_the_agent_wrote_or_read(tmp_path: Path) -> None:
    s = Session(tmp_path / "home", tmp_path / "repo")
    f = str(tmp_path / "repo" / "a.py")
    g = str(tmp_path / "repo" / "b.py")
    t = 1_800_000_000.0
    s.dispatch(
        t,
        "a1",
        "x",
        "p",
        [
            (t + 1, "Write", {"file_path": f, "content": "A = 1\nB = 1\n"}, "File created successfully"),
            (t + 2, "Edit", {"file_path": f, "old_string": "A = 1", "new_string": "A = 2"}, "updated"),
            (t + 3, "Read", {"file_path": g}, "1\tdef f():\n2\t    return 0\n3\t"),
            (t + 4, "Edit", {"file_path": g, "old_string": "0", "new_string": "1"}, "updated"),
            (
                t + 5,
                "Edit",
                {"file_path": str(tmp_path / "repo" / "never-read.py"), "old_string": "a", "new_string": "b"},
                "updated",
            ),
        ],
    )
    s.save()
    (tmp_path / "repo").mkdir()
    runs, _ = claude_code.read_runs([str(tmp_path / "repo")], home=tmp_path / "home")
    (run,) = [r for r in runs if not r.main_thread]
    revs = timeline.revisions(run)
    assert [(Path(r.path).name, r.content) for r in revs] == [
        ("a.py", b"A = 1\nB = 1\n"),
        ("a.py", b"A = 2\nB = 1\n"),
        ("b.py", b"def f():\n    return 1\n"),
        ("never-read.py", None),
    ]  # an Edit of a file never seen whole: content unknown, said so
    assert timeline.read_result_content("1\tx\n2\t") == "x\n"
    assert timeline.read_result_content("1\tx\n3\ty") is None  # a gap: not the whole file


def _stash(repo: Path, name: str) -> None:
    (repo / name).write_text(name)
    git(repo, "stash", "push", "-u", "-q")


def test_two_agents_that_could_each_have_made_an_entry_leave_it_unknown(tmp_path: Path) -> None:
    """Never a guess: two agents each ran a bare `git stash` in the same second; the stash entries
    carry no message to tell them apart — both are unknown.  The control: one agent alone is named."""
    repo = make_repo(tmp_path / "repo")
    paths = gitrepo.open_repo(repo)
    t = time.time()
    _stash(repo, "x.txt")
    _stash(repo, "y.txt")
    entries = [e for e in reflog.reflog_entries(paths) if e.ref == "refs/stash"]
    assert len(entries) == 2

    def run(aid: str, name: str) -> Any:
        from agenttui.core.clients import AgentRun, ToolCall

        return AgentRun(
            "claude-code",
            aid,
            name,
            "general-purpose",
            "p",
            "s",
            t,
            None,
            None,
            "",
            calls=[
                ToolCall(
                    aid,
                    "Bash",
                    {"command": "git stash"},
                    t - 0.2,
                    time.time() + 0.2,
                    "Saved working directory",
                    True,
                    str(repo),
                    "transcript",
                )
            ],
        )

    both = timeline.attribute(entries, [run("a1", "one"), run("a2", "two")])
    assert all(a.run is None and a.via == "unknown" and "2 agents" in a.why for a in both)
    alone = timeline.attribute(entries, [run("a1", "one")])
    assert all(a.run is not None and a.run.name == "one" for a in alone)


def test_the_baseline_is_the_first_shared_dispatch_of_code_writing_agents(tmp_path: Path) -> None:
    s = Session(tmp_path / "home", tmp_path / "repo")
    t = 1_800_000_000.0
    s.dispatch(t, "r1", "look around", "p", [(t + 5, "Bash", {"command": "ls"}, "")], agent_type="Explore")
    s.dispatch(t + 1, "i1", "isolated", "p", [(t + 5, "Bash", {"command": "ls"}, "")], isolation="worktree")
    s.dispatch(t + 2, "w1", "writer one", "p", [(t + 9, "Bash", {"command": "ls"}, "")])
    s.dispatch(t + 3, "w2", "writer two", "p", [(t + 4, "Bash", {"command": "ls"}, "")])
    s.save()
    (tmp_path / "repo").mkdir()
    runs, _ = claude_code.read_runs([str(tmp_path / "repo")], home=tmp_path / "home")
    found = timeline.incident_start(runs)
    assert found is not None
    start, group = found
    assert start == t + 2 and sorted(r.name for r in group) == ["writer one", "writer two"]
    only_one = [r for r in runs if r.name != "writer two"]
    assert timeline.incident_start(only_one) is None  # one writer beside readers and an isolated agent: no incident


def test_quiet_point_is_before_the_newest_burst() -> None:
    e = [reflog.ReflogEntry("HEAD", t, i, None, "0" * 40, "x") for i, t in enumerate([100, 200, 5000, 5010, 5200])]
    assert timeline.quiet_point(e, gap=300) == 4999.5
    assert timeline.quiet_point([]) is None
