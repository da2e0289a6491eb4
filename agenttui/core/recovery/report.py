"""The incident reconstructed, with or without the supervisor having been open (``agenttui incident``).

The baseline (see :func:`.incident.find_baseline`) says what existed before; then every mutation
with its actor — from the ledger where the guard was armed, from git's own reflogs where it was
not (``via: "reflog"``, nobody named) — and the damage: stashes made (by whom, their files with the
untracked ones, and whether their changes are unique or already contained in a named ref), branches
made (by whom, commits of their own), commits that landed on branches that existed before, dirty
files of the main checkout (last known writer), self-made worktrees.  Pure reading: nothing moves.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

from agenttui.base.stashmsg import is_stash_message
from agenttui.core import journal
from agenttui.core.errors import AgentTuiError
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths
from agenttui.core.recovery import timeline
from agenttui.core.recovery.incident import Baseline, find_baseline

UNKNOWN: dict[str, Any] = {"agent": None, "pid": None, "ancestry": [], "cmdline": [], "via": "unknown"}
REFLOG: dict[str, Any] = {**UNKNOWN, "via": "reflog"}
_REL = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])(?:\s*ago)?$")


def parse_since(text: str, now: float | None = None) -> float:
    """A time: unix seconds, ISO 8601 (``2026-12-01 14:00``), or an age (``90s``, ``15m``, ``2h ago``);
    one before git existed or in the future is bad input, said in one line."""
    t = text.strip()
    now = time.time() if now is None else now
    bad = AgentTuiError(f"--since {text!r}: not a time (use unix seconds, 2026-12-01T14:00, or 30m)")
    try:
        if re.fullmatch(r"\d{9,11}(\.\d+)?", t):
            when = float(t)
        elif m := _REL.match(t.lower()):
            when = now - float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
        else:
            when = datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError):
        raise bad from None
    if not (1_000_000_000 <= when <= now + 86400):  # (2001 .. tomorrow: git's reflogs hold nothing else)
        raise AgentTuiError(f"--since {text!r}: {'in the future' if when > now else 'before any git history'}")
    return when


def _mutations(paths: RepoPaths, since: float) -> list[dict[str, Any]]:
    return journal.read(paths, "mutation", since=since)


def _blobs(paths: RepoPaths, specs: list[str]) -> dict[str, str | None]:
    """``<rev>:<path>`` -> blob sha (None: absent), one ``cat-file --batch-check``."""
    if not specs:
        return {}
    _, text, _ = gitcmd.run(
        paths.common_dir,
        ["cat-file", "--batch-check=%(objectname)"],
        input="".join(f"{s}\n" for s in specs),
        check=False,
    )
    lines = text.splitlines()
    return {
        s: (line if re.fullmatch(r"[0-9a-f]{40,64}", line) else None) for s, line in zip(specs, lines, strict=False)
    }


def stash_files_many(paths: RepoPaths, shas: list[str]) -> dict[str, tuple[list[str], set[str]]]:
    """Every stash's files (tracked changes and untracked files) and which are untracked — for all of
    them in two git calls, not four a stash (1,000 new stashes took 45 s that way)."""
    if not shas:
        return {}
    _, text, _ = gitcmd.run(
        paths.common_dir,
        [
            "log",
            "--no-walk=unsorted",
            "--stdin",
            "--diff-merges=first-parent",
            "--name-only",
            "-z",
            "--format=%x1e%H %P",
        ],
        input="".join(f"{s}\n" for s in shas),
        check=False,
    )
    parents: dict[str, list[str]] = {}
    tracked: dict[str, list[str]] = {}
    for rec in text.split("\x1e"):
        head, _, names = rec.partition("\0")
        words = head.split()
        if words:
            parents[words[0]] = words[1:]
            tracked[words[0]] = [n for n in names.removeprefix("\n").split("\0") if n]  # (a newline ends the header)
    thirds = {parents[s][2]: s for s in shas if len(parents.get(s, [])) > 2}
    untracked = _diff_tree_names(paths, list(thirds), list(thirds), root=True)
    out: dict[str, tuple[list[str], set[str]]] = {}
    for s in shas:
        third = parents[s][2] if len(parents.get(s, [])) > 2 else None
        new = set(untracked.get(third, [])) if third else set()
        out[s] = (sorted(set(tracked.get(s, [])) | new), new)
    return out


def _diff_tree_names(
    paths: RepoPaths, lines: list[str], keys: list[str], *, root: bool = False
) -> dict[str, list[str]]:
    """``diff-tree --stdin`` over many commits (or "<a> <b>" pairs): the names each one changes, in order."""
    if not lines:
        return {}
    args = ["diff-tree", "--stdin", "-r", "--name-only", "-z", "--no-renames"] + (["--root"] if root else [])
    _, text, _ = gitcmd.run(paths.common_dir, args, input="".join(f"{x}\n" for x in lines), check=False)
    out: dict[str, list[str]] = {k: [] for k in keys}
    current: str | None = None
    ids = [x.split() for x in lines]
    at = 0  # git answers the lines in order, each under a header naming one of its commits (none: no change)
    for item in text.split("\0"):
        item = item.strip("\n")
        if not item:
            continue
        j = next((k for k in range(at, len(ids)) if item in ids[k]), None) if _HEX.fullmatch(item) else None
        if j is not None:
            current, at = keys[j], j + 1
            continue
        if current is not None:
            out[current].append(item)
    return out


_HEX = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def containment_many(
    paths: RepoPaths, stashes: dict[str, tuple[list[str], set[str]]], refs: list[str]
) -> dict[str, str | None]:
    """For every stash, the first named ref already holding its version of every file (one
    ``cat-file --batch-check`` for all); None: its changes are unique."""
    specs: list[str] = []
    for sha, (files, new) in stashes.items():
        specs += [f"{sha}^3:{f}" if f in new else f"{sha}:{f}" for f in files]
        specs += [f"{r}:{f}" for r in refs for f in files]
    blobs = _blobs(paths, sorted(set(specs)))
    out: dict[str, str | None] = {}
    for sha, (files, new) in stashes.items():
        if not files:
            out[sha] = refs[0] if refs else None
            continue
        wanted = [blobs.get(f"{sha}^3:{f}" if f in new else f"{sha}:{f}") for f in files]
        out[sha] = next(
            (r for r in refs if all(blobs.get(f"{r}:{f}") == w for f, w in zip(files, wanted, strict=True))), None
        )
    return out


def last_writers(paths: RepoPaths, muts: list[dict[str, Any]], since: float, main: Any) -> dict[str, dict[str, Any]]:
    """Each path's last known writer: the ledger's file records, and — newer or better — Claude
    Code's PostToolUse records (``agent_id`` / ``agent_type``, the path written): ``via: "hook"``."""
    writers: dict[str, tuple[float, dict[str, Any]]] = {}
    for r in muts:
        if r.get("kind") == "file":
            actor = r.get("actor") or UNKNOWN
            for p in r.get("paths") or []:
                old = writers.get(p)
                if old is None or old[1].get("via") != "hook" or actor.get("agent"):
                    writers[p] = (float(r.get("time", 0)), actor)
    root = str(main).rstrip("/") + "/" if main is not None else None
    for r in journal.read(paths):
        if r.get("event") != "claude-code-hook" or r.get("hook") != "PostToolUse" or float(r.get("time", 0)) < since:
            continue
        agent = r.get("agent") or r.get("agent_type") or r.get("agent_id")
        actor = {
            "agent": agent,
            "pid": None,
            "ancestry": [],
            "cmdline": [str(r.get("command") or "")][:1],
            "via": "hook",
            "agent_id": r.get("agent_id"),
            "session": r.get("session_id"),
        }
        for p in r.get("paths") or []:
            rel = p[len(root) :] if root and p.startswith(root) else p
            writers[rel] = (float(r.get("time", 0)), actor)
    return {p: a for p, (_t, a) in writers.items()}


