"""Review and land agent work: the diff against its base, "is it integrated?", landing in the best
order, clean-up with nothing lost.

A landing never touches the main checkout's working tree unless it is clean and on the base branch
(then it is fast-forwarded, as ``git merge --ff-only`` would): merges, squashes and rebases happen in
a temporary worktree; the base moves by compare-and-swap (``update-ref <new> <old>``) after its old
tip went to the trash, so ``agenttui restore`` undoes a landing.  A conflict or a failing check
lands nothing and leaves everything as it was.
"""

from __future__ import annotations

import itertools
import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import gitcmd, journal
from . import repo as gitrepo
from .errors import AgentTuiError
from .models import RepoPaths

MODES = ("squash", "rebase", "merge", "ff")


class LandingError(AgentTuiError):
    """Nothing was landed; the message says why."""


@dataclass(frozen=True)
class Target:
    """What a NAME on the command line means: an agent's branch, and its worktree if it has one."""

    name: str
    branch: str
    worktree: Path | None


@dataclass
class FileDiff:
    path: str
    added: int | None  # None: binary
    removed: int | None
    state: str  # "committed", "uncommitted", "untracked"


@dataclass
class AgentDiff:
    target: Target
    base: str  # the base branch
    merge_base: str
    ahead: int
    behind: int
    files: list[FileDiff] = field(default_factory=list)
    patch: str = ""
    integrated: str | None = None  # how it is integrated already, or None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.target.name, "branch": self.target.branch,
                "worktree": str(self.target.worktree) if self.target.worktree else None,
                "base": self.base, "merge_base": self.merge_base, "ahead": self.ahead, "behind": self.behind,
                "integrated": self.integrated,
                "files": [{"path": f.path, "added": f.added, "removed": f.removed, "state": f.state}
                          for f in self.files]}


def _git(paths: RepoPaths, *args: str, cwd: Path | None = None, check: bool = True) -> str:
    return gitcmd.run(cwd or paths.common_dir, list(args), check=check)[1]


def _sha(paths: RepoPaths, rev: str) -> str | None:
    st, out, _ = gitcmd.run(paths.common_dir, ["rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}"],
                            check=False)
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


def resolve(paths: RepoPaths, name: str) -> Target:
    """NAME: a plan agent, a linked worktree's folder name, or a branch."""
    from .check import plan_targets
    from .plan import find_plan, load_plan

    trees = gitrepo.list_worktrees(paths)
    main = gitrepo.main_checkout(paths, trees)
    plan_path = find_plan(paths.toplevel)
    if plan_path is not None:
        try:
            plan = load_plan(plan_path)
            for t in plan_targets(plan, main, None):
                if t.name == name and t.branch and t.isolated:
                    wt = next((w.path for w in trees if os.path.normpath(w.path) == os.path.normpath(t.path)), None)
                    return Target(name, t.branch, wt)
        except AgentTuiError:
            pass
    for w in trees:
        if not w.is_main and w.path.name == name and w.branch:
            return Target(name, w.branch, w.path)
    if _sha(paths, f"refs/heads/{name}"):
        wt = next((w.path for w in trees if w.branch == name and not w.is_main), None)
        return Target(name, name, wt)
    raise LandingError(f"no agent, worktree or branch named {name!r}")


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


# ------------------------------------------------------------------ order
def plan_order(paths: RepoPaths, branches: list[str], base: str) -> tuple[list[str], dict[str, list[str]]]:
    """The landing order with the fewest conflicts, simulated in memory (``merge-tree
    --write-tree``, no checkout touched).  The pairwise forecast says how many others each branch
    conflicts with; the least entangled go first (ties: plan order), a branch that conflicts with
    many last.  Then the sequence is chained onto the base: each branch merged onto the simulated
    result of the ones before it; one that conflicts there is moved to the end (it would stop the
    landing), the rest go on.  Returns the order and, per branch, the paths that would conflict at
    its turn (empty: it lands cleanly)."""
    from .conflicts import predict

    tip = _sha(paths, f"refs/heads/{base}")
    if tip is None:
        raise LandingError(f"no branch {base}")
    degree = dict.fromkeys(branches, 0)
    for a, b in itertools.combinations(branches, 2):
        if predict(paths, f"refs/heads/{a}", f"refs/heads/{b}").clean is False:
            degree[a] += 1
            degree[b] += 1
    ranked = sorted(branches, key=lambda b: (degree[b], branches.index(b)))
    clean: list[str] = []
    stuck: list[str] = []
    conflicts: dict[str, list[str]] = {}
    for b in ranked:
        tree, files = _simulate(paths, tip, b)
        conflicts[b] = files
        if files or tree is None:
            stuck.append(b)
            continue
        clean.append(b)
        bsha = _sha(paths, f"refs/heads/{b}") or ""
        tip = _git(paths, "commit-tree", tree, "-p", tip, "-p", bsha, "-m", f"simulated landing of {b}").strip()
    return clean + stuck, conflicts


