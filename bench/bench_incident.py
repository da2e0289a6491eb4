"""The incident after the fact at scale: reconstruction and salvage preview, beside raw reads.

    python bench/bench_incident.py [--branches 10000] [--stashes 1000] [--sessions 2000] [--mb 1000]

1. A repository with 10,000 branches and 1,000 stashes, then the incident of tests/realclient (four
   agents, their transcripts) on top: ``incident_report`` and the salvage preview, timed, beside the raw
   git reads they cannot do without (``git log -g --all``, ``for-each-ref``, ``stash list``).
2. A realistic ``~/.claude/projects``: SESSIONS transcripts, MB megabytes in all, of other projects and
   older times around this repository's few: reading the timeline's sessions, beside a raw read of only
   the matching files (the floor: they must be read whole).
Targets (issue 19): reconstruct in < 1 s at the incident's size; < 2 s with the big projects folder.
Prints numbers and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agenttui.core.clients import claude_code  # noqa: E402
from agenttui.core.git import repo as gitrepo
from agenttui.core.recovery import timeline  # noqa: E402
from agenttui.core.recovery.report import incident_report  # noqa: E402
from agenttui.core.recovery.salvage import preview  # noqa: E402
from bench.bench_listing import build  # noqa: E402


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@b", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def play(repo: Path, home: Path) -> None:
    """Four agents racing in the checkout (git for real), written down as Claude Code writes it."""
    folder = home / ".claude" / "projects" / claude_code.folder_name(repo)
    sub = folder / "s1" / "subagents"
    sub.mkdir(parents=True)
    t0 = time.time()
    main: list[dict[str, object]] = []
    steps = [
        ("auth", "Write", {"file_path": str(repo / "auth.py"), "content": "AUTH = 1\n"}, ""),
        ("auth", "Bash", {"command": "git checkout -b agent-auth-work"}, "Switched to a new branch"),
        ("api", "Write", {"file_path": str(repo / "api.py"), "content": "API = 1\n"}, ""),
        ("api", "Bash", {"command": "git stash push -u -m others-work-again"}, "Saved working directory"),
        ("db", "Bash", {"command": "git checkout main"}, "Switched to branch 'main'"),
        ("db", "Write", {"file_path": str(repo / "db.py"), "content": "DB = 1\n"}, ""),
        ("db", "Bash", {"command": "git add db.py && git commit -q -m 'db fix'"}, ""),
        ("docs", "Bash", {"command": "git checkout -b docs-work"}, "Switched to a new branch"),
    ]
    recs: dict[str, list[dict[str, object]]] = {a: [] for a in ("auth", "api", "db", "docs")}
    for i, agent in enumerate(recs):
        main.append(
            {
                "type": "assistant",
                "timestamp": iso(t0),
                "cwd": str(repo),
                "sessionId": "s1",
                "message": {
                    "content": [
                        {
                            "type": "tool_use",
                            "id": f"d{i}",
                            "name": "Agent",
                            "input": {"description": f"impl {agent}", "prompt": f"do {agent}"},
                        }
                    ]
                },
            }
        )
        recs[agent].append(
            {"type": "user", "timestamp": iso(t0), "cwd": str(repo), "message": {"content": f"do {agent}"}}
        )
        (sub / f"agent-a{i}.meta.json").write_text(
            json.dumps({"description": f"impl {agent}", "toolUseId": f"d{i}", "agentType": "general-purpose"})
        )
    time.sleep(1.1)
    for n, (agent, tool, inp, result) in enumerate(steps):
        t = time.time()
        if tool == "Write":
            Path(str(inp["file_path"])).write_text(str(inp["content"]))
        else:
            subprocess.run(
                str(inp["command"]),
                shell=True,
                cwd=repo,
                check=False,
                capture_output=True,
                env=dict(
                    os.environ,
                    GIT_AUTHOR_NAME="a",
                    GIT_AUTHOR_EMAIL="a@a",
                    GIT_COMMITTER_NAME="a",
                    GIT_COMMITTER_EMAIL="a@a",
                ),
            )
        recs[agent].append(
            {
                "type": "assistant",
                "timestamp": iso(t),
                "cwd": str(repo),
                "message": {"content": [{"type": "tool_use", "id": f"t{n}", "name": tool, "input": inp}]},
            }
        )
        recs[agent].append(
            {
                "type": "user",
                "timestamp": iso(time.time()),
                "cwd": str(repo),
                "message": {"content": [{"type": "tool_result", "tool_use_id": f"t{n}", "content": result}]},
            }
        )
    for i, rs in enumerate(recs.values()):
        done = [{"type": "tool_result", "tool_use_id": f"d{i}", "content": "done"}]
        main.append(
            {
                "type": "user",
                "timestamp": iso(time.time()),
                "cwd": str(repo),
                "message": {"content": done},
                "toolUseResult": {"agentId": f"a{i}"},
            }
        )
        (sub / f"agent-a{i}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rs))
    (folder / "s1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in main))


def noise(home: Path, repo: Path, sessions: int, mb: int) -> int:
    """Other projects' sessions and this project's older ones: SESSIONS files, MB in all."""
    projects = home / ".claude" / "projects"
    size = max(1, mb * 1024 * 1024 // max(1, sessions))
    line = (
        json.dumps(
            {
                "type": "assistant",
                "timestamp": iso(time.time() - 86400 * 60),
                "cwd": "/elsewhere",
                "message": {"content": [{"type": "text", "text": "x" * 900}]},
            }
        )
        + "\n"
    )
    body = line * max(1, size // len(line))
    old = time.time() - 86400 * 60
    for i in range(sessions):
        # a tenth: this repository's own, but older
        folder = projects / (claude_code.folder_name(repo) if i % 10 == 0 else f"-work-project-{i % 40}")
        folder.mkdir(parents=True, exist_ok=True)
        f = folder / f"old-{i}.jsonl"
        f.write_text(body)
        os.utime(f, (old, old))
    return sessions * len(body)


_SPAWNED = [0]
_POPEN_INIT = subprocess.Popen.__init__


def _counting_init(self: subprocess.Popen[bytes], *a: object, **k: object) -> None:
    _SPAWNED[0] += 1
    _POPEN_INIT(self, *a, **k)  # type: ignore[arg-type]


def spawned(fn: object) -> int:
    """Processes *fn* starts (git through porcelain and GitPython's cat-file alike)."""
    subprocess.Popen.__init__ = _counting_init  # type: ignore[method-assign]
    try:
        _SPAWNED[0] = 0
        fn()  # type: ignore[operator]
        return _SPAWNED[0]
    finally:
        subprocess.Popen.__init__ = _POPEN_INIT  # type: ignore[method-assign]


def objects_reads(repo: Path) -> None:
    """What salvage does for every place work may be: the files a tree-ish changed against a base and
    their blobs — for each stash of the big repository, through GitPython's persistent cat-file
    beside the porcelain way (an ``ls-tree`` and a ``diff`` process each), the same answers."""
    from agenttui.core.git.objects import Objects

    paths = gitrepo.open_repo(repo)
    shas = git(repo, "log", "-g", "--format=%H", "refs/stash").split()
    base = git(repo, "rev-parse", "HEAD").strip()

    def porcelain() -> list[dict[str, tuple[str, str]]]:
        out = []
        for sha in shas:
            names = git(repo, "diff", "--name-only", "-z", "--no-renames", base, sha, "--").split("\0")
            names = [n for n in names if n]
            rows = git(repo, "ls-tree", "-r", "-z", "--full-tree", sha, "--", *names).split("\0") if names else []
            out.append({r.split("\t", 1)[1]: tuple(r.split("\t", 1)[0].split()[::2]) for r in rows if r})
        return out

    def objects() -> list[dict[str, tuple[str, str]]]:
        with Objects(paths) as objs:
            return [objs.files(sha, objs.changed(base, sha)[0]) for sha in shas]

    assert [dict(sorted(d.items())) for d in porcelain()] == [dict(sorted(d.items())) for d in objects()]
    t_raw, t_obj = best(porcelain, 1), best(objects, 3)
    print(
        f"  trees of {len(shas)} stashes against HEAD: GitPython {t_obj * 1000:.0f} ms, {spawned(objects)} "
        f"processes; porcelain {t_raw * 1000:.0f} ms, {spawned(porcelain)} processes ({t_raw / t_obj:.1f}x)"
    )


def best(fn: object, n: int = 5) -> float:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - t)
    return min(samples)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--branches", type=int, default=10_000)
    ap.add_argument("--stashes", type=int, default=1_000)
    ap.add_argument("--sessions", type=int, default=2_000)
    ap.add_argument("--mb", type=int, default=1_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["GIT_CONFIG_GLOBAL"] = str(root / "gitconfig")
        (root / "gitconfig").write_text("[user]\n\tname = b\n\temail = b@b\n")
        small = root / "small"
        small.mkdir()
        git(small, "init", "-q", "-b", "main")
        (small / "f.txt").write_text("0\n")
        git(small, "add", "f.txt")
        git(small, "commit", "-qm", "base")
        big = build(root, args.branches, args.stashes)
        home = root / "home"
        for r in (small, big):
            play(r, home)
        print(
            f"incident of 4 agents, 8 tool calls, on a tiny repository and on {args.branches} branches + "
            f"{args.stashes} stashes"
        )
        for name, r in (("tiny", small), ("big", big)):
            paths = gitrepo.open_repo(r)
            raw = best(
                lambda r=r: (
                    git(r, "log", "-g", "--all", "--format=%gD%x00%H%x00%gs"),
                    git(r, "for-each-ref", "--format=%(refname)%00%(objectname)"),
                    git(r, "stash", "list"),
                ),
                3,
            )
            rep = incident_report(paths, home=str(home))
            named = sum(1 for m in rep["mutations"] if m["actor"].get("agent"))
            t_inc = best(lambda paths=paths: incident_report(paths, home=str(home)), 3)
            t_pre = best(lambda paths=paths: preview(paths, home=str(home)), 3)
            procs = spawned(lambda paths=paths: preview(paths, home=str(home)))
            print(
                f"  {name:5} incident {t_inc * 1000:7.0f} ms   salvage preview {t_pre * 1000:7.0f} ms "
                f"({procs} processes)   "
                f"raw git reads {raw * 1000:6.0f} ms   ({t_inc / raw:.1f}x raw; {named} of {len(rep['mutations'])} "
                "changes named)"
            )
        objects_reads(big)
        total = noise(home, small, args.sessions, args.mb)
        paths = gitrepo.open_repo(small)
        matching = [
            p
            for p in (home / ".claude" / "projects" / claude_code.folder_name(small)).rglob("*.jsonl")
            if p.stat().st_mtime > time.time() - 3600
        ]
        raw_read = best(lambda: [p.read_bytes() for p in matching], 3)
        t_tl = best(lambda: timeline.build(paths, str(home)), 3)
        t_inc = best(lambda: incident_report(paths, home=str(home)), 3)
        print(
            f"~/.claude/projects of {args.sessions} sessions, {total / 1e6:.0f} MB: timeline {t_tl * 1000:.0f} ms, "
            f"incident {t_inc * 1000:.0f} ms; raw read of the {len(matching)} matching files "
            f"{raw_read * 1000:.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
