"""The incident's one timeline: what git logged, matched to the tool calls that caused it.

Sources, one reader each, all into :class:`~agenttui.core.clients.AgentRun`:
- the clients' transcripts (``core/clients/claude_code.py``), found on disk — nothing of agenttui needs
  to have been installed;
- agenttui's own journal where its Claude Code hooks ran (PostToolUse records carry the agent id, the
  command, what git printed and the dispatch's prompt);
- git's reflogs — HEAD of the main checkout and of every linked worktree, each branch, ``refs/stash`` —
  read with one ``git log -g --all``.

:func:`attribute` names the tool call behind each reflog entry from three things together: the git verb
in the command (``checkout``/``switch`` for "checkout: moving from a to b", ``stash`` for a stash entry
and the "reset: moving to HEAD" it leaves, ``commit``, ``worktree`` ...), the names the entry carries
(the branch checked out, the commit subject, the stash message) in the command or in what git printed,
and time (reflogs keep whole seconds; a call spans issue to result).  When calls of two agents fit
equally, the entry is ``unknown`` — a name is never guessed.

:func:`incident_start` finds the baseline without being told a time: the first dispatch of two or more
code-writing agents sharing a checkout; without any dispatch on record, the last quiet point before the
newest burst of reflog activity (:func:`quiet_point`), said as such.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agenttui.base.stashmsg import stash_branch
from agenttui.core import journal
from agenttui.core.clients import AgentRun, ReadStats, ToolCall, claude_code, codex, gemini
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths
from agenttui.core.git.reflog import ReflogEntry, reflog_entries

#: subagent types that cannot write code (Claude Code's built-ins without Edit/Write); Bash aside
READ_ONLY_TYPES = frozenset({"Explore", "Plan", "claude-code-guide", "statusline-setup"})
#: a gap this long in reflog activity separates the newest burst from what came before
QUIET_GAP = 300.0


# ----------------------------------------------------------------------------------- sources
def journal_runs(paths: RepoPaths, since: float | None) -> list[AgentRun]:
    """Agent runs from agenttui's Claude Code hook records (when its hooks were installed)."""
    runs: dict[str, AgentRun] = {}
    names: dict[str, dict[str, Any]] = {}
    for r in journal.read(paths):
        if since is not None and float(r.get("time") or 0) < since - 3600:
            continue
        if r.get("event") == "claude-code-hook" and r.get("hook") == "PostToolUse":
            t = float(r.get("time") or 0)
            if r.get("tool_name") in claude_code.DISPATCH_TOOLS and r.get("launched_agent_id"):
                names[str(r["launched_agent_id"])] = {
                    "name": r.get("description"),
                    "prompt": r.get("prompt"),
                    "type": r.get("subagent_type"),
                    "time": t,
                    "isolation": r.get("isolation"),
                    "session": r.get("session_id"),
                }
                continue
            aid = str(r.get("agent_id") or r.get("session_id") or "")
            if not aid:
                continue
            run = runs.get(aid)
            if run is None:
                run = runs[aid] = AgentRun(
                    "claude-code",
                    aid,
                    "",
                    str(r.get("agent_type") or "main"),
                    "",
                    str(r.get("session_id") or ""),
                    t,
                    None,
                    None,
                    "",
                    main_thread=not r.get("agent_id"),
                )
            inp: dict[str, Any] = {}
            if r.get("command"):
                inp["command"] = r["command"]
            for p in r.get("paths") or []:
                inp["file_path"] = p
            run.calls.append(
                ToolCall(
                    aid,
                    str(r.get("tool_name") or ""),
                    inp,
                    t,
                    t,
                    str(r.get("stdout") or ""),
                    True,
                    str(r.get("cwd") or ""),
                    "hook",
                )
            )
    for aid, run in runs.items():
        info = names.get(aid, {})
        run.name = str(info.get("name") or (f"session {aid[:8]}" if run.main_thread else f"agent {aid[:8]}"))
        run.prompt = str(info.get("prompt") or "")
        run.dispatched = float(info.get("time") or min((c.start for c in run.calls), default=run.dispatched))
        run.isolation = info.get("isolation")
        if info.get("type"):
            run.agent_type = str(info["type"])
    # dispatched agents that made no tool call the hooks recorded still have a task to re-dispatch
    for aid, info in names.items():
        if aid not in runs:
            runs[aid] = AgentRun(
                "claude-code",
                aid,
                str(info.get("name") or f"agent {aid[:8]}"),
                str(info.get("type") or "general-purpose"),
                str(info.get("prompt") or ""),
                str(info.get("session") or ""),
                float(info.get("time") or 0),
                info.get("isolation"),
                None,
                "",
            )
    return list(runs.values())


