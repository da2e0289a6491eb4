"""Snapshots of agent worktrees: ``refs/agenttui/snap/<agent>/<ms>``, restorable in one step.

Agent worktrees get deleted or reset by other tools (a desktop app's worktree pool, ``git worktree
prune``, a clean-up script, ``rm -rf``).  After each burst of an agent's activity agenttui commits
the worktree's whole state, untracked files included, without touching the agent's index or
working tree (the magit-wip way, GIT-NOTES "Destroying safely" 7):

* a copy of the worktree's own index (its stat cache: only changed files are hashed again) →
  ``write-tree`` = the index as the agent staged it, committed with HEAD as parent (``I``);
* another copy → ``add -A`` → ``write-tree`` = every file on disk but the ignored ones (``W``);
* ``W`` = ``commit-tree <tree> -p HEAD -p I`` (the shape of a stash; ``I`` is HEAD itself when
  nothing is staged, and is not made), its message a JSON line
  with the agent, path, branch and HEAD so a restore needs nothing but the ref.

A snapshot is written only when ``W``'s tree differs from the agent's last one; the last ``KEEP``
per agent are kept (older refs go in the same ``update-ref --stdin`` transaction that adds the new
one).  :func:`restore` puts the worktree back — re-created when it is gone, its branch back at the
snapshot's HEAD, every file of the snapshot written, the index as it was — after backing up into
the trash whatever it is about to overwrite.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agenttui.core import journal
from agenttui.core.errors import AgentTuiError, GitError
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths
from agenttui.core.recovery.lock import locked
from agenttui.core.recovery.trash import backup_into_trash

SNAP = "refs/agenttui/snap"
KEEP = 5  # snapshots kept per agent


@dataclass(frozen=True)
class Snapshot:
    agent: str
    ref: str
    sha: str
    tree: str
    time: float
    path: str
    branch: str | None  # refs/heads/... or None when detached
    head: str | None
    index: str | None  # the commit holding the agent's staged index

    @property
    def id(self) -> str:
        return self.ref.removeprefix(SNAP + "/")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agent": self.agent,
            "sha": self.sha,
            "time": self.time,
            "path": self.path,
            "branch": self.branch,
            "head": self.head,
        }


def ref_part(agent: str) -> str:
    """A ref-safe folder for *agent* (names may hold '/', spaces, anything): kept readable,
    made unique by a short hash when it had to change."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", agent).strip("-") or "agent"
    if safe != agent:
        safe = f"{safe[:60]}-{hashlib.sha1(agent.encode()).hexdigest()[:6]}"
    return safe


def _where(worktree: Path) -> tuple[str, str | None, str | None, str | None]:
    """(the worktree's git dir, its HEAD ref or None when detached, its HEAD sha and HEAD's tree, or
    None: unborn) — one rev-parse (an option applies to the arguments after it)."""
    status, text, _ = gitcmd.run(
        worktree,
        ["rev-parse", "--absolute-git-dir", "HEAD", "HEAD^{tree}", "--symbolic-full-name", "HEAD"],
        check=False,
    )
    lines = text.splitlines()
    if status == 0 and len(lines) == 4:
        return lines[0], (lines[3] if lines[3].startswith("refs/") else None), lines[1], lines[2]
    git_dir = gitcmd.out(worktree, "rev-parse", "--absolute-git-dir").strip()
    _, ref, _ = gitcmd.run(worktree, ["symbolic-ref", "-q", "HEAD"], check=False)
    return git_dir, ref.strip() or None, None, None


def _tree(worktree: Path, index: str, *, add: bool) -> str:
    env = {"GIT_INDEX_FILE": index}
    if add:
        gitcmd.run(worktree, ["add", "-A", "--", "."], env=env)
    return gitcmd.run(worktree, ["write-tree"], env=env)[1].strip()


def list_snapshots(paths: RepoPaths, agent: str | None = None) -> list[Snapshot]:
    """Snapshots, newest first (one ``for-each-ref``; the meta from each commit's message)."""
    where = f"{SNAP}/{ref_part(agent)}" if agent is not None else SNAP
    text = gitcmd.out(
        paths.common_dir,
        "for-each-ref",
        "--sort=-refname",
        "--format=%(refname)%00%(objectname)%00%(tree)%00%(contents:body)%00",
        where,
    )
    found: list[Snapshot] = []
    for chunk in text.split("\0\n"):
        parts = chunk.split("\0")
        if len(parts) < 4:
            continue
        ref, sha, tree, body = parts[0], parts[1], parts[2], parts[3]
        try:
            meta = json.loads(body.strip().splitlines()[-1])
        except (ValueError, IndexError):
            continue
        if not isinstance(meta, dict):
            continue
        found.append(
            Snapshot(
                str(meta.get("agent") or ""),
                ref,
                sha,
                tree,
                float(meta.get("time") or 0),
                str(meta.get("path") or ""),
                meta.get("branch"),
                meta.get("head"),
                meta.get("index"),
            )
        )
    found.sort(key=lambda s: -s.time)
    return found


