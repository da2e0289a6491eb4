"""The second guard at the tool call, on real repositories and worktrees: a subagent's write
outside its worktree is refused (file paths, cd, redirections, git -C, inside sh -c and python -c),
another worktree's stash is not its to pop, the main thread passes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.repos import git, make_repo


def call(cwd: Path, tool: str, tool_input: dict[str, Any], *, agent: bool = True, session: str = "s") -> str:
    payload: dict[str, Any] = {
        "session_id": session,
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": tool_input,
        "cwd": str(cwd),
    }
    if agent:
        payload.update({"agent_id": "a1", "agent_type": "general-purpose"})
    res = subprocess.run(
        [sys.executable, "-m", "agenttui", "hook", "claude-code", "pre-tool-use"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 0, res.stderr
    if not res.stdout.strip():
        return "allow"
    out = json.loads(res.stdout)["hookSpecificOutput"]
    return f"{out['permissionDecision']}: {out['permissionDecisionReason']}"


@pytest.fixture
def trees(tmp_path: Path) -> tuple[Path, Path]:
    main = make_repo(tmp_path / "main")
    wt = tmp_path / "wt"
    git(main, "worktree", "add", "-q", "-b", "agent-a1", str(wt))
    return main, wt


@pytest.mark.parametrize(
    "tool,tool_input",
    [
        ("Write", {"file_path": "{main}/x.txt", "content": "x"}),
        ("Edit", {"file_path": "{main}/file0.txt", "old_string": "a", "new_string": "b"}),
        ("Bash", {"command": "cd {main} && echo hi > f.txt"}),
        ("Bash", {"command": "echo hi > {main}/f.txt"}),
        ("Bash", {"command": "git -C {main} stash push -u"}),
        ("Bash", {"command": "sh -c 'cd {main}; touch x'"}),
        ("Bash", {"command": "python3 -c \"import subprocess; subprocess.run(['git', '-C', '{main}', 'stash'])\""}),
        ("Bash", {"command": "echo x | tee {main}/log.txt"}),
    ],
)
def test_subagent_writes_outside_its_worktree_are_refused(
    trees: tuple[Path, Path], tool: str, tool_input: dict[str, Any]
) -> None:
    main, wt = trees
    ti = {k: v.replace("{main}", str(main)) if isinstance(v, str) else v for k, v in tool_input.items()}
    got = call(wt, tool, ti)
    assert got.startswith("deny:") and str(main) in got and str(wt) in got, got
    assert call(wt, tool, ti, agent=False) == "allow"  # control: the main thread's own call passes


@pytest.mark.parametrize(
    "tool,tool_input",
    [
        ("Write", {"file_path": "{wt}/new.py", "content": "x"}),
        ("Write", {"file_path": "relative/new.py", "content": "x"}),
        ("Bash", {"command": "echo hi > out.txt && git add -A && git commit -qm x"}),
        ("Bash", {"command": "cd {wt}/sub && ls > /dev/null 2>&1"}),
        ("Bash", {"command": "pytest -q"}),
    ],
)
def test_work_inside_its_worktree_passes(trees: tuple[Path, Path], tool: str, tool_input: dict[str, Any]) -> None:
    _main, wt = trees
    ti = {k: v.replace("{wt}", str(wt)) if isinstance(v, str) else v for k, v in tool_input.items()}
    assert call(wt, tool, ti) == "allow"


def test_the_shared_stash_is_not_another_worktrees(trees: tuple[Path, Path]) -> None:
    main, wt = trees
    (main / "file0.txt").write_text("main's own work\n")
    git(main, "stash", "push", "-q", "-m", "mine")  # made on main, in the main checkout
    got = call(wt, "Bash", {"command": "git stash pop"})
    assert got.startswith("deny:") and "made on main" in got
    assert call(wt, "Bash", {"command": "git stash clear"}).startswith("deny:")
    (wt / "file0.txt").write_text("the agent's\n")
    git(wt, "stash", "push", "-q", "-m", "its own")
    assert call(wt, "Bash", {"command": "git stash pop"}) == "allow"  # its own stash: fine


def test_unisolated_writes_into_the_main_checkout_refused_while_others_run(trees: tuple[Path, Path]) -> None:
    main, _wt = trees
    journal = main / ".git" / "agenttui" / "journal.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)
    write = {"file_path": str(main / "x.txt"), "content": "x"}
    assert call(main, "Write", write) == "allow"  # N=1: fine
    with open(journal, "a") as f:
        for aid in ("a1", "a2"):
            f.write(
                json.dumps(
                    {
                        "time": time.time(),
                        "event": "claude-code-hook",
                        "hook": "SubagentStart",
                        "session_id": "s",
                        "agent_id": aid,
                    }
                )
                + "\n"
            )
    got = call(main, "Write", write)
    assert got.startswith("deny:") and "isolation: worktree, or serialize" in got
    # a script whose text shows nothing of what it writes: refused too while others run
    for hidden in ("sh tidy.sh", "make build", "python3 gen.py", "git status && npm install"):
        got = call(main, "Bash", {"command": hidden})
        assert got.startswith("deny:") and "its text does not say" in got, hidden
    for reading in ("ls -la", "git status --short && git log -3", "grep -rn TODO src | head", "cat a.txt"):
        assert call(main, "Bash", {"command": reading}) == "allow", reading  # reading goes on


def test_an_unisolated_subagents_script_alone_is_not_refused(trees: tuple[Path, Path]) -> None:
    """Control for the rule above: with no other subagent running, N=1, its script runs."""
    main, _wt = trees
    assert call(main, "Bash", {"command": "sh tidy.sh"}) == "allow"


def decide(cwd: Path, command: str, journal: Path | None = None) -> str | None:
    """The guard's decision in-process (the same function the hook runs), on the real trees."""
    from agenttui.hooks.toolguard import check_tool_call

    return check_tool_call(
        {
            "session_id": "s",
            "tool_name": "Bash",
            "tool_input": {"command": command},
            "cwd": str(cwd),
            "agent_id": "a1",
            "agent_type": "general-purpose",
        },
        journal,
    )


