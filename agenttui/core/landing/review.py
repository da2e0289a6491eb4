"""Review an agent's work: what NAME means, its diff against the base (committed, uncommitted and
untracked), and "is it integrated?" with the checks that make a clean-up safe."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agenttui.core.errors import AgentTuiError
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths


class LandingError(AgentTuiError):
    """Nothing was landed; the message says why."""


@dataclass(frozen=True)
class LandingTarget:
    """What a NAME on the command line means: an agent's branch, and its worktree if it has one."""

    name: str
    branch: str
    worktree: Path | None


def _git(paths: RepoPaths, *args: str, cwd: Path | None = None, check: bool = True) -> str:
    return gitcmd.run(cwd or paths.common_dir, list(args), check=check)[1]


def _sha(paths: RepoPaths, rev: str) -> str | None:
    st, out, _ = gitcmd.run(
        paths.common_dir, ["rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}"], check=False
    )
    return out.strip() or None if st == 0 else None


def default_base(paths: RepoPaths) -> str:
    """The branch agents land into: the main checkout's branch (else main/master)."""
    main = gitrepo.main_checkout(paths)
    if main is not None:
        h = gitrepo.head_state(main)
        if h.branch:
            return h.branch
    for name in ("main", "master"):
        if _sha(paths, f"refs/heads/{name}"):
            return name
    raise LandingError("no base branch: the main checkout is detached; give --into BRANCH")


def resolve(paths: RepoPaths, name: str) -> LandingTarget:
    """NAME: a plan agent, a linked worktree's folder name, or a branch."""
    from agenttui.core.dispatch.check import plan_targets
    from agenttui.core.dispatch.plan import load_plan
    from agenttui.core.dispatch.planfile import find_plan

    trees = gitrepo.list_worktrees(paths)
    main = gitrepo.main_checkout(paths, trees)
    plan_path = find_plan(paths.toplevel)
    if plan_path is not None:
        try:
            plan = load_plan(plan_path)
            for t in plan_targets(plan, main, None):
                if t.name == name and t.branch and t.isolated:
                    wt = next((w.path for w in trees if os.path.normpath(w.path) == os.path.normpath(t.path)), None)
                    return LandingTarget(name, t.branch, wt)
        except AgentTuiError:
            pass
    for w in trees:
        if not w.is_main and w.path.name == name and w.branch:
            return LandingTarget(name, w.branch, w.path)
    if _sha(paths, f"refs/heads/{name}"):
        wt = next((w.path for w in trees if w.branch == name and not w.is_main), None)
        return LandingTarget(name, name, wt)
    raise LandingError(f"no agent, worktree or branch named {name!r}")


@dataclass
class FileDiff:
    path: str
    added: int | None  # None: binary
    removed: int | None
    state: str  # "committed", "uncommitted", "untracked"


@dataclass
class AgentDiff:
    target: LandingTarget
    base: str  # the base branch
    merge_base: str
    ahead: int
    behind: int
    files: list[FileDiff] = field(default_factory=list)
    patch: str = ""
    integrated: str | None = None  # how it is integrated already, or None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.target.name,
            "branch": self.target.branch,
            "worktree": str(self.target.worktree) if self.target.worktree else None,
            "base": self.base,
            "merge_base": self.merge_base,
            "ahead": self.ahead,
            "behind": self.behind,
            "integrated": self.integrated,
            "files": [{"path": f.path, "added": f.added, "removed": f.removed, "state": f.state} for f in self.files],
        }


# ------------------------------------------------------------------ review
def integrated(paths: RepoPaths, branch: str, base: str) -> str | None:
    """How *branch* is already in *base* (None: it is not): the same commit; an ancestor; no changes
    added; equal trees; a simulated merge that adds nothing; every patch-id present (a squash)."""
    b, t = _sha(paths, f"refs/heads/{branch}"), _sha(paths, base)
    if b is None or t is None:
        return None
    if b == t:
        return "same commit"
    if gitcmd.ok(paths.common_dir, "merge-base", "--is-ancestor", b, t):
        return f"an ancestor of {base}"
    mb = _git(paths, "merge-base", b, t, check=False).strip()
    if mb and not _git(paths, "diff", "--name-only", mb, b, "--", check=False).strip():
        return "no changes added"
    if _git(paths, "rev-parse", f"{b}^{{tree}}").strip() == _git(paths, "rev-parse", f"{t}^{{tree}}").strip():
        return f"the same tree as {base}"
    st, out, _ = gitcmd.run(paths.common_dir, ["merge-tree", "--write-tree", "--end-of-options", t, b], check=False)
    if st == 0 and out.split("\n", 1)[0].strip() == _git(paths, "rev-parse", f"{t}^{{tree}}").strip():
        return f"merging adds nothing to {base}"
    cherry = _git(paths, "cherry", t, b, check=False).split()
    if cherry and all(mark == "-" for mark in cherry[::2]):
        return f"every commit's patch is in {base} (landed by squash or cherry-pick)"
    return None


def diff(paths: RepoPaths, name: str, base: str | None = None, *, patch: bool = True) -> AgentDiff:
    t = resolve(paths, name)
    base = base or default_base(paths)
    tip, btip = _sha(paths, f"refs/heads/{t.branch}"), _sha(paths, f"refs/heads/{base}")
    if tip is None or btip is None:
        raise LandingError(f"no branch {t.branch if tip is None else base}")
    mb = _git(paths, "merge-base", tip, btip).strip()
    counts = _git(paths, "rev-list", "--left-right", "--count", f"{btip}...{tip}").split()
    d = AgentDiff(t, base, mb, int(counts[1]), int(counts[0]), integrated=integrated(paths, t.branch, base))
    where = t.worktree if t.worktree is not None and os.path.isdir(t.worktree) else None

    def numstat(text: str, state: str) -> None:
        for line in filter(None, text.split("\0")):
            a, r, p = (line.split("\t", 2) + ["", ""])[:3]
            d.files.append(FileDiff(p, int(a) if a.isdigit() else None, int(r) if r.isdigit() else None, state))

    numstat(_git(paths, "diff", "--numstat", "-z", "--no-renames", mb, tip, "--"), "committed")
    if where is not None:  # the worktree's uncommitted changes, and its untracked files
        numstat(_git(paths, "diff", "--numstat", "-z", "--no-renames", "HEAD", "--", cwd=where), "uncommitted")
        for p in filter(None, _git(paths, "ls-files", "-z", "--others", "--exclude-standard", cwd=where).split("\0")):
            d.files.append(FileDiff(p, None, None, "untracked"))
    if patch:
        text = _git(paths, "diff", "--no-renames", mb, tip, "--")
        if where is not None:
            text += _git(paths, "diff", "--no-renames", "HEAD", "--", cwd=where)
        d.patch = text
    return d