def _simulate(paths: RepoPaths, onto: str, branch: str) -> tuple[str | None, list[str]]:
    st, out, _ = gitcmd.run(paths.common_dir, ["merge-tree", "--write-tree", "--name-only", "--no-messages",
                                               "--end-of-options", onto, f"refs/heads/{branch}"], check=False)
    lines = [ln for ln in out.splitlines() if ln.strip()]
    if st == 0:
        return lines[0] if lines else None, []
    if st == 1 and lines:
        return lines[0], sorted(set(lines[1:]))
    return None, ["(merge-tree failed)"]


# ------------------------------------------------------------------ land
@dataclass
class Landing:
    name: str
    branch: str
    base: str
    mode: str
    old: str
    new: str | None = None
    trash_id: str | None = None
    conflicts: list[str] = field(default_factory=list)
    check: str | None = None  # the check's last output line, when it failed
    cleaned: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.new is not None and not self.conflicts and self.check is None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "branch": self.branch, "base": self.base, "mode": self.mode, "old": self.old,
                "new": self.new, "ok": self.ok, "trash_id": self.trash_id, "conflicts": self.conflicts,
                "check_failed": self.check, "cleaned": self.cleaned, "message": self.message}


def _alive_agent(paths: RepoPaths, t: Target) -> int | None:
    from .launcher import launched_pids

    return launched_pids(paths).get(t.name)


def _candidate(paths: RepoPaths, work: Path, base_sha: str, t: Target, mode: str) -> tuple[str | None, list[str]]:
    """Build the landing's result in the temporary worktree *work* (detached at the base)."""
    bsha = _sha(paths, f"refs/heads/{t.branch}") or ""
    if mode == "ff":
        if not gitcmd.ok(paths.common_dir, "merge-base", "--is-ancestor", base_sha, bsha):
            raise LandingError(f"{t.branch} is not a fast-forward of the base (it is behind): use --rebase or --merge")
        return bsha, []
    if mode == "rebase":
        gitcmd.run(work, ["checkout", "-q", "--detach", bsha])
        fork = _git(paths, "merge-base", base_sha, bsha).strip()
        st, _, _ = gitcmd.run(work, ["rebase", "-q", "--onto", base_sha, fork], check=False)
    elif mode == "merge":
        st, _, _ = gitcmd.run(work, ["merge", "-q", "--no-ff", "--no-edit", "-m",
                                     f"Land {t.branch} ({t.name})", bsha], check=False)
    else:  # squash
        st, _, _ = gitcmd.run(work, ["merge", "-q", "--squash", bsha], check=False)
        if st == 0:
            subjects = _git(paths, "log", "--format=- %s", f"{base_sha}..{bsha}").strip()
            st2, _, _ = gitcmd.run(work, ["commit", "-q", "--allow-empty", "-m",
                                          f"{t.name}: land {t.branch} (squashed)\n\n{subjects}"], check=False)
            st = st or st2
    if st != 0:
        files = sorted(set(filter(None, _git(paths, "diff", "--name-only", "--diff-filter=U", cwd=work,
                                             check=False).split("\n"))))
        return None, files or ["(the merge failed)"]
    return _git(paths, "rev-parse", "HEAD", cwd=work).strip(), []


