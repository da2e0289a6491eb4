"""Salvage: the incident untangled into one branch per agent, the checkout restored, nothing lost.

For each agent (by the actors the incident report names; work nobody can be named for goes to
``unattributed``): a branch ``salvage/<agent>`` from the baseline SHA holding the last version of
each path the agent changed — from its commits, its stashes, the dirty checkout (last writer) and
its self-made worktree, oldest first so the newest wins — checked out in its own worktree.  Paths
two agents changed are listed as conflicts; each agent's branch keeps its own version.  Then the
main checkout goes back to its baseline branch at its baseline SHA, clean — its dirty state and
any moved branch tip backed up to the trash first — stashes are dropped to the trash, branches
the agents made deleted to the trash, self-made worktrees archived.  Last, a re-dispatch plan
(``agenttui.salvage.toml``): one isolated dispatch per agent on its salvage branch, with its
original task where the journal knows it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agenttui.base.safefile import write_atomic
from agenttui.core import journal
from agenttui.core.errors import AgentTuiError, first_line
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths, Worktree
from agenttui.core.git.objects import Objects
from agenttui.core.recovery import timeline
from agenttui.core.recovery.lock import locked
from agenttui.core.recovery.ops import archive_worktree, delete_branch, drop_stashes, snapshot_worktree
from agenttui.core.recovery.report import incident_report
from agenttui.core.recovery.trash import Outcome, RecoveryError, _backup, _record, new_id

UNATTRIBUTED = "unattributed"
DELETED = "0" * 40


@dataclass
class AgentWork:
    agent: str
    files: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (mode, blob) or DELETED
    sources: list[str] = field(default_factory=list)  # what it was gathered from, in words
    task: dict[str, Any] | None = None


@dataclass
class SalvageResult:
    agents: dict[str, dict[str, Any]]
    conflicts: dict[str, list[str]]  # path -> agents that changed it
    outcomes: list[Outcome]
    plan: str | None
    before: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "agents": self.agents,
            "conflicts": self.conflicts,
            "plan": self.plan,
            "before": self.before,
            "outcomes": [{"ok": o.ok, "message": o.message, "trash_id": o.trash_id} for o in self.outcomes],
        }


def _who(actor: dict[str, Any] | None) -> str:
    return (actor or {}).get("agent") or UNATTRIBUTED


def _linked(w: dict[str, Any]) -> Worktree:
    """A self-made worktree of the incident report as the repository model has it."""
    return Worktree(
        path=Path(w["path"]),
        head=w["head"],
        branch=w["branch"],
        detached=not w["branch"],
        bare=False,
        locked=False,
        locked_reason=None,
        prunable=False,
        prunable_reason=None,
        is_main=False,
    )


def _take(objs: Objects, work: AgentWork, rev: str, base: str, what: str) -> None:
    changed, deleted = objs.changed(base, rev)
    entries = objs.files(rev, changed) if changed else {}
    for p in changed:
        if p in entries:
            work.files[p] = entries[p]
    for p in deleted:
        work.files[p] = ("000000", DELETED)
    if changed or deleted:
        work.sources.append(what)


def _stash_take(objs: Objects, work: AgentWork, stash: dict[str, Any]) -> None:
    sha = stash["sha"]
    _take(objs, work, sha, f"{sha}^1", f"stash {stash['message']}")
    untracked = objs.files(f"{sha}^3")
    work.files.update(untracked)


def _build(paths: RepoPaths, base_sha: str, work: AgentWork) -> str:
    """A commit on *base_sha* with the agent's versions of its paths (a temporary index)."""
    with tempfile.TemporaryDirectory(prefix="agenttui-salvage-") as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        gitcmd.run(paths.common_dir, ["read-tree", base_sha], env=env)
        lines = []
        for p, (mode, blob) in sorted(work.files.items()):
            lines.append(f"0 {DELETED}\t{p}" if blob == DELETED else f"{mode} {blob}\t{p}")
        if lines:
            # (NUL-terminated: a path may hold a newline)
            gitcmd.run(paths.common_dir, ["update-index", "-z", "--index-info"], env=env, input="\0".join(lines) + "\0")
        _, tree, _ = gitcmd.run(paths.common_dir, ["write-tree"], env=env)
    msg = f"salvage: {work.agent}'s work from the incident\n\n" + "\n".join(f"- {s}" for s in work.sources)
    return gitcmd.out(paths.common_dir, "commit-tree", tree.strip(), "-p", base_sha, "-m", msg).strip()


