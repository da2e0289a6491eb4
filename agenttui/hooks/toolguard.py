"""The second guard, at the tool call: a subagent's Write/Edit/Bash/PowerShell/Monitor call that
would change the repository outside its own worktree is refused, with a reason naming the path and
the worktree.  Stdlib only; a few milliseconds.

The client itself refuses an isolated subagent's Write/Edit outside its worktree, but not
``cd <main> && echo … > f``, ``echo … > <main>/f``, or ``python3 -c`` running ``git -C <main>``
(CLAUDE-CODE-NOTES).  A command's text is read as sh reads it (:mod:`.shellparse`), and what it
shows is checked here: redirections, ``tee``, the writing programs' path arguments (``cp``, ``mv``,
``rm``, ``touch``, ``sed -i``, …), programs that may write unseen run in another checkout (``cd
<main> && make``, ``git -C <main> checkout``), ``git worktree add``, and code in an interpreter's
string (``python -c``).  Writes outside the repository's territory (the main checkout, its
worktrees, the git folder) pass: ``/tmp`` races with nobody.  What the text cannot show (a script
run from the worktree) the guard catches from the acting process.  The stash is shared by every
worktree: a subagent's ``git stash pop|apply|drop|clear`` of a stash made on another branch is
refused.  While two or more code-writing subagents of a session are live, an unisolated subagent's
write into the main checkout is refused ("isolate, or serialize").  The main thread's own calls (no
``agent_id``) and read-only work pass.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from agenttui.base.cmdtext import adds_worktree, command_targets, compiled, read_only
from agenttui.base.dotgit import escape_marker, git_line, read_text, repo_dirs
from agenttui.base.stashmsg import stash_branch

TYPE_CHECKING = False  # (typing.TYPE_CHECKING: importing typing costs every hook call: docs/MEASURED.md)
if TYPE_CHECKING:
    from typing import Any

GUARDED = ("Write", "Edit", "NotebookEdit", "Bash", "PowerShell", "Monitor")
_STASH = r"\bgit\b[^;&|\n]*?\bstash\s+(pop|apply|drop|clear)\b\s*(\S+)?"
LIVE = 3600.0  # s: a SubagentStart without its SubagentStop for this long is taken as gone


SHELL_TOOLS = ("Bash", "PowerShell", "Monitor")


def _escaped(common: str, own: str) -> str | None:
    try:
        with open(escape_marker(common, own), encoding="utf-8") as fh:
            rec = json.load(fh)
    except (OSError, ValueError):
        return None
    return str(rec.get("reason") or "it changed the main checkout") if isinstance(rec, dict) else None


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _territory(main: str, common: str) -> list[str]:
    """The repository's checkouts and git folder (real paths): the main checkout, the common git
    dir and every registered worktree (``<common>/worktrees/*/gitdir`` names its ``.git`` file)."""
    out = [os.path.realpath(main), os.path.realpath(common)]
    admin = os.path.join(common, "worktrees")
    try:
        ids = os.listdir(admin)
    except OSError:
        ids = []
    for i in ids:
        gitfile = read_text(os.path.join(admin, i, "gitdir"))
        if gitfile:
            out.append(os.path.realpath(os.path.dirname(gitfile)))
    return out


def _live_writers(journal: Path | None, session: str | None) -> int:
    """Subagents of *session* started and not yet stopped (SubagentStart/Stop records)."""
    if journal is None or not journal.is_file():
        return 0
    started: dict[str, float] = {}
    now = time.time()
    try:
        with open(journal, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if '"claude-code-hook"' not in line:
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("session_id") != session or not rec.get("agent_id"):
                    continue
                if rec.get("hook") == "SubagentStart":
                    started[rec["agent_id"]] = float(rec.get("time", now))
                elif rec.get("hook") == "SubagentStop":
                    started.pop(rec["agent_id"], None)
    except OSError:
        return 0
    return sum(1 for t in started.values() if now - t < LIVE)


def check_tool_call(payload: dict[str, Any], journal: Path | None) -> str | None:
    """Why this tool call is refused, or None."""
    tool = payload.get("tool_name")
    if tool not in GUARDED or not payload.get("agent_id"):
        return None  # the main thread's own calls, and tools that change nothing, pass
    cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
    raw_input = payload.get("tool_input")
    ti: dict[str, Any] = raw_input if isinstance(raw_input, dict) else {}
    if not cwd or not os.path.isdir(cwd):
        return None
    found = repo_dirs(cwd)
    if found is None:
        return None  # not in a repository: nothing of ours to guard
    own, common = found
    main = os.path.dirname(common) if common.endswith("/.git") else own
    isolated = os.path.normpath(own) != os.path.normpath(main)
    who = f"subagent {payload.get('agent_type') or payload.get('agent_id')}"
    if isolated and tool in SHELL_TOOLS and common:
        seen = _escaped(common, own)  # the guard caught it acting outside through a script
        if seen is not None:
            return (
                f"agenttui: {who} lost its shell: {seen}. Work inside {own} with Write/Edit; the user "
                "releases it by announcing again"
            )
    runs: list[str] = []
    cmds = None
    if tool in ("Write", "Edit", "NotebookEdit"):
        targets = [str(ti.get(k)) for k in ("file_path", "notebook_path") if isinstance(ti.get(k), str)]
        targets = [os.path.normpath(t if os.path.isabs(t) else os.path.join(cwd, t)) for t in targets]
    else:
        from agenttui.base.shellparse import commands

        command = str(ti.get("command") or "")
        cmds = commands(command, cwd)  # (read once: the targets, a new worktree, read-only)
        targets, runs = command_targets(cmds)
        stash = compiled(_STASH).search(command)
        if stash is not None:
            refused = _stash_refusal(cwd, own, stash.group(1), stash.group(2), who)
            if refused:
                return refused
        if adds_worktree(cmds):
            return (
                f"agenttui: {who} would add a git worktree of its own: agenttui gives each agent one "
                f"(its own is {own}); work there, or ask for a dispatch with isolation: worktree"
            )
    theirs: list[str] | None = None
    for t in [*targets, *runs]:
        if _inside(t, own) and _inside(os.path.realpath(t), os.path.realpath(own)):
            continue
        theirs = theirs if theirs is not None else [os.path.realpath(own), *_territory(main, common)]
        real = os.path.realpath(t)
        if not any(_inside(real, r) or _inside(r, real) for r in theirs[1:]) and not _inside(theirs[0], real):
            continue  # outside the repository and its worktrees (e.g. /tmp): nobody's checkout
        return (
            f"agenttui: {who} would change {t}, outside its worktree {own}: work inside it "
            "(every agent has its own worktree so that parallel agents do not race)"
        )
    if not isolated:
        mine = os.path.realpath(own)
        into = [t for t in targets if _inside(os.path.realpath(t), mine)]  # (outside: judged above)
        unsure = cmds is not None and not read_only(command, cmds, redirects=False)
        if (into or unsure) and _live_writers(journal, payload.get("session_id")) >= 2:
            what = "write into" if into else "run a command that may write into (its text does not say)"
            return (
                f"agenttui: {who} would {what} the main checkout {main} while other subagents run: "
                "dispatch it with isolation: worktree, or serialize"
            )
    return None


def _stash_refusal(cwd: str, own: str, verb: str, ref: str | None, who: str) -> str | None:
    """``refs/stash`` is shared by every worktree: only a stash made on this worktree's branch."""
    if verb == "clear":
        return f"agenttui: {who} may not clear the stash list: it is shared by every worktree and agent"
    branch = git_line(cwd, "symbolic-ref", "-q", "--short", "HEAD")
    target = ref if ref and ref.startswith("stash@{") else "stash@{0}"
    subject = (
        git_line(cwd, "log", "-g", "-1", "--format=%gs", target, "--")
        if target == "stash@{0}"
        else git_line(cwd, "log", "-1", "--format=%gs", "-g", "--skip", target[7:-1], "refs/stash", "--")
    )
    if subject is None:
        return None
    made_on = stash_branch(subject)
    if made_on and branch and made_on != branch:
        return (
            f"agenttui: {who} would {verb} {target} ({subject[:80]}), made on {made_on}, not on its "
            f"branch {branch}: the stash is shared by every worktree"
        )
    return None
