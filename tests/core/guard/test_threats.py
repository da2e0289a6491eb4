"""The outsider judge reads a shell's ``-c`` string as sh does, on real processes: a ``#`` inside a
word, ``bash -lc`` and ``bash -c -l`` (Claude Code's Bash tool), wrappers, here-documents."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from agenttui.core.guard import threats
from tests.support.repos import wait_for


@dataclass
class Agent:
    name: str
    root: str
    branch: str | None = None


def judged(argv: list[str], cwd: Path, agent: Agent) -> list[str]:
    proc = subprocess.Popen(argv, cwd=cwd)
    try:
        got: list = []  # type: ignore[type-arg]
        wait_for(
            lambda: (r := threats.judge(proc.pid, [agent], {}, os.getpid())) is not None and not got.append(r),
            what="the process readable",
        )
        return [what for _a, _actor, what in got[0]]
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize(
    "script",
    [
        "true a#b; sleep 30; rm -rf {wt}",  # a comment reader drops everything after "a#"
        "sleep 30\nrm -rf {wt}",
        "timeout 60 sleep 30; timeout 5 rm -rf {wt}",
        "cat > /dev/null <<'EOF'\nnothing here\nEOF\nsleep 30; rm -rf {wt}",
    ],
)
@pytest.mark.parametrize("shell", [["bash", "-lc"], ["bash", "-c", "-l"], ["sh", "-c"]])
def test_a_shell_about_to_delete_a_worktree_is_an_outsider(tmp_path: Path, script: str, shell: list[str]) -> None:
    wt = tmp_path / "wt"
    wt.mkdir()
    agent = Agent("impl", str(wt))
    text = script.replace("{wt}", str(wt))
    assert judged([*shell, text], tmp_path, agent) == ["`rm` deleting or moving it"]
    # control: the same shell deleting a folder beside it is nobody's threat
    (tmp_path / "other").mkdir()
    assert judged([*shell, text.replace(str(wt), str(tmp_path / "other"))], tmp_path, agent) == []


def test_making_the_worktree_is_not_a_threat_to_it_and_a_second_one_on_its_branch_is(tmp_path: Path) -> None:
    """The incident demo's self-isolating agent: the `git worktree add` that creates a worktree
    was named as a threat to the agent adopted from it.  Control: another worktree on its branch."""
    wt = tmp_path / "wt"
    wt.mkdir()
    agent = Agent("wt", str(wt), "iso")
    assert judged(["sh", "-c", f"sleep 30; git worktree add -b iso {wt}"], tmp_path, agent) == []
    assert judged(["sh", "-c", f"sleep 30; git worktree add -f {tmp_path}/second iso"], tmp_path, agent) == [
        "git worktree on its branch iso"
    ]