def land(paths: RepoPaths, name: str, *, mode: str = "squash", into: str | None = None,
         check: list[str] | str | None = None, cleanup: bool = True, note: bool = True) -> Landing:
    """Land one agent's branch into *into* (default: the main checkout's branch)."""
    from .recovery.lock import recovery_lock
    from .recovery.trash import _backup, _record, new_id

    if mode not in MODES:
        raise AgentTuiError(f"land mode {mode!r}: use one of {', '.join(MODES)}")
    t = resolve(paths, name)
    base = into or default_base(paths)
    with recovery_lock(paths):
        old = _sha(paths, f"refs/heads/{base}")
        if old is None:
            raise LandingError(f"no branch {base} to land into")
        res = Landing(t.name, t.branch, base, mode, old)
        pid = _alive_agent(paths, t)
        if pid is not None:
            raise LandingError(f"agent {t.name} is still running (pid {pid}): stop it first (s in the supervisor)")
        if t.worktree is not None and os.path.isdir(t.worktree) and gitrepo.status_entries(t.worktree):
            raise LandingError(f"{t.worktree} has uncommitted changes: commit them in the agent's worktree first "
                               f"(git -C {shlex.quote(str(t.worktree))} commit -am '...')")
        main = gitrepo.main_checkout(paths)
        main_head = gitrepo.head_state(main) if main is not None else None
        on_base = main_head is not None and main_head.branch == base
        if on_base and main is not None and gitrepo.status_entries(main):
            raise LandingError(f"the main checkout is on {base} with uncommitted changes (yours are never touched): "
                               "commit or stash them, or land --into another branch")
        if integrated(paths, t.branch, base):
            res.new, res.message = old, f"{t.branch} is already in {base}: nothing to land"
        else:
            with tempfile.TemporaryDirectory(prefix="agenttui-land-") as tmp:
                work = Path(tmp) / "wt"
                gitcmd.run(paths.common_dir, ["worktree", "add", "-q", "--detach", "--end-of-options", str(work), old])
                try:
                    new, files = _candidate(paths, work, old, t, mode)
                    if files:
                        res.conflicts = files
                        res.message = f"{t.branch} conflicts with {base} in {len(files)} paths: nothing was landed"
                        if note and t.worktree is not None and os.path.isdir(t.worktree):
                            _note(t, base, files)
                        return res
                    if check:
                        if mode == "ff":
                            gitcmd.run(work, ["checkout", "-q", "--detach", new or old])
                        failed = _run_check(check, work)
                        if failed is not None:
                            res.check = failed
                            res.message = f"the check failed on the candidate: nothing was landed ({failed})"
                            return res
                finally:
                    gitcmd.run(paths.common_dir, ["worktree", "remove", "--force", "--end-of-options", str(work)],
                               check=False)
                    gitcmd.run(paths.common_dir, ["worktree", "prune"], check=False)
            assert new is not None
            entry = new_id()
            _backup(paths, entry, "branch", old)
            meta = {"name": base, "landing": True, "landed": t.branch, "new": new}
            _record(paths, "trash", id=entry, kind="branch", sha=old, meta=meta,
                    description=f"{base} before landing {t.branch} (restore undoes the landing)")
            res.trash_id = entry
            if on_base and main is not None:
                st, _, err = gitcmd.run(main, ["merge", "-q", "--ff-only", new], check=False)
                if st != 0:
                    raise LandingError(f"cannot fast-forward the main checkout: {gitcmd.first_line(err)}")
            else:
                st, _, err = gitcmd.run(paths.common_dir, ["update-ref", "-m", f"agenttui: land {t.branch}",
                                                           f"refs/heads/{base}", new, old], check=False)
                if st != 0:
                    raise LandingError(f"{base} moved meanwhile: nothing was landed ({gitcmd.first_line(err)})")
            res.new = new
            res.message = f"landed {t.branch} into {base} ({mode}): {old[:10]} -> {new[:10]}"
            journal.append(paths, "landed", agent=t.name, branch=t.branch, base=base, mode=mode, old=old, new=new,
                           trash=entry)
        if cleanup and res.ok:
            res.cleaned = _cleanup(paths, t, base)
        return res


def _note(t: Target, base: str, files: list[str]) -> None:
    assert t.worktree is not None
    text = (f"# Landing {t.branch} into {base} stopped: conflicts\n\n"
            f"These paths conflict with {base}; rebase on it (git rebase {base}) and resolve them:\n\n"
            + "".join(f"- {f}\n" for f in files))
    (t.worktree / "AGENTTUI-CONFLICTS.md").write_text(text)


def _run_check(check: list[str] | str, cwd: Path) -> str | None:
    argv = ["/bin/sh", "-c", check] if isinstance(check, str) else list(check)
    try:
        res = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run the check: {exc}"
    if res.returncode == 0:
        return None
    last = next((ln for ln in reversed((res.stdout + res.stderr).splitlines()) if ln.strip()), "")
    return f"exit {res.returncode}: {last[:200]}"


def _cleanup(paths: RepoPaths, t: Target, base: str) -> list[str]:
    """An integrated branch's worktree archived and the branch deleted, both to the trash."""
    from .recovery.ops import archive_worktree, delete_branch

    done: list[str] = []
    if not integrated(paths, t.branch, base):
        return done
    if t.worktree is not None and os.path.isdir(t.worktree):
        done.append(archive_worktree(paths, t.worktree).message)
    done.append(delete_branch(paths, t.branch, force=True).message)
    return done


def land_many(paths: RepoPaths, names: list[str], **kw: Any) -> tuple[list[str], list[Landing]]:
    """Land several in the order with the fewest conflicts; stop at the first that does not land."""
    targets = [resolve(paths, n) for n in names]
    base = kw.get("into") or default_base(paths)
    order, _ = plan_order(paths, [t.branch for t in targets], base)
    by_branch = {t.branch: t.name for t in targets}
    out = []
    for b in order:
        r = land(paths, by_branch[b], **kw)
        out.append(r)
        if not r.ok:
            break
    return [by_branch[b] for b in order], out