def _tasks(paths: RepoPaths) -> dict[str, dict[str, Any]]:
    """Each agent's original task, where the journal knows it (a plan launch; a Claude Code dispatch)."""
    tasks: dict[str, dict[str, Any]] = {}
    for r in journal.read(paths):
        if r.get("event") == "launch" and isinstance(r.get("agent"), str):
            tasks[r["agent"]] = {"command": r.get("command")}
        elif r.get("event") in ("claude-code-dispatch", "subagent-start") and r.get("agent"):
            tasks[str(r["agent"])] = {"description": r.get("description"), "prompt": r.get("prompt")}
    return tasks


def gather(paths: RepoPaths, report: dict[str, Any]) -> dict[str, AgentWork]:
    """Every agent's work, oldest source first so the newest version of a path wins."""
    with Objects(paths) as objs:
        return _gather(paths, report, objs)


def _gather(paths: RepoPaths, report: dict[str, Any], objs: Objects) -> dict[str, AgentWork]:
    works: dict[str, AgentWork] = {}

    def work(agent: str) -> AgentWork:
        return works.setdefault(agent, AgentWork(agent))

    base = report["before"]["sha"]
    for c in report["commits"]:  # commits that landed on branches that existed before
        _take(objs, work(_who(c["by"])), c["sha"], f"{c['sha']}^", f"commit {c['sha'][:10]} on {c['ref']}")
    for b in report["branches"]:
        if b["unique_commits"]:
            _take(objs, work(_who(b["by"])), b["sha"], base, f"branch {b['name']}")
    for s in sorted(report["stashes"], key=lambda s: s["date"]):
        if s["unique"]:
            _stash_take(objs, work(_who(s["by"])), s)
    for w in report["worktrees"]:
        wt = _linked(w)
        if os.path.isdir(wt.path):
            snap = snapshot_worktree(wt)
            _take(objs, work(_who(w["by"])), snap, base, f"worktree {w['path']}")
    main = gitrepo.main_checkout(paths)
    if main is not None and report["dirty"]:
        snap = snapshot_worktree(gitrepo.list_worktrees(paths)[0])
        entries = objs.files(snap, [d["path"].rstrip("/") for d in report["dirty"]])
        for d in report["dirty"]:
            p = d["path"].rstrip("/")
            w = work(_who(d["writer"]))
            hit = {k: v for k, v in entries.items() if k == p or k.startswith(p + "/")}
            if hit:
                w.files.update(hit)
            elif d["status"].strip() == "D":
                w.files[p] = ("000000", DELETED)
            w.sources.append(f"dirty {p} in the main checkout")
    tasks = _tasks(paths)
    for name, w in works.items():
        w.task = tasks.get(name)
    return works


def _write_blobs(paths: RepoPaths, contents: list[bytes]) -> list[str]:
    """Store *contents* as blobs (one ``hash-object -w --stdin-paths``)."""
    if not contents:
        return []
    with tempfile.TemporaryDirectory(prefix="agenttui-blobs-") as tmp:
        names = []
        for i, data in enumerate(contents):
            name = os.path.join(tmp, str(i))
            with open(name, "wb") as fh:
                fh.write(data)
            names.append(name)
        _, out, _ = gitcmd.run(
            paths.common_dir,
            ["hash-object", "-w", "--no-filters", "--stdin-paths"],
            input="".join(n + "\n" for n in names),
        )
    return out.split()


def _sources(paths: RepoPaths, report: dict[str, Any]) -> list[tuple[str, str, float]]:
    """Where work can be now: (words, tree-ish, time) — the main checkout's files, commits on branches
    that existed before, branches the agents made, stashes (their untracked part too), the self-made
    worktrees' files (snapshots: nothing is touched).  The first that holds a revision is named."""
    out: list[tuple[str, str, float]] = []
    main = gitrepo.main_checkout(paths)
    if main is not None and report["dirty"]:
        out.append(
            ("the main checkout's working tree", snapshot_worktree(gitrepo.list_worktrees(paths)[0]), float("inf"))
        )
    for c in report["commits"]:
        out.append((f"commit {c['sha'][:10]} on {c['ref'].removeprefix('refs/heads/')}", c["sha"], 0.0))
    for b in report["branches"]:
        out.append((f"branch {b['name']}", b["sha"], 0.0))
    for st in report["stashes"]:
        out.append((f"{st['ref']} ({st['message']})", st["sha"], float(st["date"])))
        if st.get("untracked"):
            out.append((f"{st['ref']} ({st['message']}), its untracked files", f"{st['sha']}^3", float(st["date"])))
    for d in report.get("dropped_stashes", []):
        out.append((f"the {d['how']} stash {d['sha'][:10]} ({d['message']})", d["sha"], float(d["date"])))
        if d.get("untracked"):
            out.append(
                (
                    f"the {d['how']} stash {d['sha'][:10]} ({d['message']}), its untracked files",
                    f"{d['sha']}^3",
                    float(d["date"]),
                )
            )
    for w in report["worktrees"]:
        if os.path.isdir(w["path"]):
            wt = _linked(w)
            out.append((f"worktree {w['path']}", snapshot_worktree(wt), float("inf")))
    return out


