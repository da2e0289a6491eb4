"""Agent state: hysteresis, no flicker, edges at once, unseen; notifications once per edge."""

from __future__ import annotations

from pathlib import Path

import pytest

from agenttui.core.agents.notify import Notifier
from agenttui.core.agents.state import StateTracker, hook_signal, hooks_by_agent
from tests.support.repos import wait_for


def test_activity_hysteresis_and_no_flicker() -> None:
    t = StateTracker(hold=1.0, working=2.0, idle=6.0)
    s, _ = t.observe("a", now=100.0, alive=True, last_activity=100.0)
    s, changed = t.observe("a", now=101.1, alive=True, last_activity=100.0)  # working held 1 s: shows
    assert s.state == "working" and changed
    s, changed = t.observe("a", now=103.0, alive=True, last_activity=100.0)  # quiet 3 s: still working
    assert s.state == "working" and not changed
    s, _ = t.observe("a", now=106.5, alive=True, last_activity=100.0)  # idle candidate, not held yet
    assert s.state == "working"
    s, changed = t.observe("a", now=107.6, alive=True, last_activity=100.0)
    assert s.state == "idle" and changed
    # a blip of activity shorter than the hold never shows (control: it would flicker)
    t.observe("a", now=108.0, alive=True, last_activity=108.0)
    s, _ = t.observe("a", now=108.5, alive=True, last_activity=108.0)
    assert s.state == "idle"


def test_edges_show_at_once_and_stay_unseen_until_looked_at() -> None:
    t = StateTracker()
    t.observe("a", now=0.0, alive=True, last_activity=0.0)
    s, changed = t.observe("a", now=0.1, alive=True, hook=("needs-input", "permission: Bash", 0.1))
    assert s.state == "needs-input" and changed and s.unseen and s.reason == "permission: Bash"
    s, _ = t.observe("a", now=0.2, alive=True, hook=("needs-input", "permission: Bash", 0.1), focused=True)
    assert not s.unseen
    s, changed = t.observe("a", now=0.3, alive=False, exit_code=0)
    assert s.state == "done" and changed and s.unseen
    s, _ = t.observe("b", now=0.3, alive=False, exit_code=2)
    assert s.state == "failed" and s.reason == "exited 2"
    assert t.next_for_attention(["a", "b"]) == "a"  # done and failed, unseen: in order


def test_hooks_name_their_agent_by_env_or_worktree() -> None:
    recs = [
        {"event": "claude-code-hook", "hook": "UserPromptSubmit", "agent": "auth", "time": 1.0},
        {
            "event": "claude-code-hook",
            "hook": "Notification",
            "message": "Claude needs your permission to use Bash",
            "notification_type": "permission_prompt",
            "cwd": "/w/api/sub",
            "time": 2.0,
        },
        {"event": "claude-code-hook", "hook": "Stop", "agent": "auth", "time": 3.0},
    ]
    got = hooks_by_agent(recs, {"/w/api": "api"})
    assert got["auth"][0] == "idle" and got["api"][0] == "needs-input"
    assert got["api"][1].startswith("permission_prompt: Claude needs your permission")
    assert hook_signal({"hook": "PostToolUse", "tool_name": "Write"}) == ("working", "Write")


def test_notify_command_once_per_edge_and_never_for_the_focused_agent(tmp_path: Path) -> None:
    log = tmp_path / "notified.log"
    n = Notifier(["sh", "-c", f'echo "$AGENTTUI_AGENT $AGENTTUI_STATE $AGENTTUI_REASON" >> {log}'])
    assert n.edge("auth", "needs-input", "permission", now=100.0)
    assert not n.edge("auth", "done", "exited 0", now=120.0)  # a minute per agent at most
    assert not n.edge("api", "working", "", now=120.0)  # not an edge worth telling
    assert not n.edge("api", "done", "exited 0", focused=True, now=120.0)  # in front of the user already
    assert n.edge("auth", "done", "exited 0", now=161.0)
    assert n.sent == [("auth", "needs-input"), ("auth", "done")]  # the command ran twice, not four times
    wait_for(lambda: log.exists() and len(log.read_text().splitlines()) == 2, what="two notifications")
    assert sorted(log.read_text().splitlines()) == ["auth done exited 0", "auth needs-input permission"]


@pytest.mark.parametrize(
    "env,setting,kind",
    [
        ({"TERM_PROGRAM": "iTerm.app", "TERM": "xterm-256color"}, "auto", "osc9"),
        ({"WT_SESSION": "x", "TERM": "xterm-256color"}, "auto", "osc9"),
        ({"TERM": "foot"}, "auto", "osc777"),
        ({"TERM": "xterm-256color", "VTE_VERSION": "7600"}, "auto", "osc777"),
        ({"TERM": "xterm-256color"}, "auto", None),  # control: an unknown terminal gets no escape
        ({"TERM_PROGRAM": "iTerm.app", "TMUX": "/tmp/t,1,0"}, "auto", None),  # tmux: display-message instead
        ({"TERM": "screen", "TMUX": "/tmp/t,1,0"}, "osc777", "osc777"),  # ... unless asked for by hand
        ({"TERM_PROGRAM": "iTerm.app"}, "off", None),
    ],
)
def test_desktop_notification_only_where_the_terminal_shows_one(
    env: dict[str, str], setting: str, kind: str | None
) -> None:
    from agenttui.core.agents.notify import desktop_kind

    assert desktop_kind(env, setting) == kind


def test_desktop_sequences_carry_the_text_without_control_characters() -> None:
    from agenttui.core.agents.notify import desktop_sequence

    assert desktop_sequence("osc9", "agenttui", "auth needs input") == "\x1b]9;agenttui: auth needs input\x07"
    assert desktop_sequence("osc777", "agenttui", "a;b\x07\x1b]0;pwned") == "\x1b]777;notify;agenttui;ab]0pwned\x07"
    wrapped = desktop_sequence("osc9", "agenttui", "x", tmux=True)
    assert wrapped == "\x1bPtmux;\x1b\x1b]9;agenttui: x\x07\x1b\\"
    assert desktop_sequence(None, "agenttui", "x") is None
    n = Notifier(desktop="osc9")
    assert n.edge("auth", "needs-input", "permission prompt", now=1000.0)
    assert n.sequence is not None and "auth needs input" in n.sequence