def take(
    paths: RepoPaths, agent: str, worktree: Path, *, last_tree: str | None = None, keep: int = KEEP
) -> Snapshot | None:
    """Snapshot *worktree* for *agent*; None when its tree equals *last_tree* (nothing changed).
    Raises GitError when the worktree cannot be read (gone, not a worktree)."""
    git_dir, branch, head, head_tree = _where(worktree)
    with tempfile.TemporaryDirectory(prefix="agenttui-snap-") as tmp:
        staged, full = os.path.join(tmp, "staged"), os.path.join(tmp, "full")
        own = os.path.join(git_dir, "index")
        if os.path.exists(own):
            shutil.copyfile(own, staged)
            shutil.copyfile(own, full)
        elif head:
            gitcmd.run(worktree, ["read-tree", head], env={"GIT_INDEX_FILE": staged})
            shutil.copyfile(staged, full)
        tree = _tree(worktree, full, add=True)
        if tree == last_tree:
            return None
        index_tree = _tree(worktree, staged, add=False) if os.path.exists(staged) else tree
    parents = ["-p", head] if head else []
    now = time.time()
    # nothing staged (the common case): the index is HEAD itself, no commit needed for it
    index = (
        head
        if head and index_tree == head_tree
        else gitcmd.out(
            paths.common_dir, "commit-tree", index_tree, *parents, "-m", f"agenttui index of {agent}"
        ).strip()
    )
    meta = {"agent": agent, "path": str(worktree), "branch": branch, "head": head, "index": index, "time": now}
    msg = f"agenttui snapshot of {agent} ({branch or 'detached'})\n\n{json.dumps(meta)}"
    second = ["-p", index] if index != head else []  # (the same parent twice: git drops one, noisily)
    sha = gitcmd.out(paths.common_dir, "commit-tree", tree, *parents, *second, "-m", msg).strip()
    ref = f"{SNAP}/{ref_part(agent)}/{int(now * 1000):015d}"
    old = [s.ref for s in list_snapshots(paths, agent)][max(0, keep - 1) :]
    lines = ["start", f"create {ref} {sha}", *(f"delete {r}" for r in old), "prepare", "commit"]
    gitcmd.run(paths.common_dir, ["update-ref", "--stdin"], input="\n".join(lines) + "\n")
    return Snapshot(agent, ref, sha, tree, now, str(worktree), branch, head, index)


def find(paths: RepoPaths, snap_id: str) -> Snapshot:
    for s in list_snapshots(paths):
        if s.id == snap_id or s.ref == snap_id:
            return s
    raise AgentTuiError(f"no snapshot {snap_id} (agenttui trash lists the snapshots)")


def _registered(paths: RepoPaths, path: Path) -> bool:
    return any(w.path == path for w in gitrepo.list_worktrees(paths))


@locked
def restore(paths: RepoPaths, snap: Snapshot) -> str:
    """Put the worktree back as *snap* has it.  What would be overwritten is in the trash first:
    the worktree's current state (when it still exists) and the branch's tip (when it moved)."""
    path = Path(snap.path)
    backed: list[str] = []
    if path.is_dir() and (path / ".git").exists():
        with contextlib.suppress(GitError):
            now = take(paths, snap.agent, path, keep=KEEP + 1)
            if now is not None:
                backed.append(
                    backup_into_trash(
                        paths,
                        "worktree",
                        now.sha,
                        f"worktree {path} before restoring {snap.id}",
                        {"path": str(path), "branch": now.branch, "head": now.head, "snapshot": now.ref},
                    )
                )
    branch = snap.branch.removeprefix("refs/heads/") if snap.branch else None
    if branch and snap.head:
        _, tip, _ = gitcmd.run(paths.common_dir, ["rev-parse", "-q", "--verify", f"refs/heads/{branch}"], check=False)
        tip = tip.strip()
        if tip and tip != snap.head:
            backed.append(
                backup_into_trash(
                    paths,
                    "branch",
                    tip,
                    f"branch {branch} at {tip[:10]} (moved away from the agent's {snap.head[:10]})",
                    {"name": f"{branch}-moved"},
                )
            )
        if tip != snap.head:
            gitcmd.out(
                paths.common_dir, "update-ref", "-m", f"agenttui: restore {snap.id}", f"refs/heads/{branch}", snap.head
            )
    if not path.is_dir() or not (path / ".git").exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        force = ["-f"] if _registered(paths, path) else []  # a missing but registered worktree
        target = (
            ["--end-of-options", str(path), branch]
            if branch
            else ["--detach", "--end-of-options", str(path), snap.head or snap.sha]
        )
        gitcmd.out(paths.common_dir, "worktree", "add", "--quiet", *force, *target)
    elif branch:  # the worktree is there: on the agent's branch again (someone may have switched it)
        gitcmd.out(path, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
    elif snap.head:
        gitcmd.out(path, "update-ref", "--no-deref", "HEAD", snap.head)
    with tempfile.TemporaryDirectory(prefix="agenttui-snap-") as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        gitcmd.run(path, ["read-tree", snap.tree], env=env)
        gitcmd.run(path, ["checkout-index", "-a", "-f"], env=env)  # every file of the snapshot
    gitcmd.run(path, ["read-tree", snap.index or snap.head or snap.tree])  # the index as it was staged
    journal.append(
        paths, "snapshot-restore", id=snap.id, agent=snap.agent, path=str(path), sha=snap.sha, backups=backed
    )
    more = f"; what it replaced is in the trash ({', '.join(backed)})" if backed else ""
    return f"restored {path} from snapshot {snap.id}{more}"
