"""Every string from git, a path or an agent is shown literally: markup in a stash message, a
commit subject or a worktree path neither crashes a screen nor styles it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.content import Content
from textual.markup import MarkupError

from agenttui.core.git import repo as gitrepo
from agenttui.tui.app import AgentTuiApp
from agenttui.tui.literal import fmt
from tests.support.repos import git, make_repo
from tests.support.ui import loaded

HOSTILE = [
    "wip [/]",
    "copy files to [/tmp]",
    "[$error]spoof[/]",
    "[B]bold[/B]",
    "[link=https://x.example]click",
    "back\\slash\\",
    "[@click=app.quit]quit[/]",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_fmt_renders_values_exactly(text: str) -> None:
    c = fmt("[b]$v[/b] [dim]$w[/]", v=text, w=text)
    assert c.plain == f"{text} {text}"
    assert [(s.start, s.end) for s in c.spans] == [(0, len(text)), (len(text) + 1, 2 * len(text) + 1)]


def test_control_plain_markup_crashes_or_styles() -> None:
    with pytest.raises(MarkupError):
        Content.from_markup("wip [/]")
    assert Content.from_markup("[$error]spoof[/]").plain == "spoof"  # styled, text lost
    escaped = "back\\slash\\".replace("[", "\\[")  # escaping brackets cannot save a trailing backslash
    assert Content.from_markup(f"[b]{escaped}[/b]").plain != "back\\slash\\"


async def test_recovery_screen_shows_hostile_text_literally(tmp_path: Path) -> None:
    r = make_repo(tmp_path / "repo")
    for i, msg in enumerate(HOSTILE[:3]):
        (r / "file0.txt").write_text(f"change {i}\n")
        git(r, "stash", "push", "-q", "-m", msg)
    (r / "new.txt").write_text("x\n")
    git(r, "add", "new.txt")
    git(r, "commit", "-q", "-m", "copy files to [/tmp]")
    git(r, "branch", "side")
    wt = tmp_path / "odd [/x] [$error]"
    git(r, "worktree", "add", "-q", "--detach", str(wt))
    app = AgentTuiApp(gitrepo.open_repo(r), None, recover=True, live=False)
    async with app.run_test(size=(200, 45)) as pilot:
        screen = await loaded(pilot, app)
        t = screen.table("stashes")
        messages = [str(t.get_row_at(i)[-1]) for i in range(t.row_count)]
        assert sorted(messages) == sorted(f"On main: {m}" for m in HOSTILE[:3])
        screen.query_one("#tabs").active = "branches"
        await pilot.pause()
        screen.ensure_filled("branches")
        b = screen.table("branches")
        subjects = {str(b.get_row_at(i)[1]): str(b.get_row_at(i)[-1]) for i in range(b.row_count)}
        assert subjects["side"] == "copy files to [/tmp]"
        screen.ensure_filled("worktrees")
        w = screen.table("worktrees")
        shown = [str(w.get_row_at(i)[1]) for i in range(w.row_count)]
        assert any("odd [/x] [$error]" in s for s in shown), shown
        await pilot.press("escape")
        await pilot.pause()