_LEDGER_KIND = {"commit": "commit", "branch-create": "branch-create", "stash-push": "stash-push"}


def _worktree_paths(paths: RepoPaths) -> dict[str, str]:
    """Linked worktrees' admin ids -> their paths (timeline.checkout_refs reads the admin folders)."""
    return {
        ref.split("/")[1]: path for path, ref in timeline.checkout_refs(paths).items() if ref.startswith("worktrees/")
    }


def reflog_mutations(
    paths: RepoPaths, tl: timeline.Timeline, since: float, by_dispatch: bool = False
) -> list[dict[str, Any]]:
    """Every reflog entry after *since*, as a ledger-shaped mutation with the actor the timeline found."""
    trees = _worktree_paths(paths)
    out = []
    for a in tl.attributions:
        e = a.entry
        if not tl.in_incident(e, since, by_dispatch):
            continue
        rec: dict[str, Any] = {
            "time": float(e.time),
            "event": "mutation",
            "ref": e.ref,
            "sha": e.new,
            "old_sha": e.old,
            "reason": e.message,
            "actor": a.actor(),
        }
        if e.ref == "HEAD" or e.ref.endswith("/HEAD"):
            rec["kind"] = "worktree-add" if e.kind == "worktree-add" else "head"
            if e.ref.startswith("worktrees/"):
                rec["worktree"] = trees.get(e.ref.split("/")[1], e.ref.split("/")[1])
                if e.kind == "worktree-add":
                    rec["path"] = rec["worktree"]
        elif e.ref == "refs/stash":
            rec["kind"] = "stash-push"
            rec["message"] = e.message
        else:
            rec["kind"] = _LEDGER_KIND.get(e.kind, "branch-move")
        out.append(rec)
    return out


