"""Test helpers for recovery, the timeline and landing: a repository after an incident, a Claude
Code session written as the client writes it, an agent's worktree with commits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agenttui.core import journal, recovery
from agenttui.core.clients import claude_code
from agenttui.core.git import repo as gitrepo
from tests.support.repos import git, make_repo


def make_incident(root: Path, *, baseline: bool = True) -> tuple[Path, Path]:
    """10 stashes, 4 stray branches (2 unmerged), 1 self-made worktree with uncommitted,
    untracked and ignored work — after a baseline on record (the guard armed), unless not asked."""
    r = make_repo(root / "repo", files={".gitignore": "*.log\n"})
    if baseline:
        paths = gitrepo.open_repo(r)
        journal.append(paths, "guard-arm", by_fire=False, baseline=recovery.baseline(paths))
    for i in range(10):
        (r / "file0.txt").write_text(f"stash {i}\n")
        if i % 3 == 0:
            (r / f"untracked{i}.txt").write_text("u")
            git(r, "stash", "push", "-q", "-u", "-m", f"others-work-again {i}")
        else:
            git(r, "stash", "push", "-q", "-m", f"others-work-again {i}")
    git(r, "branch", "agent-a-tmp")
    git(r, "branch", "agent-b-tmp")
    for name in ("wip-unmerged-1", "wip-unmerged-2"):
        git(r, "checkout", "-q", "-b", name)
        (r / f"{name}.txt").write_text(name)
        git(r, "add", "-A")
        git(r, "commit", "-qm", name)
        git(r, "checkout", "-q", "main")
    git(r, "config", "branch.wip-unmerged-1.description", "agent one's half-done work")
    wt = root / "tmp wt ☃"
    git(r, "worktree", "add", "-q", "-b", "self-isolated", str(wt))
    (wt / "file0.txt").write_text("uncommitted change\n")
    (wt / "file1.txt").unlink()
    (wt / "new dir").mkdir()
    (wt / "new dir" / "untracked.py").write_text("print('hi')\n")
    (wt / "build.log").write_text("ignored but precious\n")
    return r, wt


def tree_state(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): p.read_text()
        for p in sorted(path.rglob("*"))
        if p.is_file() and ".git" not in p.parts and p.name != ".git"
    }


def refs(r: Path, prefix: str) -> dict[str, str]:
    out = git(r, "for-each-ref", "--format=%(refname) %(objectname)", prefix)
    return dict(line.split(" ", 1) for line in out.splitlines())


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Session:
    """Writes a session's transcript files as Claude Code does."""

    def __init__(self, home: Path, cwd: Path, sid: str = "s-1") -> None:
        self.cwd, self.sid = cwd, sid
        self.folder = home / ".claude" / "projects" / claude_code.folder_name(cwd)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.main: list[dict[str, Any]] = []
        self.n = 0

    def _rec(self, kind: str, t: float, content: Any, **extra: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "timestamp": iso(t),
            "cwd": str(self.cwd),
            "sessionId": self.sid,
            "message": {"role": kind, "content": content},
            **extra,
        }

    def dispatch(
        self,
        t: float,
        aid: str,
        description: str,
        prompt: str,
        calls: list[tuple[float, str, dict[str, Any], str]],
        isolation: str | None = None,
        agent_type: str = "general-purpose",
    ) -> None:
        self.n += 1
        uid = f"toolu_d{self.n}"
        inp = {"description": description, "prompt": prompt, "subagent_type": agent_type}
        if isolation:
            inp["isolation"] = isolation
        self.main.append(self._rec("assistant", t, [{"type": "tool_use", "id": uid, "name": "Agent", "input": inp}]))
        end = max((c[0] for c in calls), default=t) + 0.5
        self.main.append(
            self._rec(
                "user",
                end,
                [{"type": "tool_result", "tool_use_id": uid, "content": "done"}],
                toolUseResult={"agentId": aid, "prompt": prompt},
            )
        )
        sub = self.folder / self.sid / "subagents"
        sub.mkdir(parents=True, exist_ok=True)
        recs = [self._rec("user", t + 0.01, prompt, agentId=aid, isSidechain=True)]
        for i, (ct, tool, tinput, result) in enumerate(calls):
            cid = f"toolu_{aid}_{i}"
            recs.append(
                self._rec(
                    "assistant", ct, [{"type": "tool_use", "id": cid, "name": tool, "input": tinput}], agentId=aid
                )
            )
            recs.append(
                self._rec(
                    "user",
                    ct + 0.05,
                    [{"type": "tool_result", "tool_use_id": cid, "content": result, "is_error": False}],
                    agentId=aid,
                )
            )
        (sub / f"agent-{aid}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
        (sub / f"agent-{aid}.meta.json").write_text(
            json.dumps({"agentType": agent_type, "description": description, "toolUseId": uid})
        )

    def save(self, extra_lines: str = "") -> Path:
        path = self.folder / f"{self.sid}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in self.main) + extra_lines)
        return path


def agent(r: Path, tmp: Path, name: str, files: dict[str, str], *, commits: int = 1) -> Path:
    """An agent's worktree on agents/<name> with *files* committed."""
    wt = tmp / f"{name}-wt"
    git(r, "worktree", "add", "-q", "-b", f"agents/{name}", str(wt))
    for i in range(commits):
        for path, text in files.items():
            (wt / path).parent.mkdir(parents=True, exist_ok=True)
            (wt / path).write_text(text + (f" {i}" if i else "") + "\n")
        git(wt, "add", "-A")
        git(wt, "commit", "-qm", f"{name} step {i}")
    return wt