def gather_revisions(paths: RepoPaths, report: dict[str, Any], tl: timeline.Timeline) -> dict[str, AgentWork]:
    """Per agent, the latest revision of each file it wrote (see :func:`_gather_revisions`)."""
    with Objects(paths) as objs:
        return _gather_revisions(objs, paths, report, tl)


def _gather_revisions(
    objs: Objects, paths: RepoPaths, report: dict[str, Any], tl: timeline.Timeline
) -> dict[str, AgentWork]:
    """Per agent, the latest revision of each file it wrote — by the time its client says it wrote it,
    never by where a copy happens to be — wherever that revision is now (or only in the transcript).
    Versions in git that no agent's transcript accounts for go to ``unattributed``, newest first."""
    since = float(report["since"])
    base_sha = report["before"]["sha"]
    roots = [str(w.path) for w in gitrepo.list_worktrees(paths)] + [w["path"] for w in report["worktrees"]]
    latest: dict[tuple[str, str], timeline.Revision] = {}
    mine: dict[tuple[str, str], str] = {}  # (path, blob) -> agent id, for every revision of every agent
    for run in tl.runs:
        for rev in timeline.revisions(run):
            where = timeline.relative(rev.path, roots)
            if where is None or rev.time < since:
                continue
            key = (run.id, where[1])
            if key not in latest or latest[key].time <= rev.time:
                latest[key] = rev
            if rev.blob:
                mine[(where[1], rev.blob)] = run.id
    if not latest:
        return {}
    labels = timeline.agent_labels([r for r in tl.runs if any(k[0] == r.id for k in latest)])
    sources = _sources(paths, report)
    wanted = sorted({rel for _, rel in latest})
    found: list[tuple[str, dict[str, tuple[str, str]], float]] = []
    changed_anywhere: dict[str, list[tuple[float, str, str, str]]] = {}  # path -> (time, words, mode, blob)
    base_entries = objs.files(base_sha, wanted)
    for words, treeish, t in sources:
        changed, _deleted = objs.changed(base_sha, treeish)
        entries = objs.files(treeish, changed) if changed else {}
        found.append((words, entries, t))
        for p, (mode, blob) in entries.items():
            if base_entries.get(p, ("", ""))[1] != blob:
                changed_anywhere.setdefault(p, []).append((t, words, mode, blob))
    contents = [latest[k].content or b"" for k in sorted(latest) if latest[k].content is not None]
    blobs = iter(_write_blobs(paths, contents))
    works: dict[str, AgentWork] = {}
    for aid, rel in sorted(latest):
        rev = latest[(aid, rel)]
        agent = tl.run(aid)
        assert agent is not None
        w = works.setdefault(labels[aid], AgentWork(labels[aid]))
        w.task = {
            "description": agent.name,
            "prompt": agent.prompt,
            "agent_id": agent.id,
            "client": agent.client,
            "agent_type": agent.agent_type,
        }
        mode = base_entries.get(rel, ("100644", ""))[0]
        if rev.content is not None:
            blob = next(blobs)
            place = next(
                (words for words, entries, _ in found if entries.get(rel, ("", ""))[1] == blob),
                "only the transcript (written back from it)",
            )
            w.files[rel] = (mode, blob)
            w.sources.append(f"{rel}: its {rev.tool} of {_clock(rev.time)} from {place}")
        else:  # the last Edit's whole content is not known: the newest copy in git after it, said so
            after = sorted(
                (c for c in changed_anywhere.get(rel, []) if c[0] >= rev.time or c[0] == float("inf")),
                key=lambda c: -c[0],
            )
            if after:
                _t, words, m, blob = after[0]
                w.files[rel] = (m, blob)
                w.sources.append(
                    f"{rel}: its Edit of {_clock(rev.time)} (content not in the transcript): "
                    f"the newest copy, from {words}"
                )
            else:
                w.sources.append(f"{rel}: its Edit of {_clock(rev.time)} — content unknown, found nowhere")
    for p, copies in sorted(changed_anywhere.items()):
        if any((p, blob) in mine for *_, blob in copies):
            continue  # a version some agent wrote: accounted for above
        t, words, m, blob = max(copies, key=lambda c: c[0])
        w = works.setdefault(UNATTRIBUTED, AgentWork(UNATTRIBUTED))
        w.files[p] = (m, blob)
        w.sources.append(f"{p}: from {words} (no transcript names its writer)")
    return works