def _who_wrote(tl: timeline.Timeline, root: str, since: float) -> dict[str, tuple[float, dict[str, Any]]]:
    """Each path of the checkout at *root*: the last agent whose Write/Edit made it (transcripts)."""
    out: dict[str, tuple[float, dict[str, Any]]] = {}
    for run in tl.runs:
        for rev in timeline.revisions(run):
            rel = timeline.relative(rev.path, [root])
            if rel is None or rev.time < since:
                continue
            if rel[1] not in out or out[rel[1]][0] <= rev.time:
                out[rel[1]] = (
                    rev.time,
                    {
                        "agent": run.name,
                        "agent_id": run.id,
                        "client": run.client,
                        "via": "transcript",
                        "pid": None,
                        "ancestry": [],
                        "cmdline": [f"{rev.tool} {rev.path}"],
                    },
                )
    return out


_DROPPED = re.compile(r"Dropped (?:refs/)?stash@\{\d+\} \(([0-9a-f]{7,64})\)")


def dropped_stashes(paths: RepoPaths, tl: timeline.Timeline, since: float, live: set[str]) -> list[dict[str, Any]]:
    """Stashes made during the incident that are no longer in the list — popped or dropped — but still
    commits: named by the call that printed "Dropped refs/stash@{0} (<sha>)", and any other unreachable
    stash-shaped commit of the incident's time (``git fsck --unreachable --no-reflogs``)."""
    took: dict[str, tuple[str, dict[str, Any]]] = {}
    for run in tl.runs:
        for c in run.calls:
            if c.end < since:
                continue
            for m in _DROPPED.finditer(c.result):
                how = "popped" if re.search(r"\bstash\s+pop\b", c.command) else "dropped"
                took.setdefault(
                    m.group(1),
                    (
                        how,
                        {
                            "agent": run.name,
                            "agent_id": run.id,
                            "client": run.client,
                            "via": c.source,
                            "command": c.command[:500],
                            "at": c.start,
                            "pid": None,
                            "ancestry": [],
                            "cmdline": [c.command[:500]],
                        },
                    ),
                )
    candidates: set[str] = set()
    if _objects(paths) <= FSCK_OBJECTS:  # a walk of every object: not on a kernel-sized repository
        _, text, _ = gitcmd.run(
            paths.common_dir,
            ["fsck", "--unreachable", "--no-reflogs", "--connectivity-only", "--no-progress"],
            check=False,
        )
        candidates = {line.split()[2] for line in text.splitlines() if line.startswith("unreachable commit ")}
    candidates |= set(took)
    if not candidates:
        return []
    _, log, _ = gitcmd.run(
        paths.common_dir,
        ["log", "--no-walk=unsorted", "--stdin", "--format=%H%x00%P%x00%ct%x00%s"],
        input="".join(f"{c}\n" for c in sorted(candidates)),
        check=False,
    )
    found = []
    for line in log.splitlines():
        sha, parents, ct, subject = (line.split("\0") + ["", "", "", ""])[:4]
        if sha in live or len(parents.split()) < 2 or not is_stash_message(subject):
            continue
        if ct.isdigit() and int(ct) >= since - 1:
            found.append((sha, int(ct), subject))
    details = stash_files_many(paths, [sha for sha, _, _ in found])
    out = []
    for sha, when, subject in found:
        how, actor = next(((h, a) for short, (h, a) in took.items() if sha.startswith(short)), ("unreachable", UNKNOWN))
        files, new = details[sha]
        out.append(
            {
                "sha": sha,
                "message": subject,
                "date": when,
                "files": files,
                "how": how,
                "untracked": len(new),
                "by": actor,
            }
        )
    return sorted(out, key=lambda d: d["date"])


