"""The isolation check: plan + repository facts in, verdict out.

:func:`verify` is pure.  :func:`gather_facts` reads the repository (a handful of git calls).
The verdict is an announcement, exactly one of

* ``All N dispatches use isolation: worktree — verified``
* ``Not applicable because N=1``
* ``Not applicable because no code-writing``

or a list of violations, one line each, naming the dispatch and what to change.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from agenttui.core.dispatch.plan import AgentSpec, Plan
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import HeadState, RepoPaths, Worktree

EM_DASH = "\u2014"
REPO = "(repository)"
PLAN = "(plan)"


def announcement_all(n: int) -> str:
    return f"All {n} dispatches use isolation: worktree {EM_DASH} verified"


ANNOUNCE_N1 = "Not applicable because N=1"
ANNOUNCE_NO_WRITES = "Not applicable because no code-writing"


@dataclass(frozen=True)
class DispatchTarget:
    """Where one dispatch will run."""

    name: str
    path: Path
    branch: str | None  # None: runs on whatever the main checkout has
    isolated: bool


@dataclass(frozen=True)
class RepoFacts:
    """What the verdict depends on, read from the repository at one moment."""

    bare: bool
    has_commits: bool
    main: Path | None
    head: HeadState | None
    worktrees: tuple[Worktree, ...]
    branches: dict[str, str] = field(default_factory=dict)  # branch name -> sha (plan targets only)
    bases: dict[str, str | None] = field(default_factory=dict)  # base rev -> commit sha
    existing: frozenset[Path] = frozenset()  # target paths that exist on disk
    unusable: tuple[tuple[str, str], ...] = ()  # (target path, why a worktree cannot go there)

    @property
    def fingerprint(self) -> str:
        payload = {
            "bare": self.bare,
            "commits": self.has_commits,
            "main": str(self.main),
            "head": [self.head.branch, self.head.sha, self.head.operation] if self.head else None,
            "wt": sorted([str(w.path), w.branch, w.head] for w in self.worktrees),
            "br": sorted(self.branches.items()),
            "bases": sorted((k, v or "") for k, v in self.bases.items()),
            "ex": sorted(str(p) for p in self.existing),
            "unusable": sorted(self.unusable),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Violation:
    agent: str
    problem: str
    kind: str = "other"  # "isolation" when serializing would fix it

    @property
    def line(self) -> str:
        who = self.agent if self.agent.startswith("(") else f"agent '{self.agent}'"
        return f"{who}: {self.problem}"


@dataclass(frozen=True)
class Verdict:
    announcement: str | None
    violations: tuple[Violation, ...]
    targets: tuple[DispatchTarget, ...]
    plan_fingerprint: str
    facts_fingerprint: str

    @property
    def ok(self) -> bool:
        return self.announcement is not None

    @property
    def can_serialize(self) -> bool:
        """The only problem is missing isolation: running one after another would be safe."""
        return bool(self.violations) and all(v.kind == "isolation" for v in self.violations)

    def problems_for(self, name: str) -> list[str]:
        return [v.problem for v in self.violations if v.agent == name]

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "announcement": self.announcement,
            "violations": [{"agent": v.agent, "problem": v.problem} for v in self.violations],
        }


def _norm(p: Path) -> Path:
    return Path(os.path.normpath(p))


def worktree_root(plan: Plan, main: Path) -> Path:
    if plan.worktree_root:
        return _norm(main / Path(plan.worktree_root).expanduser())
    return main.parent / f"{main.name}.agents"


def plan_targets(plan: Plan, main: Path | None, head: HeadState | None = None) -> list[DispatchTarget]:
    """Where each dispatch runs and on which branch (pure: no file system access)."""
    targets: list[DispatchTarget] = []
    if main is None:
        return targets
    root = worktree_root(plan, main)
    for a in plan.agents:
        if a.isolation == "none":
            targets.append(DispatchTarget(a.name, main, head.branch if head else None, False))
            continue
        path = _norm(main / Path(a.worktree).expanduser()) if a.worktree else root / a.name
        branch = a.branch or f"{plan.branch_prefix}{a.name}"
        targets.append(DispatchTarget(a.name, path, branch, True))
    return targets


def target_problem(path: Path, git_dirs: tuple[Path, ...]) -> str | None:
    """Why no worktree can be made at *path*, found before fire (not half-way through it): a
    place inside a ``.git`` directory (``worktree_root = ".git/wt"`` once made agents' worktrees
    inside the repository's own database), under a file, unwritable, or with a name part longer
    than the file system allows."""
    p = _norm(path)
    if any(part == ".git" for part in p.parts):
        return "is inside a .git directory"
    real = Path(os.path.realpath(p))
    for d in git_dirs:
        if any(q == d or d in q.parents for q in (p, real)):
            return f"is inside the repository's git directory {d}"
    if any(len(os.fsencode(part)) > 255 for part in p.parts):
        return "has a name part longer than 255 bytes"
    for virtual in ("/proc", "/sys", "/dev"):  # (root may write there: no place for a worktree either way)
        if any(str(q) == virtual or str(q).startswith(virtual + "/") for q in (p, real)):
            return f"is on a virtual file system ({virtual})"
    parent = p
    while True:
        try:
            if parent.exists() or parent == parent.parent:
                break
        except OSError as exc:  # e.g. ENAMETOOLONG
            return f"cannot be used: {exc.strerror}"
        parent = parent.parent
    if parent != p and not parent.is_dir():
        return f"cannot be created: {parent} is a file"
    if parent != p and not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot be created: {parent} is not writable"
    return None


def gather_facts(paths: RepoPaths, plan: Plan) -> RepoFacts:
    """Read what :func:`verify` needs from the repository."""
    if paths.bare:
        trees = gitrepo.list_worktrees(paths)
        bare_main = gitrepo.main_checkout(paths, trees)
        if bare_main is None:
            return RepoFacts(
                bare=True, has_commits=gitrepo.has_commits(paths), main=None, head=None, worktrees=tuple(trees)
            )
    trees = gitrepo.list_worktrees(paths)
    main = gitrepo.main_checkout(paths, trees)
    head = gitrepo.head_state(main) if main else None
    commits = head is not None and head.sha is not None or gitrepo.has_commits(paths)
    targets = plan_targets(plan, main, head)
    wanted = {t.branch for t in targets if t.branch}
    branches = {b.name: b.sha for b in gitrepo.list_branches(paths) if b.name in wanted}
    bases: dict[str, str | None] = {}
    if commits:
        revs = [a.base for a in plan.agents if a.isolation == "worktree"]
        bases = gitrepo.resolve_commits(paths, revs, cwd=main)
    registered = {_norm(w.path) for w in trees}
    git_dirs = tuple(dict.fromkeys(_norm(Path(os.path.realpath(d))) for d in (paths.common_dir, paths.git_dir)))
    unusable: list[tuple[str, str]] = []
    existing_paths: list[Path] = []
    for t in targets:
        if not t.isolated:
            continue
        problem = None if _norm(t.path) in registered else target_problem(t.path, git_dirs)
        if problem is not None:
            unusable.append((str(t.path), problem))
            continue
        try:
            if t.path.exists():
                existing_paths.append(t.path)
        except OSError:
            pass
    existing = frozenset(existing_paths)
    return RepoFacts(
        bare=False,
        has_commits=commits,
        main=main,
        head=head,
        worktrees=tuple(trees),
        branches=branches,
        bases=bases,
        existing=existing,
        unusable=tuple(unusable),
    )


def _same(a: Path, b: Path) -> bool:
    return os.path.normcase(str(_norm(a))) == os.path.normcase(str(_norm(b)))


def verify(plan: Plan, facts: RepoFacts) -> Verdict:
    """Decide whether the plan may be dispatched in parallel.  Pure."""
    v: list[Violation] = []
    targets = plan_targets(plan, facts.main, facts.head)

    def verdict(announcement: str | None) -> Verdict:
        return Verdict(
            announcement=None if v else announcement,
            violations=tuple(v),
            targets=tuple(targets),
            plan_fingerprint=plan.fingerprint,
            facts_fingerprint=facts.fingerprint,
        )

    if facts.bare or facts.main is None:
        v.append(
            Violation(
                REPO, "is a bare repository: agents need a working tree (clone it, or run agenttui in a checkout)"
            )
        )
        return verdict(None)
    if not facts.has_commits:
        v.append(Violation(REPO, "has no commits yet: make a first commit so worktrees have a base"))
        return verdict(None)
    head = facts.head
    if head and head.operation and head.operation != "bisect":
        v.append(
            Violation(
                REPO,
                f"main checkout is in the middle of a {head.operation}: "
                f"finish it or abort it (git {head.operation} --continue / --abort)",
            )
        )
    if head and head.index_locked:
        v.append(
            Violation(
                REPO,
                "main checkout's index.lock is held: another git command is "
                "running, or it crashed and left a stale lock (remove it once no git runs)",
            )
        )
    n = len(plan.agents)
    if n == 0:
        v.append(Violation(PLAN, "has no [[agent]] entries: nothing to dispatch"))
        return verdict(None)
    writers = [a for a in plan.agents if a.writes]
    if n == 1:
        announcement = ANNOUNCE_N1
    elif not writers:
        announcement = ANNOUNCE_NO_WRITES
    else:
        announcement = announcement_all(n)
        for a in plan.agents:
            if a.isolation != "none":
                continue
            if a.writes:
                v.append(
                    Violation(
                        a.name,
                        f'writes code with isolation = "none" while {n} dispatches '
                        'run in parallel: set isolation = "worktree", or serialize',
                        kind="isolation",
                    )
                )
            else:
                v.append(
                    Violation(
                        a.name,
                        f'isolation = "none" while {n} dispatches run and some write: '
                        'set isolation = "worktree" (read-only agents still see '
                        "branches flip), or serialize",
                        kind="isolation",
                    )
                )
    _check_targets(plan, facts, targets, v)
    return verdict(announcement)


def _check_targets(plan: Plan, facts: RepoFacts, targets: list[DispatchTarget], v: list[Violation]) -> None:
    assert facts.main is not None
    by_name: dict[str, AgentSpec] = {a.name: a for a in plan.agents}
    seen_path: dict[str, str] = {}
    seen_branch: dict[str, str] = {}
    registered = {os.path.normcase(str(_norm(w.path))): w for w in facts.worktrees}
    unusable = dict(facts.unusable)
    for t in targets:
        if not t.isolated:
            continue
        a = by_name[t.name]
        if str(t.path) in unusable:
            v.append(
                Violation(
                    t.name,
                    f"worktree path {t.path} {unusable[str(t.path)]}: "
                    "set worktree_root (or worktree) to a writable folder outside .git",
                )
            )
        key = os.path.normcase(str(t.path))
        if _same(t.path, facts.main):
            v.append(Violation(t.name, f"worktree path {t.path} is the main checkout: give it its own folder"))
        if key in seen_path:
            v.append(
                Violation(
                    t.name,
                    f"shares worktree path {t.path} with agent '{seen_path[key]}': give each dispatch its own path",
                )
            )
        seen_path.setdefault(key, t.name)
        assert t.branch is not None
        if t.branch in seen_branch:
            v.append(
                Violation(
                    t.name,
                    f"shares branch {t.branch} with agent '{seen_branch[t.branch]}': give each dispatch its own branch",
                )
            )
        seen_branch.setdefault(t.branch, t.name)
        own = registered.get(key)
        for w in facts.worktrees:
            if w.branch == t.branch and not _same(w.path, t.path):
                v.append(
                    Violation(
                        t.name,
                        f"branch {t.branch} is already checked out in {w.path}: "
                        "pick another branch or remove that worktree",
                    )
                )
        if t.path in facts.existing and not (own is not None and own.branch == t.branch):
            what = (
                f"is a worktree on {own.branch or 'a detached HEAD'}"
                if own is not None
                else "exists and is not a worktree"
            )
            v.append(
                Violation(t.name, f"target path {t.path} {what}: remove or archive it, or set another worktree path")
            )
        if t.branch not in facts.branches and facts.bases.get(a.base) is None:
            v.append(
                Violation(
                    t.name, f"base {a.base!r} does not resolve to a commit: set base to an existing branch, tag or sha"
                )
            )
