"""The one reader of shell text: what sh would run, with its folder and redirections."""

from __future__ import annotations

import pytest

from agenttui.base.shellparse import commands, shell_script, unwrap


def shape(text: str) -> list[tuple[list[str], str, list[str]]]:
    return [(c.words, c.cwd, c.writes) for c in commands(text, "/w")]


@pytest.mark.parametrize(
    "text,want",
    [
        ("ls a#b; rm -rf /x", [(["ls", "a#b"], "/w", []), (["rm", "-rf", "/x"], "/w", [])]),
        ("ls\nrm x", [(["ls"], "/w", []), (["rm", "x"], "/w", [])]),
        ("grep -E 'a|b;c' f | head", [(["grep", "-E", "a|b;c", "f"], "/w", []), (["head"], "/w", [])]),
        ('echo "a;b" > f 2>/dev/null &>g >|h', [(["echo", "a;b"], "/w", ["f", "/dev/null", "g", "h"])]),
        ("ls 2>&1 | wc -l", [(["ls"], "/w", []), (["wc", "-l"], "/w", [])]),
        ("cat > f.py <<'EOF'\nimport os; rm\nEOF\nls", [(["cat"], "/w", ["f.py"]), (["ls"], "/w", [])]),
        ("cd sub && rm ../x", [(["cd", "sub"], "/w/sub", []), (["rm", "../x"], "/w/sub", [])]),
        ("(cd a; ls) | wc", [(["cd", "a"], "/w/a", []), (["ls"], "/w/a", []), (["wc"], "/w", [])]),
        ("A=1 B=2 make", [(["make"], "/w", [])]),
        ("echo $(rm -rf /q)", [(["echo"], "/w", []), (["rm", "-rf", "/q"], "/w", [])]),
        ("eval 'rm -rf /q'", [(["rm", "-rf", "/q"], "/w", [])]),
        ("bash -lc 'cd /m && git stash'", [(["cd", "/m"], "/m", []), (["git", "stash"], "/m", [])]),
        ("echo 'unbalanced", [(["echo", "'unbalanced"], "/w", [])]),
    ],
)
def test_commands(text: str, want: list[tuple[list[str], str, list[str]]]) -> None:
    assert shape(text) == want


def test_shell_script_and_unwrap() -> None:
    assert shell_script(["bash", "-c", "-l", "x"]) == "x"
    assert shell_script(["bash", "-o", "pipefail", "-c", "x"]) == "x"
    assert shell_script(["bash", "tidy.sh"]) is None  # a script file: its text is not here
    assert unwrap(["timeout", "-s", "KILL", "5", "nice", "-n", "3", "rm", "x"]) == ["rm", "x"]
    assert unwrap(["env", "-u", "X", "A=1", "sudo", "-u", "bob", "rm", "x"]) == ["rm", "x"]
    assert unwrap(["xargs", "-n", "1", "rm"]) == ["rm"]
    assert unwrap(["rm", "x"]) == ["rm", "x"]