def _clock(t: float) -> str:
    import time as _time

    return _time.strftime("%H:%M:%S", _time.localtime(t)) + f".{int((t % 1) * 1000):03d}"


def resume_prompt(task: dict[str, Any], branch: str, files: list[str], *, in_worktree: bool) -> str:
    """The agent's original prompt, verbatim, and what its salvage branch already holds."""
    held = ", ".join(files[:20]) + (f" and {len(files) - 20} more" if len(files) > 20 else "")
    first = "You are in that branch's worktree." if in_worktree else f"Start by running: git merge --ff-only {branch}."
    return (
        f"{task.get('prompt') or ''}\n\n[agenttui] This task was interrupted by an incident (agents sharing one "
        f"checkout). Your work so far was recovered onto the branch {branch}: {held or 'no files'}. {first} "
        "Check it and continue from it; work only in your own worktree."
    )


def _toml(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a JSON string or list of strings is valid TOML


def _plan_text(made: dict[str, dict[str, Any]]) -> str:
    out = [
        "# Re-dispatch plan written by `agenttui salvage`: one isolated dispatch per agent, in the worktree",
        "# of the branch holding its salvaged work, with its original task (a prompt is data: no shell).",
        "# Check each task, then: agenttui --plan agenttui.salvage.toml  (a, y, f)",
        "",
    ]
    for name, info in made.items():
        task = info.get("task") or {}
        command = task.get("command")
        runner = "process"
        if isinstance(command, (list, str)):
            cmd = _toml(command)
        elif task.get("prompt"):
            client = (
                "codex" if task.get("client") == "codex" else "gemini" if task.get("client") == "gemini" else "claude"
            )
            cmd = _toml([client, resume_prompt(task, info["branch"], info["files"], in_worktree=True)])
            runner = "tmux"  # an interactive client, watched in its window
        else:
            cmd = _toml(["sh", "-c", 'echo "agent $1: its original task is not on record" >&2; exit 1', "sh", name])
        out += [
            "[[agent]]",
            f"name = {_toml(name.replace('/', '-'))}",
            f"command = {cmd}",
            f"branch = {_toml(info['branch'])}",
            f"worktree = {_toml(info['worktree'])}",
            f"runner = {_toml(runner)}",
            "",
        ]
    return "\n".join(out)


def redispatch_text(made: dict[str, dict[str, Any]]) -> str:
    """What to paste back into the client: the dispatches, each isolated, and the announcement."""
    import json

    calls = []
    for info in made.values():
        task = info.get("task") or {}
        if not task.get("prompt"):
            continue
        calls.append(
            {
                "description": task.get("description") or info["branch"],
                "prompt": resume_prompt(task, info["branch"], info["files"], in_worktree=False),
                "subagent_type": task.get("agent_type") or "general-purpose",
                "isolation": "worktree",
            }
        )
    n = len(calls)
    sentence = "Not applicable because N=1" if n == 1 else f"All {n} dispatches use isolation: worktree — verified"
    return (
        "# Re-dispatch after the incident (written by agenttui salvage)\n\n"
        f"{sentence}\n\nDispatch these {n} agents with the Agent tool, each exactly as below "
        "(isolation: worktree: each gets a worktree and branch of its own):\n\n```json\n"
        + json.dumps(calls, ensure_ascii=False, indent=2)
        + "\n```\n"
    )


@dataclass
class Preview:
    report: dict[str, Any]
    works: dict[str, AgentWork]
    chosen: dict[str, AgentWork]
    conflicts: dict[str, list[str]]
    main: Path
    root: Path


def preview(
    paths: RepoPaths, *, since: float | None = None, agents: list[str] | None = None, home: str | None = None
) -> Preview:
    """What salvage would do (reads only)."""
    tl = timeline.build(paths, home)
    report = incident_report(paths, since, tl=tl)
    if not report["before"]["sha"]:
        raise RecoveryError("the baseline has no commit (an unborn branch): nothing to salvage onto")
    main = gitrepo.main_checkout(paths)
    if main is None:
        raise RecoveryError("a bare repository has no checkout to restore")
    works = gather_revisions(paths, report, tl) or gather(paths, report)
    if agents:  # a label, the dispatch's own words, or the agent id
        alias = {}
        for label, w in works.items():
            for key in (label, (w.task or {}).get("description"), (w.task or {}).get("agent_id")):
                if isinstance(key, str):
                    alias[key] = label
        agents = [alias.get(a, a) for a in agents]
        unknown = sorted(set(agents) - set(works))
        if unknown:
            raise AgentTuiError(
                f"no salvageable work by {', '.join(unknown)} (agents with work: {', '.join(sorted(works)) or 'none'})"
            )
    chosen = {n: w for n, w in works.items() if not agents or n in agents}
    touched: dict[str, list[str]] = {}
    for name, w in works.items():
        for p in w.files:
            touched.setdefault(p, []).append(name)
    conflicts = {p: who for p, who in touched.items() if len(who) > 1}
    return Preview(report, works, chosen, conflicts, main, main.parent / f"{main.name}.salvage")


@locked
def salvage(
    paths: RepoPaths, *, since: float | None = None, agents: list[str] | None = None, home: str | None = None
) -> SalvageResult:
    pv = preview(paths, since=since, agents=agents, home=home)
    _refuse_while_working(pv)
    report, works, chosen, conflicts, main, root = pv.report, pv.works, pv.chosen, pv.conflicts, pv.main, pv.root
    base_sha, base_branch = report["before"]["sha"], report["before"]["branch"]
    outcomes: list[Outcome] = []
    made: dict[str, dict[str, Any]] = {}
    for name, w in chosen.items():
        commit = _build(paths, base_sha, w)
        branch = f"salvage/{name}"
        st, _, err = gitcmd.run(paths.common_dir, ["update-ref", f"refs/heads/{branch}", commit, ""], check=False)
        if st != 0:
            raise RecoveryError(f"cannot create {branch}: {first_line(err)} (it exists: rename or delete it)")
        path = root / name.replace("/", "-")
        gitcmd.out(main, "worktree", "add", "--quiet", "--end-of-options", str(path), branch)
        made[name] = {
            "branch": branch,
            "commit": commit,
            "worktree": str(path),
            "files": sorted(w.files),
            "sources": w.sources,
            "task": w.task,
        }
        _record(paths, "salvage-branch", agent=name, branch=branch, commit=commit, files=len(w.files))
        outcomes.append(Outcome(True, f"{branch}: {len(w.files)} files from {len(w.sources)} sources, in {path}"))
    if agents and set(chosen) != set(works):  # only some agents: the checkout stays as it is
        return SalvageResult(made, conflicts, outcomes, None, report["before"])
    outcomes += _restore_checkout(paths, main, base_branch, base_sha)
    outcomes += drop_stashes(paths, [(_index(paths, s["sha"]), s["sha"]) for s in report["stashes"]])
    for w in report["worktrees"]:
        try:
            outcomes.append(archive_worktree(paths, Path(w["path"])))
        except AgentTuiError as exc:
            outcomes.append(Outcome(False, exc.message))
    for b in report["branches"]:
        if b["name"].startswith("salvage/") or b["name"] == base_branch:
            continue
        try:
            outcomes.append(delete_branch(paths, b["name"], force=True))
        except AgentTuiError as exc:
            outcomes.append(Outcome(False, exc.message))
    plan = root / "agenttui.salvage.toml"  # beside the salvage worktrees: the checkout stays clean
    write_atomic(plan, _plan_text(made))  # (never through a symlink planted beside the salvage)
    write_atomic(root / "redispatch.md", redispatch_text(made))
    _record(paths, "salvage", agents=sorted(made), conflicts=sorted(conflicts), plan=str(plan))
    return SalvageResult(made, conflicts, outcomes, str(plan), report["before"])


#: programs a person leaves open in a checkout that write nothing by themselves (what they start is
#: a process of its own, looked at on its own)
IDLE_HERE = frozenset(
    {
        "bash",
        "zsh",
        "fish",
        "sh",
        "dash",
        "ksh",
        "tcsh",
        "tmux",
        "screen",
        "vim",
        "nvim",
        "vi",
        "emacs",
        "nano",
        "less",
        "more",
        "man",
        "tig",
        "lazygit",
        "htop",
        "top",
        "watch",
        "sleep",
    }
)


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _refuse_while_working(pv: Preview) -> None:
    """Salvage reads a snapshot and then restores the checkout: a process still writing there would
    lose what it writes after the snapshot.  Refuse while one works in the checkout or a self-made
    worktree (our own process and its ancestors aside)."""
    from agenttui.core.host import proc
    from agenttui.core.host.procs import describe, processes_in

    folders = [pv.main] + [Path(w["path"]) for w in pv.report["worktrees"] if os.path.isdir(w["path"])]
    me = {os.getpid()}
    pid: int | None = os.getppid()
    while pid is not None and pid > 1 and len(me) < 64:  # the shell that ran us, and its parents
        me.add(pid)
        pid = proc.ppid(pid)
    busy = {}
    for f, pids in processes_in(folders, exclude=me).items():
        left = [p for p in pids if _comm(p) not in IDLE_HERE]
        if left:
            busy[f] = left
    if busy:
        where, pids = next(iter(busy.items()))
        names = [describe(p) for p in pids[:3]]
        raise RecoveryError(
            f"still working in {where}: {'; '.join(names)} — stop it (or wait for it) first: "
            "salvage restores that checkout, and what it writes after the snapshot would be lost"
        )


def _index(paths: RepoPaths, sha: str) -> int:
    return next((s.index for s in gitrepo.list_stashes(paths) if s.sha == sha), 0)


def _restore_checkout(paths: RepoPaths, main: Path, branch: str | None, sha: str) -> list[Outcome]:
    """The main checkout back to *branch* at *sha*, clean; its dirty state and a moved tip go to
    the trash first."""
    out: list[Outcome] = []
    wt = gitrepo.list_worktrees(paths)[0]
    op = gitrepo.operation_in_progress(paths.common_dir)
    if op is not None:  # a rebase (merge, ...) an agent left half-done: its state goes, its files are backed up below
        if op == "bisect":
            gitcmd.run(main, ["bisect", "reset", "HEAD"], check=False)  # (stays where it is)
        else:
            gitcmd.run(main, [op, "--quit"], check=False)
        out.append(
            Outcome(
                True,
                f"ended the {op} left in progress in the main checkout ({op} --quit: nothing of "
                "its files is touched; they are backed up with the rest)",
            )
        )
    if gitrepo.status_entries(main):
        snap = snapshot_worktree(wt)
        entry = new_id()
        meta = {"path": str(main), "branch": wt.branch, "head": wt.head, "detached": wt.detached, "checkout": True}
        _backup(paths, entry, "worktree", snap)
        _record(
            paths,
            "trash",
            id=entry,
            kind="worktree",
            sha=snap,
            meta=meta,
            description=f"the main checkout's dirty state ({wt.branch or 'detached'})",
        )
        out.append(Outcome(True, f"backed up the main checkout's dirty state as {entry}", entry))
    if branch:
        _, tip, _ = gitcmd.run(paths.common_dir, ["rev-parse", "-q", "--verify", f"refs/heads/{branch}"], check=False)
        tip = tip.strip()
        if tip and tip != sha:
            entry = new_id()
            _backup(paths, entry, "branch", tip)
            _record(
                paths,
                "trash",
                id=entry,
                kind="branch",
                sha=tip,
                meta={"name": f"{branch}-moved-{entry[-6:]}"},
                description=f"{branch}'s tip {tip[:10]} before salvage moved it back to {sha[:10]}",
            )
            out.append(Outcome(True, f"backed up {branch}'s moved tip {tip[:10]} as {entry}", entry))
        gitcmd.out(main, "checkout", "-q", "-f", "-B", branch, sha, "--")
    else:
        gitcmd.out(main, "checkout", "-q", "-f", "--detach", sha, "--")
    gitcmd.out(main, "clean", "-q", "-f", "-d")
    out.append(Outcome(True, f"the main checkout is back on {branch or 'detached'} at {sha[:10]}, clean"))
    return out
