"""Review and land agent work: the diff against its base, "is it integrated?", landing in the best
order, clean-up with nothing lost.

Merges, squashes and rebases happen in a temporary worktree; the base moves by compare-and-swap
(``update-ref <new> <old>``) after its old tip went to the trash, so ``agenttui restore`` undoes a
landing.  Every checkout that has the base checked out (the main checkout or a linked worktree) is
brought along as git's own two-tree merge does (``read-tree -m -u <old> <new>``): uncommitted
changes that do not overlap the landed paths are carried forward; an overlap refuses before anything
moves, naming each path; the checkout's uncommitted state goes to the trash before it is touched.
A conflict or a failing check lands nothing and leaves everything as it was.
"""

from __future__ import annotations

import itertools
import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agenttui.core import journal
from agenttui.core.errors import AgentTuiError, first_line
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths
from agenttui.core.landing.review import LandingError, LandingTarget, _git, _sha, default_base, integrated, resolve
from agenttui.core.recovery.checkouts import LANDING_DIR, checkouts_on, move_branch, prune_stale_landings

MODES = ("squash", "rebase", "merge", "ff")


# ------------------------------------------------------------------ order
def plan_order(paths: RepoPaths, branches: list[str], base: str) -> tuple[list[str], dict[str, list[str]]]:
    """The landing order with the fewest conflicts, simulated in memory (``merge-tree
    --write-tree``, no checkout touched).  The pairwise forecast says how many others each branch
    conflicts with; the least entangled go first (ties: plan order), a branch that conflicts with
    many last.  Then the sequence is chained onto the base: each branch merged onto the simulated
    result of the ones before it; one that conflicts there is moved to the end (it would stop the
    landing), the rest go on.  Returns the order and, per branch, the paths that would conflict at
    its turn (empty: it lands cleanly)."""
    from agenttui.core.landing.conflicts import predict

    tip = _sha(paths, f"refs/heads/{base}")
    if tip is None:
        raise LandingError(f"no branch {base}")
    # two branches can conflict only where both changed a path: merge-tree just those pairs
    touched = {
        b: set(
            filter(
                None, _git(paths, "diff", "--name-only", "-z", f"{tip}...refs/heads/{b}", "--", check=False).split("\0")
            )
        )
        for b in branches
    }
    degree = dict.fromkeys(branches, 0)
    for a, b in itertools.combinations(branches, 2):
        if touched[a] & touched[b] and predict(paths, f"refs/heads/{a}", f"refs/heads/{b}").clean is False:
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
    st, out, _ = gitcmd.run(
        paths.common_dir,
        [
            "merge-tree",
            "--write-tree",
            "--name-only",
            "--no-messages",
            "--end-of-options",
            onto,
            f"refs/heads/{branch}",
        ],
        check=False,
    )
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
    warning: str | None = None  # the landing happened; something after it (the clean-up) was refused

    @property
    def ok(self) -> bool:
        return self.new is not None and not self.conflicts and self.check is None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "branch": self.branch,
            "base": self.base,
            "mode": self.mode,
            "old": self.old,
            "new": self.new,
            "ok": self.ok,
            "trash_id": self.trash_id,
            "conflicts": self.conflicts,
            "check_failed": self.check,
            "cleaned": self.cleaned,
            "message": self.message,
            "warning": self.warning,
        }


def commit_worktree(paths: RepoPaths, name: str, message: str) -> str:
    """Commit everything in the agent's worktree (``add -A``; ignored files stay ignored)."""
    t = resolve(paths, name)
    if t.worktree is None or not os.path.isdir(t.worktree):
        raise LandingError(f"{name} has no worktree to commit in")
    if not message.strip():
        raise LandingError("the commit message is empty")
    gitcmd.run(t.worktree, ["add", "-A"])
    st, _, err = gitcmd.run(t.worktree, ["commit", "-q", "-m", message], check=False)
    if st != 0:
        raise LandingError(f"cannot commit in {t.worktree}: {first_line(err)}")
    sha = _git(paths, "rev-parse", "HEAD", cwd=t.worktree).strip()
    journal.append(paths, "commit-for-landing", agent=t.name, branch=t.branch, sha=sha)
    return sha


def _alive_agent(paths: RepoPaths, t: LandingTarget) -> int | None:
    from agenttui.core.dispatch.launcher import launched_pids

    return launched_pids(paths).get(t.name)


def _candidate(
    paths: RepoPaths, work: Path, base_sha: str, t: LandingTarget, mode: str
) -> tuple[str | None, list[str]]:
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
        st, _, _ = gitcmd.run(
            work, ["merge", "-q", "--no-ff", "--no-edit", "-m", f"Land {t.branch} ({t.name})", bsha], check=False
        )
    else:  # squash
        st, _, _ = gitcmd.run(work, ["merge", "-q", "--squash", bsha], check=False)
        if st == 0:
            subjects = _git(paths, "log", "--format=- %s", f"{base_sha}..{bsha}").strip()
            st2, _, _ = gitcmd.run(
                work,
                ["commit", "-q", "--allow-empty", "-m", f"{t.name}: land {t.branch} (squashed)\n\n{subjects}"],
                check=False,
            )
            st = st or st2
    if st != 0:
        files = sorted(
            set(filter(None, _git(paths, "diff", "--name-only", "--diff-filter=U", cwd=work, check=False).split("\n")))
        )
        return None, files or ["(the merge failed)"]
    return _git(paths, "rev-parse", "HEAD", cwd=work).strip(), []