#: a trace file bigger than this is not read (git writes a few KB a process)
MAX_TRACE = 4 * 1024 * 1024


def trace2_runs(paths: RepoPaths, since: float | None) -> list[AgentRun]:
    """The git commands of the agents agenttui launched, as git itself reported them
    (``GIT_TRACE2_EVENT``, set by the launcher): top-level processes only (a nested git's session id
    carries a "/")."""
    import json
    import shlex
    from datetime import datetime

    root = paths.agenttui_dir / "trace2"
    try:
        agents = sorted((e for e in os.scandir(root) if e.is_dir(follow_symlinks=False)), key=lambda e: e.name)
    except OSError:
        return []
    runs = []
    for agent in agents:
        calls = []
        try:
            files = [f for f in os.scandir(agent.path) if f.is_file(follow_symlinks=False)]
        except OSError:
            continue
        for f in files:
            try:
                st = f.stat(follow_symlinks=False)
                if (since is not None and st.st_mtime < since) or st.st_size > MAX_TRACE or "/" in f.name:
                    continue
                text = Path(f.path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            argv: list[str] = []
            start = end = None
            base: float | None = None  # the clock (brief events carry it only on the first, "version")
            worktree, code = "", 0
            for line in text.splitlines():
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(ev, dict) or "/" in str(ev.get("sid", "")):
                    continue
                if isinstance(ev.get("time"), str):
                    try:
                        t = datetime.fromisoformat(ev["time"].replace("Z", "+00:00")).timestamp()
                    except ValueError:
                        continue
                    if base is None:
                        base = t - float(ev.get("t_abs") or 0)
                elif base is not None and isinstance(ev.get("t_abs"), (int, float)):
                    t = base + float(ev["t_abs"])
                else:
                    t = None
                kind = ev.get("event")
                if kind == "start" and isinstance(ev.get("argv"), list) and t is not None:
                    argv, start = [str(a) for a in ev["argv"]], t
                elif kind == "def_repo" and isinstance(ev.get("worktree"), str) and not worktree:
                    worktree = ev["worktree"]
                elif kind in ("exit", "atexit") and t is not None:
                    end, code = t, int(ev.get("code") or 0)
            if argv and start is not None:
                calls.append(
                    ToolCall(
                        agent.name,
                        "git",
                        {"command": shlex.join(argv)},
                        start,
                        end or start,
                        "",
                        code == 0,
                        worktree,
                        "trace2",
                    )
                )
        if calls:
            calls.sort(key=lambda c: c.start)
            runs.append(
                AgentRun(
                    "plan", agent.name, agent.name, "plan", "", "", calls[0].start, None, None, agent.path, calls=calls
                )
            )
    return runs


def checkout_refs(paths: RepoPaths) -> dict[str, str]:
    """Each checkout's path -> the ref of its HEAD reflog: "HEAD" for the main checkout,
    "worktrees/<id>/HEAD" for a linked one (its admin folder's name)."""
    out: dict[str, str] = {}
    main = gitrepo.main_checkout(paths)
    if main is not None:
        out[os.path.normpath(main)] = "HEAD"
    try:
        ids = os.listdir(paths.common_dir / "worktrees")
    except OSError:
        return out
    for wid in ids:
        try:
            gitdir = (paths.common_dir / "worktrees" / wid / "gitdir").read_text().strip()
        except OSError:
            continue
        out[os.path.normpath(os.path.dirname(gitdir))] = f"worktrees/{wid}/HEAD"
    return out


def checkout_roots(paths: RepoPaths) -> list[str]:
    """The main checkout and every linked worktree: where the repository's sessions ran."""
    return [str(w.path) for w in gitrepo.list_worktrees(paths)]


def all_runs(paths: RepoPaths, since: float | None = None, home: str | None = None) -> tuple[list[AgentRun], ReadStats]:
    """The transcripts' runs, and the journal's for agents no transcript holds (one timeline)."""
    roots = checkout_roots(paths)
    runs, stats = claude_code.read_runs(roots, since, home)
    runs += codex.read_runs(roots, since, home, stats)[0]  # one reader per client, one timeline
    runs += gemini.read_runs(roots, since, home, stats)[0]
    runs += trace2_runs(paths, since)
    have = {r.id for r in runs}
    for jr in journal_runs(paths, since):
        if jr.id in have:
            continue
        runs.append(jr)
    return runs, stats


# ----------------------------------------------------------------------------------- baseline
def writes_code(run: AgentRun) -> bool:
    return not run.main_thread and run.agent_type not in READ_ONLY_TYPES


def incident_start(runs: list[AgentRun]) -> tuple[float, list[AgentRun]] | None:
    """The first moment two or more code-writing agents worked in a shared checkout, and who."""
    # (agents agenttui launched from a plan are not dispatches of a client: their announcement is the record)
    shared = sorted(
        (r for r in runs if writes_code(r) and r.isolation != "worktree" and r.client != "plan"),
        key=lambda r: r.dispatched,
    )
    for i, first in enumerate(shared):
        end = max([c.end for c in first.calls] + [first.last, first.dispatched])
        # (any two in the main checkout at once: one session's subagents, or two clients' sessions)
        group = [first] + [r for r in shared[i + 1 :] if r.dispatched <= end]
        if len(group) >= 2:
            return first.dispatched, group
    return None


def quiet_point(entries: list[ReflogEntry], gap: float = QUIET_GAP) -> float | None:
    """The last quiet moment before the newest burst of reflog activity (entries closer than *gap*)."""
    times = sorted({e.time for e in entries})
    if not times:
        return None
    start = times[-1]
    for earlier in reversed(times[:-1]):
        if start - earlier > gap:
            break
        start = earlier
    return start - 0.5


# ----------------------------------------------------------------------------------- attribution
@dataclass
class Attribution:
    entry: ReflogEntry
    run: AgentRun | None
    call: ToolCall | None
    via: str  # "transcript", "hook", "trace2", "unknown"
    why: str = ""
    candidates: list[tuple[AgentRun, ToolCall]] = field(default_factory=list)  # when unknown: who fits

    def actor(self) -> dict[str, Any]:
        if self.run is None or self.call is None:
            return {
                "agent": None,
                "agent_id": None,
                "client": None,
                "via": "unknown",
                "why": self.why,
                "pid": None,
                "ancestry": [],
                "cmdline": [],
            }
        return {
            "agent": self.run.name,
            "agent_id": self.run.id,
            "client": self.run.client,
            "via": self.via,
            "command": self.call.command[:500],
            "at": self.call.start,
            "pid": None,
            "ancestry": [],
            "cmdline": [self.call.command[:500]],
        }


_VERBS = {
    "checkout": ("checkout", "switch"),
    "commit": ("commit", "merge", "pull", "cherry-pick", "revert", "rebase", "am"),
    "reset": ("stash", "reset", "pull", "rebase"),
    "branch-create": ("checkout", "switch", "branch", "worktree"),
    "branch-reset": ("branch", "checkout", "switch"),
    "merge": ("merge", "pull"),
    "rebase": ("rebase", "pull"),
    "pull": ("pull",),
    "cherry-pick": ("cherry-pick",),
    "revert": ("revert",),
    "am": ("am",),
    "stash-push": ("stash",),
    "worktree-add": ("worktree",),
}
_STASH_NOT_PUSH = re.compile(r"\bstash\s+(?:list|show|pop|apply|drop|clear|branch)\b")


def _names(e: ReflogEntry) -> list[str]:
    """The words of an entry a command or git's answer would carry."""
    m = e.message
    if e.kind == "checkout":
        target = m.rsplit(" to ", 1)[-1]
        return [target]
    if e.kind == "commit":
        return [m.split(": ", 1)[-1].splitlines()[0]] if ": " in m else []
    if e.kind == "stash-push":
        rest = m.split(": ", 1)[-1]
        return [rest] if not m.startswith("WIP on") else []
    if e.kind == "branch-create" and e.ref.startswith("refs/heads/"):
        return [e.ref.removeprefix("refs/heads/")]
    if e.kind == "worktree-add":
        return [e.ref.split("/")[1]] if e.ref.startswith("worktrees/") else []
    return []


def _has_verb(command: str, verbs: tuple[str, ...]) -> bool:
    for verb in verbs:
        if re.search(rf"\bgit\b[^;&|\n]*?\s{re.escape(verb)}\b", command):
            if (
                verb == "stash"
                and _STASH_NOT_PUSH.search(command)
                and not re.search(r"\bstash(?:\s+-\S+)*\s*(?:$|[;&|]|\s(?:push|save)\b)", command)
            ):
                continue
            return True
    return False


def _ref_of(cwd: str, checkouts: dict[str, str]) -> str | None:
    """The HEAD reflog of the checkout *cwd* is in ("HEAD" for the main checkout), deepest first."""
    p = os.path.normpath(cwd) if cwd else ""
    for root in sorted(checkouts, key=len, reverse=True):
        if p == root or p.startswith(root.rstrip("/") + "/"):
            return checkouts[root]
    return None


def _branches_during(moves: list[ReflogEntry], t: int) -> set[str]:
    """The branches a checkout had during second *t*, from its HEAD reflog's checkouts (the target of the
    last one before, the source of the first one after, both ends of those within); empty: not known."""
    out: set[str] = set()
    before = [m for m in moves if m.time < t]
    within = [m for m in moves if m.time == t]
    after = [m for m in moves if m.time > t]
    if before:
        out.add(before[-1].message.rsplit(" to ", 1)[-1])
    elif within or after:
        out.add((within or after)[0].message.removeprefix("checkout: moving from ").rsplit(" to ", 1)[0])
    for m in within:
        out.add(m.message.rsplit(" to ", 1)[-1])
    return out


def _fits(
    e: ReflogEntry,
    c: ToolCall,
    checkouts: dict[str, str] | None = None,
    resets: dict[str, set[int]] | None = None,
    moves: dict[str, list[ReflogEntry]] | None = None,
) -> int:
    """0: this call cannot have made this entry; else a score (higher: more evidence)."""
    if c.tool not in ("Bash", "PowerShell", "Monitor", "git") or not c.command:
        return 0
    if not (math.floor(c.start) - 1 <= e.time <= math.floor(c.end) + 1):
        return 0
    verbs = _VERBS.get(e.kind, (e.message.split(" ", 1)[0].rstrip(":"),))
    if e.ref.startswith("worktrees/") and e.seq <= 1 and e.kind in ("reset", "worktree-add"):
        verbs = ("worktree",)  # `git worktree add` starts the new worktree's HEAD log with two entries
    if not _has_verb(c.command, verbs):
        return 0
    score = 2 if math.floor(c.start) <= e.time <= math.floor(c.end) else 1  # inside its own seconds: better
    text = c.command + "\n" + c.result
    names = [n for n in _names(e) if n]
    if names:  # an entry that carries a name (branch, subject, message) is only made by a call naming it
        hits = sum(1 for n in names if n in text)
        if not hits:
            return 0
        score += 3 * hits
    if e.ref.startswith("worktrees/") and e.kind != "worktree-add":
        # another worktree's HEAD: the call must have run there
        wt = e.ref.split("/")[1]
        if wt not in c.command and f"/{wt}" not in c.cwd and not c.cwd.endswith(f"/{wt}"):
            return 0
    if c.source == "trace2" and checkouts:  # git said where it ran: the entry must be of that checkout
        ran = _ref_of(c.cwd, checkouts)
        if ran is not None:
            if e.ref.endswith("HEAD") and e.ref != ran and verbs != ("worktree",):
                return 0
            # a stash push resets the checkout it ran in while it runs (a push with nothing to save,
            # exit 0 too, leaves no such entry: it made no stash)
            if (
                e.ref == "refs/stash"
                and resets is not None
                and not any(math.floor(c.start) - 1 <= t <= math.floor(c.end) + 1 for t in resets.get(ran, set()))
            ):
                return 0
            # ... and it was made on the branch that checkout had then ("On <branch>: message")
            on = stash_branch(e.message)
            if e.ref == "refs/stash" and on and moves is not None:
                had = _branches_during(moves.get(ran, []), e.time)
                if had and on not in had:
                    return 0
    return score


def attribute(
    entries: list[ReflogEntry], runs: list[AgentRun], checkouts: dict[str, str] | None = None
) -> list[Attribution]:
    """*checkouts*: each checkout's path -> its HEAD reflog ("HEAD", "worktrees/<id>/HEAD")."""
    calls = [(r, c) for r in runs for c in r.calls]
    resets: dict[str, set[int]] = {}
    moves: dict[str, list[ReflogEntry]] = {}
    for e in entries:
        if e.ref.endswith("HEAD") and e.message.startswith("reset: moving to HEAD"):
            resets.setdefault(e.ref, set()).add(e.time)
        if e.ref.endswith("HEAD") and e.kind == "checkout":
            moves.setdefault(e.ref, []).append(e)
    for m in moves.values():
        m.sort(key=lambda e: e.seq)
    out = []
    for e in entries:
        scored = [(s, r, c) for r, c in calls if (s := _fits(e, c, checkouts, resets, moves))]
        if not scored:
            out.append(Attribution(e, None, None, "unknown", "no tool call on record fits it"))
            continue
        best = max(s for s, _, _ in scored)
        top = [(r, c) for s, r, c in scored if s == best]
        agents = {r.id for r, _ in top}
        if len(agents) > 1:
            names = sorted({r.name for r, _ in top})
            out.append(
                Attribution(e, None, None, "unknown", f"fits calls of {len(agents)} agents: {', '.join(names)}", top)
            )
            continue
        run, call = min(top, key=lambda rc: abs(rc[1].start - e.time))
        out.append(Attribution(e, run, call, call.source))
    _by_order(out)
    _by_place(out)
    return out


def _by_place(out: list[Attribution]) -> None:
    """An entry several agents' calls fit alike, placed by its neighbours in its own log: git writes a
    log in the order its commands run, so the call that made it ran between the calls that made the
    known entries before and after it.  When that leaves one agent, it is named ("by its place")."""
    by_ref: dict[str, list[Attribution]] = {}
    for a in out:
        by_ref.setdefault(a.entry.ref, []).append(a)
    for log in by_ref.values():
        log.sort(key=lambda a: a.entry.seq)
        for i, a in enumerate(log):
            if a.run is not None or not a.candidates:
                continue
            before = next((b.call for b in reversed(log[:i]) if b.call is not None), None)
            after = next((b.call for b in log[i + 1 :] if b.call is not None), None)
            fits = [
                (r, c)
                for r, c in a.candidates
                if (before is None or c.end >= before.start) and (after is None or c.start <= after.end)
            ]
            if len({r.id for r, _ in fits}) == 1:
                run, call = fits[0]
                a.run, a.call, a.via = run, call, call.source
                a.why = "by its place in its log, between entries whose calls are known"


def _by_order(out: list[Attribution]) -> None:
    """Entries git wrote in one second that several calls fit alike (two agents' `git stash push -m
    same` in one second): git appends to a reflog in the order its commands finish, so when as many
    calls as entries fit and each call ended before the next began, the n-th entry is the n-th call's.
    Calls that overlapped stay unknown."""
    groups: dict[tuple[str, int, str], list[Attribution]] = {}
    for a in out:
        if a.run is None and a.candidates:
            groups.setdefault((a.entry.ref, a.entry.time, a.entry.kind), []).append(a)
    for group in groups.values():
        calls = {id(c): (r, c) for a in group for r, c in a.candidates}
        if len(calls) != len(group) or any({id(c) for _, c in a.candidates} != set(calls) for a in group):
            continue
        ordered = sorted(calls.values(), key=lambda rc: rc[1].start)
        if any(ordered[i][1].end > ordered[i + 1][1].start for i in range(len(ordered) - 1)):
            continue  # they overlapped: which finished first is not known
        for a, (run, call) in zip(sorted(group, key=lambda a: a.entry.seq), ordered, strict=True):
            a.run, a.call, a.via = run, call, call.source
            a.why = "by the order git wrote them and the calls ran"


# ----------------------------------------------------------------------------------- file revisions
@dataclass(frozen=True)
class Revision:
    """One version of a file an agent wrote, in the order it wrote them."""

    agent_id: str
    path: str  # absolute, as the tool call named it
    time: float
    content: bytes | None  # None: the change is known, its whole content is not (an Edit of a file never read)
    tool: str

    @property
    def blob(self) -> str | None:
        if self.content is None:
            return None
        return hashlib.sha1(b"blob %d\0" % len(self.content) + self.content).hexdigest()


_READ_LINE = re.compile(r"^\s*(\d+)[\t\u2192](.*)$")


def read_result_content(result: str) -> str | None:
    """The file a Read tool result shows (``N<tab>line`` per line), or None when it is not whole."""
    lines = result.split("\n")
    out: list[str] = []
    for n, line in enumerate(lines, 1):
        m = _READ_LINE.match(line)
        if not m:
            rest = "\n".join(lines[n - 1 :]).strip()
            if rest.startswith("<system-reminder>") or not rest:
                break
            return None
        if int(m.group(1)) != n:
            return None
        out.append(m.group(2))
    if not out or len(out) >= 2000:  # the client's default limit: the rest was cut
        return None
    return "\n".join(out)


def revisions(run: AgentRun) -> list[Revision]:
    """Every file version *run* wrote with Write or Edit, its content rebuilt by replaying its Edits on
    what it last wrote or read of the file."""
    known: dict[str, str] = {}
    out: list[Revision] = []
    for c in run.calls:
        path = c.input.get("file_path")
        if not isinstance(path, str) or not c.ok:
            continue
        if c.tool == "Read":
            if c.input.get("offset") is None and c.input.get("limit") is None:
                text = read_result_content(c.result)
                if text is not None:
                    known[path] = text
            continue
        if c.tool == "Write" and isinstance(c.input.get("content"), str):
            known[path] = c.input["content"]
            out.append(Revision(run.id, path, c.end, known[path].encode(), "Write"))
        elif c.tool == "Edit":
            old, new = c.input.get("old_string"), c.input.get("new_string")
            prior = known.get(path)
            content = None
            if prior is not None and isinstance(old, str) and isinstance(new, str) and old in prior:
                content = prior.replace(old, new) if c.input.get("replace_all") else prior.replace(old, new, 1)
                known[path] = content
            else:
                known.pop(path, None)
            out.append(Revision(run.id, path, c.end, content.encode() if content is not None else None, "Edit"))
    return out


def relative(path: str, roots: list[str]) -> tuple[str, str] | None:
    """(checkout root, path inside it) for an absolute *path*, the deepest root first; None: outside."""
    p = os.path.normpath(path)
    for root in sorted(roots, key=len, reverse=True):
        r = os.path.normpath(root)
        if p.startswith(r + "/"):
            return r, p[len(r) + 1 :]
    return None


@dataclass
class Timeline:
    runs: list[AgentRun]
    stats: ReadStats
    entries: list[ReflogEntry]
    attributions: list[Attribution] = field(default_factory=list)
    start: float | None = None  # the incident's first dispatch (None: no dispatch on record)
    group: list[AgentRun] = field(default_factory=list)
    #: per ref, its first entry made by the incident (a call of an agent dispatched since its start):
    #: what came before it in that log is the baseline, whatever second git wrote it in
    cuts: dict[str, ReflogEntry] = field(default_factory=dict)

    def run(self, agent_id: str) -> AgentRun | None:
        return next((r for r in self.runs if r.id == agent_id), None)

    def in_incident(self, e: ReflogEntry, since: float, by_dispatch: bool = False) -> bool:
        """Whether *e* belongs to the incident: after *since*; for a baseline found at the dispatch, by
        position in its log (from the incident's first entry there), and — in a log the incident's
        agents never wrote — only after the dispatch's own second (what git logged in that second
        and no call of theirs explains came before)."""
        if not by_dispatch or self.start is None:
            return e.time > since
        cut = self.cuts.get(e.ref)
        return e.seq >= cut.seq if cut is not None else e.time > max(since, math.floor(self.start))


def build(paths: RepoPaths, home: str | None = None, window: float | None = None) -> Timeline:
    """Everything on disk about the newest incident: runs, reflog entries, and who made each entry."""
    entries = reflog_entries(paths)
    if window is None:  # only sessions written to during the newest burst of git activity or after
        q = quiet_point(entries, gap=3600)
        window = None if q is None else q - 3600
    runs, stats = all_runs(paths, window, home)
    found = incident_start(runs)
    tl = Timeline(runs, stats, entries)
    if found:
        tl.start, tl.group = found
    tl.attributions = attribute(entries, runs, checkout_refs(paths))
    if tl.start is not None:
        start = tl.start
        for a in tl.attributions:
            run, call, e = a.run, a.call, a.entry
            if run is None or call is None or run.main_thread or run.dispatched < start - 1 or call.start < start - 1:
                continue
            if e.ref not in tl.cuts or e.seq < tl.cuts[e.ref].seq:
                tl.cuts[e.ref] = e
    return tl


def baseline_time(tl: Timeline) -> float | None:
    """A *since* for the reflogs that puts every entry the incident's agents made after it: the first
    dispatch, moved before the first entry (in the same whole second) a call of theirs made."""
    if tl.start is None:
        return None
    since = tl.start
    for a in tl.attributions:
        if a.run is not None and a.call is not None and a.call.start >= tl.start - 1 and a.entry.time <= since:
            since = min(since, a.entry.time - 0.5)
    return since


def slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.").lower()
    return s[:60] or "agent"


def agent_labels(runs: list[AgentRun]) -> dict[str, str]:
    """agent id -> a branch-safe unique label from its dispatch's name ("impl auth" -> "impl-auth")."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for r in sorted(runs, key=lambda r: (r.dispatched, r.id)):
        label = slug(r.name)
        if label in used:
            label = f"{label}-{slug(r.id)[:8]}"
        used.add(label)
        out[r.id] = label
    return out
