"""`trash`, `restore`, `incident`, `salvage`: recovery from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from agenttui.base.exitcodes import OK as EXIT_OK
from agenttui.base.exitcodes import VIOLATIONS as EXIT_VIOLATIONS
from agenttui.core.errors import AgentTuiError
from agenttui.core.git import repo as gitrepo


def cmd_trash(args: argparse.Namespace) -> int:
    from agenttui.core.guard.snapshots import list_snapshots
    from agenttui.core.recovery import list_trash

    paths = gitrepo.open_repo(args.repo)
    entries = list_trash(paths)
    snaps = list_snapshots(paths)
    if args.json:  # (a list of trash entries, as before; the snapshots carry kind "snapshot")
        print(
            json.dumps(
                [e.to_json() for e in entries] + [{**s.to_json(), "kind": "snapshot"} for s in snaps],
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    if not entries:
        print("the trash is empty")
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.time))
        print(f"{e.id}  {e.kind:<8}  {e.sha[:10]}  {when}  {e.description}")
    if snaps:
        print("agent worktree snapshots (agenttui restore ID puts a worktree back as it was):")
    for sn in snaps:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(sn.time))
        print(f"{sn.id}  snapshot  {sn.sha[:10]}  {when}  {sn.agent}: {sn.path}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from agenttui.core.recovery import list_trash, restore_many

    ids = list(args.ids)  # (`restore ID` with no REPO: the CLI moved the word into the ids)
    paths = gitrepo.open_repo(args.repo)
    if args.all:
        from agenttui.core.recovery.checkouts import prune_stale_landings

        prune_stale_landings(paths)  # (a landing killed half-way: its temporary worktree)
        ids = [e.id for e in list_trash(paths)]
        if not ids:
            print("the trash is empty: nothing to restore")
            return EXIT_OK
    if not ids:
        raise AgentTuiError("name trash entries to restore (agenttui trash lists them), or --all")
    known = {e.id for e in list_trash(paths)}
    from agenttui.core.guard import snapshots

    snaps = {s.id: s for s in snapshots.list_snapshots(paths)} if not args.all else {}
    unknown = [i for i in ids if i not in known and i not in snaps]
    if unknown:
        raise AgentTuiError(f"no trash entry {unknown[0]!r} (agenttui trash lists them)")
    failed = 0
    for i in [i for i in ids if i in snaps]:  # an agent worktree put back from its snapshot
        print(snapshots.restore(paths, snaps[i]))
    ids = [i for i in ids if i not in snaps]
    for o in restore_many(paths, ids):
        print(o.message if o.ok else f"agenttui: error: {o.message}", file=sys.stdout if o.ok else sys.stderr)
        failed += not o.ok
    return EXIT_VIOLATIONS if failed else EXIT_OK


def cmd_salvage(args: argparse.Namespace) -> int:
    from agenttui.core.recovery.report import parse_since
    from agenttui.core.recovery.salvage import preview, salvage

    paths = gitrepo.open_repo(args.repo)
    since = parse_since(args.since) if args.since else None
    agents = None if args.all else list(args.agent)
    if not args.yes:
        pv = preview(paths, since=since, agents=agents)
        if args.json:
            print(
                json.dumps(
                    {
                        "agents": {
                            n: {"files": sorted(w.files), "sources": w.sources, "task": w.task}
                            for n, w in pv.chosen.items()
                        },
                        "conflicts": pv.conflicts,
                        "before": pv.report["before"],
                    },
                    ensure_ascii=False,
                )
            )
            return EXIT_OK
        b = pv.report["before"]
        print(f"salvage onto {b['branch'] or 'detached'} {(b['sha'] or '')[:10]} (the baseline), into {pv.root}:")
        for n, w in pv.chosen.items():
            task = w.task or {}
            said = f" — {task['description']!r} ({task.get('agent_id')})" if task.get("description") else ""
            print(f"  salvage/{n}{said}: {len(w.files)} files")
            for src in w.sources:
                print(f"      {src}")
        for path, who in sorted(pv.conflicts.items()):
            print(f"  conflict: {path} changed by {' and '.join(who)} (each branch keeps its own version)")
        if args.all:
            r = pv.report
            print(
                f"then: the main checkout back to {b['branch'] or 'detached'} at {(b['sha'] or '')[:10]}, clean "
                f"(its dirty state and a moved tip backed up first); {len(r['stashes'])} stashes dropped, "
                f"{len(r['branches'])} branches deleted, {len(r['worktrees'])} worktrees archived — all to the trash"
            )
        print("nothing changed yet: run again with --yes")
        return EXIT_OK
    result = salvage(paths, since=since, agents=agents)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        for o in result.outcomes:
            print(("  " if o.ok else "  FAILED: ") + o.message)
        if result.plan:
            print(f"re-dispatch plan: {result.plan} (check each task, then: agenttui --plan {result.plan})")
    return EXIT_OK if all(o.ok for o in result.outcomes) else EXIT_VIOLATIONS


def cmd_incident(args: argparse.Namespace) -> int:
    from agenttui.core.recovery.report import incident_report, parse_since

    paths = gitrepo.open_repo(args.repo)
    report = incident_report(paths, parse_since(args.since) if args.since else None)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return EXIT_OK
    for line in incident_lines(report):
        print(line)
    return EXIT_OK


_FOUND = {
    "dispatch": "the first dispatch of agents sharing a checkout",
    "quiet-point": "the last quiet point before the newest burst of git activity (no dispatch on record)",
    "since": "--since",
    "announcement": "the last announcement",
    "guard": "the guard's arming",
}


def _who(actor: dict[str, Any] | None) -> str:
    a = actor or {}
    if a.get("agent"):
        return f"{a['agent']} [{a.get('via')}]"
    return f"pid {a['pid']}" if a.get("pid") else "unknown"


def incident_lines(report: dict[str, Any]) -> list[str]:
    """The report in words (every string from git or an agent shown literally, control characters too)."""
    from agenttui.core.errors import shown

    def when(t: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))

    out = []
    b, n = report["before"], report["now"]
    out.append(
        f"baseline    {when(report['since'])}, from {_FOUND.get(report['source'], report['source'])}: "
        f"{shown(b['branch'] or 'detached')} {(b['sha'] or '')[:10]}"
    )
    out.append(f"now         {shown(n['branch'] or 'detached')} {(n['sha'] or '')[:10]}")
    for w in report.get("warnings", []):
        out.append(f"warning     {w}")
    agents = [a for a in report.get("agents", []) if not a["main_thread"] or a["changes"]]
    out.append(f"agents      {len(agents)}")
    for a in agents:
        iso = "isolated" if a["isolation"] == "worktree" else "shared checkout"
        out.append(
            f"  {shown(a['name'])}  ({a['agent_type']}, {a['client']} {a['agent_id']}, {iso})  "
            f"{a['changes']} git changes, {len(a['files'])} files written"
        )
        prompt = " ".join(a["prompt"].split())
        if prompt:
            out.append(f"      task: {shown(prompt[:150])}{'…' if len(prompt) > 150 else ''}")
    muts = report["mutations"]
    named = sum(1 for m in muts if (m.get("actor") or {}).get("agent"))
    out.append(f"changes     {len(muts)}, {named} with the agent that made them")
    for m in muts:
        what = m.get("reason") or m.get("kind")
        if m.get("kind") == "file":
            what = f"{len(m.get('paths') or [])} files changed"
        ref = m.get("ref") or ""
        ref = "" if ref == "HEAD" else f"{ref.removeprefix('refs/heads/')}: "
        cmd = (m.get("actor") or {}).get("command")
        out.append(
            f"  {time.strftime('%H:%M:%S', time.localtime(m['time']))}  {shown(ref + str(what))[:70]:<70}  "
            f"by {shown(_who(m.get('actor')))}" + (f"  ({shown(cmd[:60])})" if cmd else "")
        )
    out.append(f"stashes     {len(report['stashes'])}")
    for s in report["stashes"]:
        state = "unique" if s["unique"] else f"already in {shown(s['contained_in'])}"
        extra = f" ({s['untracked']} untracked)" if s.get("untracked") else ""
        out.append(
            f"  {s['ref']}  {s['sha'][:10]}  {len(s['files'])} files{extra}  {state}  by {shown(_who(s['by']))}"
            f"  {shown(s['message'][:60])}"
        )
    dropped = report.get("dropped_stashes", [])
    if dropped:
        out.append(f"gone        {len(dropped)} stashes no longer in the list, still commits (salvage reads them)")
    for d in dropped:
        extra = f" ({d['untracked']} untracked)" if d.get("untracked") else ""
        out.append(
            f"  {d['how']:<11} {d['sha'][:10]}  {len(d['files'])} files{extra}  by {shown(_who(d['by']))}  "
            f"{shown(d['message'][:60])}"
        )
    out.append(f"branches    {len(report['branches'])}")
    for br in report["branches"]:
        out.append(f"  {shown(br['name'])}  {br['unique_commits']} commits of its own  by {shown(_who(br['by']))}")
    out.append(f"commits     {len(report['commits'])} on branches that existed before")
    for c in report["commits"][:50]:
        out.append(
            f"  {shown(c['ref'].removeprefix('refs/heads/'))}  {c['sha'][:10]}  by {shown(_who(c['by']))}  "
            f"{shown(c['subject'][:60])}"
        )
    out.append(f"dirty       {len(report['dirty'])} files in the main checkout")
    for d in report["dirty"][:50]:
        out.append(f"  {d['status']} {shown(d['path'])}  last writer {shown(_who(d['writer']))}")
    out.append(f"worktrees   {len(report['worktrees'])} made since")
    for w in report["worktrees"]:
        out.append(f"  {shown(w['path'])}  [{shown(w['branch'] or 'detached')}]  by {shown(_who(w['by']))}")
    t = report.get("transcripts") or {}
    skipped = t.get("bad_lines", 0) + t.get("unreadable", 0)
    out.append(
        f"read        {t.get('files', 0)} transcript files"
        + (f"; skipped {t.get('bad_lines', 0)} bad lines, {t.get('unreadable', 0)} unreadable files" if skipped else "")
    )
    out.append("next        agenttui salvage --all  (shows what it would do; --yes does it)")
    return out
