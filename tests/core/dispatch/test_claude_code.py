"""Claude Code bursts from the journal: the announcement the supervisor shows for them."""

from __future__ import annotations

from agenttui.core.dispatch.claude_code import latest_burst


def rec(t: float, decision: str, session: str = "s", **kw: object) -> dict[str, object]:
    return {
        "time": t,
        "event": "claude-code-dispatch",
        "decision": decision,
        "session": session,
        "subagent_type": kw.get("stype", "general-purpose"),
        "isolated": decision in ("allow", "rewrite") and not kw.get("read_only"),
        "read_only": kw.get("read_only", False),
    }


def test_all_isolated() -> None:
    b = latest_burst([rec(1, "allow"), rec(2, "allow"), rec(3, "rewrite"), rec(4, "allow")])
    assert b is not None
    assert b.sentence == "Claude Code dispatched 4 subagents: all isolated (1 by rewrite) \u2014 verified"


def test_denied_named_and_bursts_split_by_gap_and_session() -> None:
    old = [rec(1, "deny", stype="old")]
    b = latest_burst([*old, rec(100, "allow"), rec(101, "deny", stype="writer"), {"event": "fire"}])
    assert b is not None and len(b.records) == 2
    assert b.sentence == "Claude Code dispatched 2 subagents: 1 denied for missing isolation (writer)"
    b2 = latest_burst([rec(100, "allow", session="a"), rec(101, "allow", session="b")])
    assert b2 is not None and len(b2.records) == 1


def test_read_only_mix_and_nothing() -> None:
    b = latest_burst([rec(1, "allow"), rec(2, "allow", read_only=True)])
    assert b is not None and b.sentence == "Claude Code dispatched 2 subagents: 1 isolated, 1 read-only \u2014 verified"
    assert latest_burst([{"event": "announce"}]) is None
