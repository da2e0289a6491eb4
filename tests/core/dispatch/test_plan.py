"""Plan parsing: defaults, validation, errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agenttui.core.dispatch.plan import load_plan
from agenttui.core.errors import PlanError


def _plan(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "agenttui.toml"
    p.write_text(text)
    return p


def test_defaults(tmp_path: Path) -> None:
    plan = load_plan(_plan(tmp_path, '[[agent]]\nname = "a"\ncommand = ["echo", "hi there"]\n'))
    (a,) = plan.agents
    assert a.writes is True and a.isolation == "worktree" and a.base == "HEAD"
    assert a.command == ("echo", "hi there") and not a.shell
    assert plan.branch_prefix == "agents/" and plan.worktree_root is None
    assert len(plan.fingerprint) == 64


def test_full_plan(tmp_path: Path) -> None:
    text = """
[settings]
worktree_root = "../wt"
branch_prefix = "bots/"

[guard]
ignore = ["*.log"]

[[agent]]
name = "docs"
command = "make docs && echo done"
writes = false
isolation = "none"
base = "main~1"
env = { MODEL = "x" }
"""
    plan = load_plan(_plan(tmp_path, text))
    (a,) = plan.agents
    assert a.shell and a.command == "make docs && echo done"
    assert a.writes is False and a.isolation == "none" and a.base == "main~1"
    assert dict(a.env) == {"MODEL": "x"} and a.line == 9
    assert plan.worktree_root == "../wt" and plan.branch_prefix == "bots/"
    assert plan.guard_ignore == ("*.log",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[agent]]\nname = "a"\ncommand = [\n', r":3: malformed TOML"),
        ('[[agent]]\nname = "a"\ncommand = ["x"]\nwrtes = true\n', r":4: agent\[0\]\.wrtes: unknown key \(agent 'a'\)"),
        (
            '[[agent]]\nname = "a"\ncommand = ["x"]\n\n[[agent]]\nname = "a"\ncommand = ["y"]\n',
            r":6: agent\[1\]\.name: 'a' is used twice \(first at agent\[0\], line 2\)",
        ),
        ('[[agent]]\nname = "a b"\ncommand = ["x"]\n', r":2: agent\[0\]\.name: 'a b' must be"),
        ('[[agent]]\nname = "x.lock"\ncommand = ["x"]\n', r":2: agent\[0\]\.name: 'x.lock'"),
        ('[[agent]]\nname = "a"\n', r":1: agent\[0\]\.command: is missing \(agent 'a'\)"),
        ('[[agent]]\nname = "a"\ncommand = []\n', r":3: agent\[0\]\.command: must not be empty"),
        (
            '[[agent]]\nname = "a"\ncommand = ["x"]\nisolation = "tmp"\n',
            r":4: agent\[0\]\.isolation: must be one of worktree, none, not 'tmp'",
        ),
        ('[[agent]]\nname = "a"\ncommand = ["x"]\nwrites = "yes"\n', r":4: agent\[0\]\.writes: must be true or false"),
        ('[[agent]]\nname = "a"\ncommand = ["x"]\nbranch = "a..b"\n', r":4: agent\[0\]\.branch: 'a..b'"),
        ('[[agent]]\nname = "a"\ncommand = [1]\n', r":3: agent\[0\]\.command\[0\]: must be a string, not an integer"),
        ('[settings]\nbranch_prefix = "bad..x/"\n', r":2: settings\.branch_prefix: 'bad..x/' is not valid"),
        ("[settings]\ncolour = 1\n", r":2: settings\.colour: unknown key"),
        ("[settings]\nagent_nice = 40\n", r":2: settings\.agent_nice: must be at most 19"),
        ('[notify]\ndesktop = "bell"\n', r":2: notify\.desktop: must be one of auto, osc9, osc777, off"),
        ("agents = 1\n", r":1: agents: unknown key"),
        ('[[agent]]\ncommand = ["x"]\n', r":1: agent\[0\]\.name: is missing"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    p = _plan(tmp_path, text)
    with pytest.raises(PlanError, match=message) as exc:
        load_plan(p)
    assert str(exc.value).startswith(str(p))
    assert "\n" not in str(exc.value)


def test_unreadable_and_missing(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no such plan file"):
        load_plan(tmp_path / "nope.toml")
    p = tmp_path / "bin.toml"
    p.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PlanError, match="not UTF-8"):
        load_plan(p)