def land(
    paths: RepoPaths,
    name: str,
    *,
    mode: str = "squash",
    into: str | None = None,
    check: list[str] | str | None = None,
    cleanup: bool = True,
    note: bool = True,
) -> Landing:
    """Land one agent's branch into *into* (default: the main checkout's branch)."""
    from agenttui.core.recovery.lock import recovery_lock

    if mode not in MODES:
        raise AgentTuiError(f"land mode {mode!r}: use one of {', '.join(MODES)}")
    t = resolve(paths, name)
    base = into or default_base(paths)
    with recovery_lock(paths):
        prune_stale_landings(paths)
        if not gitcmd.ok(paths.common_dir, "show-ref", "--verify", "--quiet", f"refs/heads/{base}"):
            raise LandingError(f"{base!r} is not a branch: land --into takes a branch name")
        if not gitcmd.ok(paths.common_dir, "show-ref", "--verify", "--quiet", f"refs/heads/{t.branch}"):
            raise LandingError(f"branch {t.branch} does not exist (deleted?): nothing to land")
        if t.branch == base:
            raise LandingError(f"{t.branch} is the base itself: nothing to land into it")
        old = _sha(paths, f"refs/heads/{base}")
        if old is None:
            raise LandingError(f"no branch {base} to land into")
        res = Landing(t.name, t.branch, base, mode, old)
        pid = _alive_agent(paths, t)
        if pid is not None:
            raise LandingError(f"agent {t.name} is still running (pid {pid}): stop it first (s in the supervisor)")
        if t.worktree is not None and os.path.isdir(t.worktree) and gitrepo.status_entries(t.worktree):
            raise LandingError(
                f"{t.worktree} has uncommitted changes: commit them in the agent's worktree first "
                f"(git -C {shlex.quote(str(t.worktree))} commit -am '...')"
            )
        if integrated(paths, t.branch, base):
            res.new, res.message = old, f"{t.branch} is already in {base}: nothing to land"
        elif mode == "ff" and not check:  # nothing to build: the branch's tip is the result
            new = _candidate(paths, paths.common_dir, old, t, mode)[0]
            res = _move_base(paths, res, t, base, old, new or old)
        else:
            from agenttui.core.recovery.trash import new_id

            tmp = paths.agenttui_dir / LANDING_DIR / new_id()
            tmp.mkdir(parents=True)
            (tmp / "pid").write_text(str(os.getpid()))  # (a killed landing's worktree is pruned by the next)
            work = tmp / "wt"
            try:
                gitcmd.run(paths.common_dir, ["worktree", "add", "-q", "--detach", "--end-of-options", str(work), old])
                try:
                    new, files = _candidate(paths, work, old, t, mode)
                    if files:
                        res.conflicts = files
                        res.message = f"{t.branch} conflicts with {base} in {len(files)} paths: nothing was landed"
                        if note and t.worktree is not None and os.path.isdir(t.worktree):
                            _note(paths, t, base, files)
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
                    gitcmd.run(
                        paths.common_dir, ["worktree", "remove", "--force", "--end-of-options", str(work)], check=False
                    )
                    gitcmd.run(paths.common_dir, ["worktree", "prune"], check=False)
            finally:
                import shutil

                shutil.rmtree(tmp, ignore_errors=True)
            assert new is not None
            res = _move_base(paths, res, t, base, old, new)
        if cleanup and res.ok:
            try:
                res.cleaned = _cleanup(paths, t, base)
            except AgentTuiError as exc:  # the landing happened: say so, and why the rest was left
                res.cleaned = [f"warning: the landing happened, but its clean-up was refused: {exc.message}"]
                res.warning = exc.message
        return res


def _move_base(paths: RepoPaths, res: Landing, t: LandingTarget, base: str, old: str, new: str) -> Landing:
    """The base to *new*, by compare-and-swap, after its old tip went to the trash; every checkout
    on the base brought along (see :func:`move_branch`)."""
    from agenttui.core.recovery.trash import _backup, _record, _unbackup, new_id

    checkouts = checkouts_on(paths, base)
    entry = new_id()
    ref = _backup(paths, entry, "branch", old)
    meta = {"name": base, "landing": True, "landed": t.branch, "new": new, "checkouts": [str(c) for c in checkouts]}
    try:
        move_branch(paths, base, old, new, f"land {t.branch} into {base}")
    except AgentTuiError as exc:
        _unbackup(paths, ref)
        raise LandingError(exc.message) from None
    _record(
        paths,
        "trash",
        id=entry,
        kind="branch",
        sha=old,
        meta=meta,
        description=f"{base} before landing {t.branch} (restore undoes the landing)",
    )
    res.trash_id = entry
    res.new = new
    res.message = f"landed {t.branch} into {base} ({res.mode}): {old[:10]} -> {new[:10]}"
    journal.append(
        paths, "landed", agent=t.name, branch=t.branch, base=base, mode=res.mode, old=old, new=new, trash=entry
    )
    return res