#: above this many objects the search for unreachable stashes is left to the user (git fsck walks them all)
FSCK_OBJECTS = 500_000


def _objects(paths: RepoPaths) -> int:
    _, text, _ = gitcmd.run(paths.common_dir, ["count-objects", "-v"], check=False)
    n = 0
    for line in text.splitlines():
        key, _, value = line.partition(": ")
        if key in ("count", "in-pack") and value.strip().isdigit():
            n += int(value)
    return n


def incident_report(
    paths: RepoPaths, since: float | None = None, *, home: str | None = None, tl: timeline.Timeline | None = None
) -> dict[str, Any]:
    snap = gitrepo.snapshot(paths, dirty=True)
    tl = tl if tl is not None else timeline.build(paths, home)
    base = find_baseline(paths, since, snap, tl)
    if base is None:
        raise AgentTuiError(
            "nothing to go on: no dispatch of agents on record, no announcement, and git's reflogs "
            "are empty — give the time the incident began: agenttui incident --since TIME"
        )
    warnings = []
    if since is not None and tl.start is not None and since > tl.start + 1:
        warnings.append(
            f"--since falls inside the incident: its first shared dispatch was at "
            f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(tl.start))} — what the agents did "
            "before it is taken as the baseline"
        )
    if base.source == "quiet-point":
        warnings.append(
            "no dispatch of agents on record: the baseline proposed is the last quiet point before the "
            "newest burst of git activity — check it, or give --since TIME"
        )
    ledger = _mutations(paths, base.time)
    muts = reflog_mutations(paths, tl, base.time, base.source == "dispatch")

    def same(m: dict[str, Any]) -> tuple[Any, ...]:  # the same change, however the ledger named its kind
        if m.get("kind") == "stash-push" or m.get("ref") == "refs/stash":
            return ("refs/stash", m.get("sha"))
        if m.get("kind") == "head":
            return ("head", m.get("sha"), m.get("reason"))
        return (m.get("ref") if m.get("ref") else m.get("kind"), m.get("sha"))

    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for m in muts:
        by_key.setdefault(same(m), m)
    for r in ledger:  # the guard's records: kept where they add something (files, a named process)
        mine = by_key.get(same(r))
        actor = r.get("actor") or {}
        if mine is None:
            muts.append(r)
        elif actor.get("agent") and not mine["actor"].get("agent"):
            mine["actor"] = {**actor, "via": actor.get("via") or "process"}  # the guard caught its process
    # in the order things happened: within git's whole second, by the time the call behind each was made
    muts.sort(
        key=lambda r: (float(r.get("time", 0)) // 1, float((r.get("actor") or {}).get("at") or r["time"] + 0.999))
    )
    by_sha: dict[tuple[str, str], dict[str, Any]] = {}
    for r in muts:
        for field in ("sha", "path", "ref"):
            if r.get(field):
                k = (r["kind"], str(r[field]))
                if k not in by_sha or not by_sha[k].get("agent"):
                    by_sha[k] = r.get("actor") or UNKNOWN
            if r.get("kind") == "head" and r.get("reason", "").startswith("commit") and r.get("sha"):
                by_sha.setdefault(("commit", str(r["sha"])), r.get("actor") or UNKNOWN)
    tips: dict[str, str] = {}  # one ref per commit: 10,000 branches at a few tips are a few trees to look in
    for b in snap.branches:
        tips.setdefault(b.sha, f"refs/heads/{b.name}")
    refs = list(tips.values())
    stashes = []
    new = [s for s in snap.stashes if s.sha not in base.stashes]
    details = stash_files_many(paths, [s.sha for s in new])
    contained_in = containment_many(paths, details, refs)
    for s in new:
        files = details[s.sha][0]
        contained = contained_in[s.sha]
        stashes.append(
            {
                "ref": s.ref,
                "sha": s.sha,
                "message": s.message,
                "branch": s.branch,
                "date": s.date,
                "files": files,
                "untracked": s.untracked,
                "unique": contained is None,
                "contained_in": contained,
                "by": by_sha.get(("stash-push", s.sha), REFLOG),
            }
        )
    branches, commits = [], []
    before = {sha for sha in base.branches.values() if sha} | ({base.sha} if base.sha else set())
    excluded = "".join(f"^{x}\n" for x in sorted(before))
    counted: dict[str, int] = {}  # per tip: 10,000 new branches at a few tips are a few counts
    for b in snap.branches:
        old = base.branches.get(b.name)
        if old is None:
            if b.sha not in counted:
                _, n, _ = gitcmd.run(
                    paths.common_dir, ["rev-list", "--count", "--stdin"], check=False, input=f"{b.sha}\n" + excluded
                )
                counted[b.sha] = int(n.strip() or 0)
            branches.append(
                {
                    "name": b.name,
                    "sha": b.sha,
                    "unique_commits": counted[b.sha],
                    "merged": b.merged,
                    "by": by_sha.get(("branch-create", f"refs/heads/{b.name}"), REFLOG),
                }
            )
        elif old and old != b.sha:
            _, log, _ = gitcmd.run(paths.common_dir, ["log", "--format=%H%x00%s", f"{old}..{b.sha}", "--"], check=False)
            for line in log.splitlines():
                sha, _, subject = line.partition("\0")
                commits.append(
                    {
                        "ref": f"refs/heads/{b.name}",
                        "sha": sha,
                        "subject": subject,
                        "by": by_sha.get(("commit", sha), REFLOG),
                    }
                )
    writers = last_writers(paths, muts, base.time, snap.main_checkout)
    if snap.main_checkout is not None:
        for p, (_t, actor) in _who_wrote(tl, str(snap.main_checkout), base.time).items():
            if not (writers.get(p) or {}).get("agent"):
                writers[p] = actor
    dirty = []
    if snap.main_checkout is not None:
        for xy, p in gitrepo.status_entries(snap.main_checkout):
            dirty.append({"path": p, "status": xy, "writer": writers.get(p.rstrip("/"), UNKNOWN)})
    worktrees = [
        {
            "path": str(w.path),
            "branch": w.branch,
            "head": w.head,
            "dirty": w.dirty,
            "by": by_sha.get(("worktree-add", str(w.path)), REFLOG),
        }
        for w in snap.worktrees
        if not w.is_main and str(w.path) not in base.worktrees
    ]
    counts: dict[str, int] = {}
    for m in muts:
        aid = (m.get("actor") or {}).get("agent_id")
        if aid:
            counts[aid] = counts.get(aid, 0) + 1
    agents = []
    for run in tl.runs:
        if run.main_thread and not counts.get(run.id):
            continue
        if run not in tl.group and not counts.get(run.id) and run.dispatched < base.time:
            continue
        agents.append(
            {
                **run.to_json(),
                "prompt": run.prompt,
                "changes": counts.get(run.id, 0),
                "files": sorted({r.path for r in timeline.revisions(run)}),
                "shared_checkout": run in tl.group,
            }
        )
    return {
        "since": base.time,
        "source": base.source,
        "warnings": warnings,
        "before": {"branch": base.branch, "sha": base.sha},
        "now": {"branch": snap.head.branch if snap.head else None, "sha": snap.head.sha if snap.head else None},
        "agents": agents,
        "transcripts": tl.stats.to_json(),
        "mutations": muts,
        "stashes": stashes,
        "branches": branches,
        "commits": commits,
        "dirty": dirty,
        "dropped_stashes": dropped_stashes(paths, tl, base.time, {s.sha for s in snap.stashes}),
        "worktrees": worktrees,
    }


def describe_baseline(base: Baseline) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(base.time))
    return f"{base.source} at {when}: {base.branch or 'detached'} {(base.sha or '')[:10]}"
