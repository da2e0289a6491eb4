"""Agent state and attention: working / needs-input / idle / done / failed, and unseen.

Sources, best first: Claude Code's hook events from the journal (``UserPromptSubmit``, tool calls
→ working; ``Notification`` / ``PermissionRequest`` → needs input, with why; ``Stop`` /
``SubagentStop`` → idle), the exit code (0 → done, else failed), and activity with hysteresis
(working while output or file events came in the last ``WORKING`` seconds, idle after ``IDLE``
seconds quiet, as amux does).  A change shows only once it has held ``HOLD`` seconds — except
done, failed and needs-input, which show at once — so states never flicker.  ``unseen`` marks an
agent that went to needs-input, done or failed until the user looks at it.  Pure: the caller feeds
observations (the pane grid each tick; ``agenttui status`` once).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

WORKING = 2.0  # s: activity this recent means working
IDLE = 6.0  # s: quiet this long means idle
HOLD = 1.0  # s a new state must hold before it shows (not for done / failed / needs-input)
STATES = ("needs-input", "failed", "done", "working", "idle")  # most urgent first
URGENT = {"needs-input", "done", "failed"}

WORKING_HOOKS = {"UserPromptSubmit", "PreToolUse", "PostToolUse", "SubagentStart"}
NEEDS_INPUT_HOOKS = {"Notification", "PermissionRequest"}
IDLE_HOOKS = {"Stop", "SubagentStop"}
FAILED_HOOKS = {"StopFailure"}  # Claude Code 2.1.332: a turn ended by an API error or a rate limit


@dataclass
class AgentState:
    state: str = "idle"
    since: float = field(default_factory=time.time)
    reason: str = ""
    unseen: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "since": self.since, "reason": self.reason, "unseen": self.unseen}


@dataclass
class _Pending:
    state: str
    reason: str
    first: float


def hook_signal(rec: dict[str, Any]) -> tuple[str, str] | None:
    """What one ``claude-code-hook`` journal record says about its agent's state."""
    hook = rec.get("hook")
    if hook in NEEDS_INPUT_HOOKS:
        why = rec.get("notification_type") or ("permission" if hook == "PermissionRequest" else "question")
        msg = str(rec.get("message") or "")
        if "idle" in str(why) or "waiting for your input" in msg:
            why = "idle prompt"
        return "needs-input", f"{why}: {msg}" if msg else str(why)
    if hook in WORKING_HOOKS:
        return "working", str(rec.get("tool_name") or hook)
    if hook in IDLE_HOOKS:
        return "idle", "finished its turn"
    if hook in FAILED_HOOKS:
        why = rec.get("error") or rec.get("message") or "an API error or a rate limit"
        return "needs-input", f"its turn failed: {why}"
    return None


_SPINNER = re.compile(r"^[\u2800-\u28ff]")


def title_signal(client: str | None, title: str) -> tuple[str, str] | None:
    """What an agent CLI's tmux pane title says of its state (read from Codex 0.171.0 and Gemini 0.61.0:
    ../shared/OTHER-CLIENTS-NOTES.md 1.6, 2.5).  Codex: a braille spinner first = working,
    ``[ ! ] Action Required`` = needs input, else idle; Gemini: ``✦`` working, ``✋`` action required,
    ``◇`` ready."""
    t = title.strip()
    if client == "codex":
        if "[ ! ] Action Required" in t:
            return "needs-input", "permission: Codex asks for approval"
        if _SPINNER.match(t):
            return "working", "Codex is working"
        return ("idle", "Codex is ready") if t else None
    if client == "gemini":
        if t.startswith("\u270b") or "Action Required" in t:
            return "needs-input", "permission: Gemini asks for approval"
        if t.startswith("\u2726"):
            return "working", "Gemini is working"
        if t.startswith("\u25c7"):
            return "idle", "Gemini is ready"
    return None


class StateTracker:
    def __init__(self, *, hold: float = HOLD, working: float = WORKING, idle: float = IDLE) -> None:
        self.hold, self.working, self.idle = hold, working, idle
        self.states: dict[str, AgentState] = {}
        self._pending: dict[str, _Pending] = {}

    def observe(
        self,
        name: str,
        *,
        now: float | None = None,
        alive: bool,
        exit_code: int | None = None,
        last_activity: float | None = None,
        hook: tuple[str, str, float] | None = None,
        focused: bool = False,
    ) -> tuple[AgentState, bool]:
        """Feed one agent's latest facts; returns its (shown) state and whether it just changed.
        *hook* is (state, reason, time) from its newest hook record."""
        now = time.time() if now is None else now
        cur = self.states.setdefault(name, AgentState(since=now))
        want, why = self._candidate(cur, now, alive, exit_code, last_activity, hook)
        changed = False
        if want == cur.state and why == cur.reason:
            self._pending.pop(name, None)
        elif want in URGENT or want == cur.state:
            changed = self._show(name, cur, want, why, now)
        else:
            p = self._pending.get(name)
            if p is None or p.state != want:
                self._pending[name] = _Pending(want, why, now)
            elif now - p.first >= self.hold:
                changed = self._show(name, cur, want, why, now)
        if focused:
            cur.unseen = False
        return cur, changed

    def _candidate(
        self,
        cur: AgentState,
        now: float,
        alive: bool,
        exit_code: int | None,
        last_activity: float | None,
        hook: tuple[str, str, float] | None,
    ) -> tuple[str, str]:
        if not alive and exit_code is not None:
            return ("done", "exited 0") if exit_code == 0 else ("failed", f"exited {exit_code}")
        recent_hook = hook is not None and (last_activity is None or hook[2] >= last_activity - self.working)
        if hook is not None and recent_hook:
            state, why, t = hook
            if state in ("needs-input", "idle"):
                return state, why
            if state == "working" and now - t < self.idle:
                return state, why
        if last_activity is not None and now - last_activity < self.working:
            return "working", "output or file changes"
        if last_activity is None or now - last_activity >= self.idle:
            return "idle", "quiet"
        return cur.state, cur.reason  # between the two thresholds: keep what it was (hysteresis)

    def _show(self, name: str, cur: AgentState, state: str, reason: str, now: float) -> bool:
        self._pending.pop(name, None)
        changed = state != cur.state
        if changed:
            cur.since = now
            cur.unseen = state in URGENT
        cur.state, cur.reason = state, reason
        return changed

    def seen(self, name: str) -> None:
        if name in self.states:
            self.states[name].unseen = False

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.states.values():
            out[s.state] = out.get(s.state, 0) + 1
        return out

    def next_for_attention(self, order: list[str], after: str | None = None) -> str | None:
        """The next agent needing the user: needs-input first, then done/failed unseen."""

        def rank(n: str) -> int | None:
            s = self.states.get(n)
            if s is None:
                return None
            if s.state == "needs-input":
                return 0
            if s.state in ("done", "failed") and s.unseen:
                return 1
            return None

        queue = [n for level in (0, 1) for n in order if rank(n) == level]
        if not queue:
            return None
        if after in queue:
            return queue[(queue.index(after) + 1) % len(queue)]
        return queue[0]