NOTE = "AGENTTUI-CONFLICTS.md"


def _note(paths: RepoPaths, t: LandingTarget, base: str, files: list[str]) -> None:
    """The conflicts handed back to the agent, in its worktree — ignored by git (the repository's
    info/exclude), so it neither blocks the agent's next landing as an uncommitted change nor gets
    committed by `land --commit`; never written through a symlink of that name."""
    assert t.worktree is not None
    text = (
        f"# Landing {t.branch} into {base} stopped: conflicts\n\n"
        f"These paths conflict with {base}; rebase on it (git rebase {base}) and resolve them:\n\n"
        + "".join(f"- {f}\n" for f in files)
    )
    exclude = paths.common_dir / "info" / "exclude"
    try:
        have = exclude.read_text() if exclude.exists() else ""
        if f"/{NOTE}" not in have.split("\n"):
            exclude.parent.mkdir(parents=True, exist_ok=True)
            with open(exclude, "a", encoding="utf-8") as fh:
                fh.write(("" if not have or have.endswith("\n") else "\n") + f"/{NOTE}\n")
    except OSError:
        pass
    if _sha(paths, f"refs/heads/{t.branch}") and gitcmd.ok(t.worktree, "ls-files", "--error-unmatch", "--", NOTE):
        return  # the agent's branch has a file of that name: not ours to overwrite
    try:
        fd = os.open(t.worktree / NOTE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    except OSError:
        return  # a symlink (or something else) there: left alone
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


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


def _cleanup(paths: RepoPaths, t: LandingTarget, base: str) -> list[str]:
    """An integrated branch's worktree archived and the branch deleted, both to the trash."""
    from agenttui.core.recovery.ops import archive_worktree, delete_branch

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


# ------------------------------------------------------------------ the others, after a landing
@dataclass
class Rebase:
    name: str
    branch: str
    worktree: Path
    conflicts: list[str]  # the forecast: paths that would conflict on the new base (empty: clean)
    why_not: str | None = None  # a reason it cannot be rebased now (running, uncommitted work)


def rebase_forecast(paths: RepoPaths, base: str) -> list[Rebase]:
    """The agents behind *base* (linked worktrees on a branch not integrated into it), each with what
    a rebase onto it would conflict in — simulated, no checkout touched."""
    from agenttui.core.dispatch.launcher import launched_pids
    from agenttui.core.recovery.checkouts import local_paths

    tip = _sha(paths, f"refs/heads/{base}")
    if tip is None:
        return []
    launched = launched_pids(paths)
    out = []
    for w in gitrepo.list_worktrees(paths):
        if w.is_main or not w.branch or w.branch == base or not os.path.isdir(w.path):
            continue
        if str(w.path).startswith(str(paths.agenttui_dir)):
            continue  # (a landing's own temporary worktree)
        bsha = _sha(paths, f"refs/heads/{w.branch}")
        if bsha is None or gitcmd.ok(paths.common_dir, "merge-base", "--is-ancestor", tip, bsha):
            continue  # up to date with the base already
        if integrated(paths, w.branch, base):
            continue
        _tree, files = _simulate(paths, tip, w.branch)
        t = Rebase(w.path.name, w.branch, w.path, files)
        pid = launched.get(w.path.name)
        t.why_not = (
            f"it is running (pid {pid})" if pid else "it has uncommitted changes" if local_paths(w.path) else None
        )
        out.append(t)
    return out


def rebase_onto(paths: RepoPaths, r: Rebase, base: str) -> str:
    """Rebase one agent's branch onto *base* in its worktree; its old tip goes to the trash first; a
    conflict aborts the rebase and leaves everything as it was."""
    from agenttui.core.recovery.trash import backup_into_trash

    if r.why_not:
        raise LandingError(f"{r.name}: not rebased: {r.why_not}")
    old = _sha(paths, f"refs/heads/{r.branch}") or ""
    backup_into_trash(
        paths, "branch", old, f"{r.branch} before its rebase onto {base}", {"name": f"{r.branch}-before-rebase"}
    )
    st, _, err = gitcmd.run(r.worktree, ["rebase", "-q", "--end-of-options", base], check=False)
    if st != 0:
        gitcmd.run(r.worktree, ["rebase", "--abort"], check=False)
        raise LandingError(
            f"{r.name}: the rebase onto {base} conflicted and was aborted: nothing changed ({first_line(err)})"
        )
    journal.append(
        paths, "rebased", agent=r.name, branch=r.branch, base=base, old=old, new=_sha(paths, f"refs/heads/{r.branch}")
    )
    return f"rebased {r.branch} onto {base}"