@pytest.mark.parametrize(
    "shape",
    [
        "ls a#b; rm -rf {X}/file0.txt",  # a '#' inside a word is no comment: rm runs
        "ls\nrm -f {X}/file0.txt",  # a newline separates commands
        "echo x &> {X}/f.txt",
        "ls 2> {X}/err.txt",
        "echo x >| {X}/f.txt",
        "echo x>>{X}/f.txt",
        "cp notes.txt {X}/notes.txt",
        "mv {X}/file0.txt .",
        "touch {X}/new",
        "mkdir -p {X}/d",
        "rm -rf {X}/src",
        "sed -i s/a/b/ {X}/file0.txt",
        "ln -s /etc/hosts {X}/hosts",
        "cp -t {X} notes.txt",
        "chmod 000 {X}/file0.txt",
        "find {X} -name '*.txt' -delete",
        "dd if=/dev/zero of={X}/zero bs=1 count=1",
        "bash -lc 'cd {X} && touch y'",
        "bash -c -l 'rm {X}/file0.txt'",
        "(cd {X}; rm file0.txt)",
        "cat > {X}/f.py <<'EOF'\nx = 1\nEOF",
        "timeout 5 rm -rf {X}/src",
        "env A=1 nice -n 5 touch {X}/f",
        "cd {X} && make build",
        "git -C {X} checkout -b other",
    ],
)
def test_what_sh_would_run_is_what_the_guard_reads(trees: tuple[Path, Path], shape: str) -> None:
    """Shapes a regex over the text misread (comments, newlines, fd redirections, writers other
    than '>' and tee).  Control: the same command on the agent's own worktree passes."""
    main, wt = trees
    got = decide(wt, shape.replace("{X}", str(main)))
    assert got is not None and str(main) in got and "outside its worktree" in got, (shape, got)
    assert decide(wt, shape.replace("{X}", str(wt))) is None, shape


def test_an_isolated_agent_may_read_the_main_checkout(trees: tuple[Path, Path]) -> None:
    """Reading there races with nobody (the old rule refused any cd into it); running what may write
    there is refused (the shapes above)."""
    main, wt = trees
    for reading in (
        f"cd {main} && git log -3 && cat file0.txt",
        f"git -C {main} status --short",
        f"grep -rn TODO {main} | head",
    ):
        assert decide(wt, reading) is None, reading
    assert decide(wt, f"cd {main} && git log -3 && sh tidy.sh") is not None


def test_writes_outside_the_repository_pass_and_a_link_into_the_main_checkout_does_not(
    trees: tuple[Path, Path], tmp_path: Path
) -> None:
    """/tmp-like folders are nobody's checkout: a build log or scratch folder there passes; a path
    that resolves into the main checkout (a symlink) is the main checkout."""
    main, wt = trees
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert decide(wt, f"mkdir -p {scratch}/build && pytest -q > {scratch}/log.txt") is None
    (scratch / "link").symlink_to(main)
    got = decide(wt, f"echo x > {scratch}/link/f.txt")
    assert got is not None and "outside its worktree" in got
    (wt / "inside").symlink_to(main)  # a link inside its own worktree into the main checkout
    assert decide(wt, "echo x > inside/f.txt") is not None
    assert decide(wt, f"rm -rf {tmp_path}") is not None  # a folder holding the checkouts


def test_an_agent_adding_a_worktree_of_its_own_is_refused(trees: tuple[Path, Path], tmp_path: Path) -> None:
    """The incident's "isolates itself in a temp dir": refused wherever the new worktree would be.
    Control: listing worktrees passes."""
    _main, wt = trees
    got = decide(wt, f"git worktree add -b mine {tmp_path}/elsewhere")
    assert got is not None and "worktree of its own" in got
    assert decide(wt, "git worktree list") is None


def test_quoted_separators_do_not_make_reading_look_like_writing(trees: tuple[Path, Path]) -> None:
    """While two subagents run, an unisolated one may still read: quoted '|', ';', '>' are text.
    Control: an unquoted '>' into the checkout is refused."""
    main, _wt = trees
    journal = main / ".git" / "agenttui" / "journal.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)
    with open(journal, "a") as f:
        for aid in ("a1", "a2"):
            f.write(
                json.dumps(
                    {
                        "time": time.time(),
                        "event": "claude-code-hook",
                        "hook": "SubagentStart",
                        "session_id": "s",
                        "agent_id": aid,
                    }
                )
                + "\n"
            )
    for reading in (
        "grep -E 'a|b' file0.txt",
        "git log --format='%h;%s' -3",
        "echo 'x > y'",
        "ls 2>/dev/null | head",
        "cd src && ls",
        "cat file0.txt > /dev/null",
    ):
        assert decide(main, reading, journal) is None, reading
    got = decide(main, "echo x > y", journal)
    assert got is not None and "isolation: worktree, or serialize" in got
    got = decide(main, "ls; sh tidy.sh", journal)
    assert got is not None and "its text does not say" in got