def urgency(state: AgentState | None) -> int:
    """How soon an agent needs the user, for ordering the grid (0 first): needs input, failed or
    done and unseen, working, idle, seen done/failed, not known yet."""
    if state is None:
        return 6
    if state.state == "needs-input":
        return 0
    if state.state == "failed" and state.unseen:
        return 1
    if state.state == "done" and state.unseen:
        return 2
    return {"working": 3, "idle": 4}.get(state.state, 5)


def dispatch_titles(records: list[dict[str, Any]]) -> dict[str, str]:
    """Claude Code subagents by their dispatch: the worktree folder the client makes for one
    (``agent-<id>``) -> "description (subagent_type)", from the PostToolUse records of ``Agent``
    calls (their response names the launched agent's id)."""
    out: dict[str, str] = {}
    for rec in records:
        aid = rec.get("launched_agent_id")
        if rec.get("event") != "claude-code-hook" or not isinstance(aid, str) or not aid:
            continue
        what = str(rec.get("description") or "").strip() or "subagent"
        kind = str(rec.get("subagent_type") or "general-purpose")
        out[f"agent-{aid}"] = f"{what} ({kind})"
    return out


def hooks_by_agent(records: list[dict[str, Any]], names: dict[str, str]) -> dict[str, tuple[str, str, float]]:
    """The newest state signal per agent from ``claude-code-hook`` records.  A record names its
    agent by ``AGENTTUI_AGENT`` (set by the supervisor for plan agents), else by its cwd (a subagent's
    worktree); *names* maps worktree paths to agent names."""
    out: dict[str, tuple[str, str, float]] = {}
    for rec in records:
        if rec.get("event") != "claude-code-hook":
            continue
        agent = rec.get("agent")
        if not agent:
            cwd = str(rec.get("cwd") or "")
            agent = next(
                (n for path, n in names.items() if cwd == path or cwd.startswith(path.rstrip("/") + "/")), None
            )
        sig = hook_signal(rec)
        if agent and sig is not None:
            out[str(agent)] = (sig[0], sig[1], float(rec.get("time", 0)))
    return out


def offline_states(
    records: list[dict[str, Any]],
    agents: list[dict[str, Any]],
    *,
    now: float | None = None,
    alive: dict[str, bool] | None = None,
) -> dict[str, AgentState]:
    """Each agent's state for ``agenttui status`` (no supervisor running): from the journal (its
    launch, exit and hook records), whether its process lives, and its log's last write."""
    import os

    now = time.time() if now is None else now
    launches = {r["agent"]: r for r in records if r.get("event") == "launch" and isinstance(r.get("agent"), str)}
    exits = {r["agent"]: r for r in records if r.get("event") == "exit" and isinstance(r.get("agent"), str)}
    names = {str(a["worktree"]): a["name"] for a in agents if a.get("worktree")}
    hooks = hooks_by_agent(records, names)
    out: dict[str, AgentState] = {}
    for a in agents:
        name = a["name"]
        live = (alive or {}).get(name, a.get("pid") is not None)
        ex = exits.get(name)
        launched = launches.get(name)
        if not live and ex is not None and (launched is None or ex["time"] >= launched["time"]):
            code = ex.get("code")
            ok = code == 0
            out[name] = AgentState("done" if ok else "failed", float(ex["time"]), f"exited {code}")
            continue
        hook = hooks.get(name)
        activity = None
        log = (launched or {}).get("log")
        if isinstance(log, str):
            try:
                activity = os.stat(log).st_mtime
            except OSError:
                activity = None
        if hook is not None and (activity is None or hook[2] >= activity - WORKING):
            out[name] = AgentState(hook[0], hook[2], hook[1])
        elif activity is not None and now - activity < IDLE:
            out[name] = AgentState("working", activity, "output")
        elif live or activity is not None:
            out[name] = AgentState("idle", activity or float((launched or {}).get("time", now)), "quiet")
        else:
            out[name] = AgentState("idle", now, "not running")
    return out
