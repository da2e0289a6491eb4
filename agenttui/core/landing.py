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
from .review import LandingError, Target, _git, _sha, default_base, integrated, resolve

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
    from .conflicts import predict

    tip = _sha(paths, f"refs/heads/{base}")
    if tip is None:
        raise LandingError(f"no branch {base}")
    # two branches can conflict only where both changed a path: merge-tree just those pairs
    touched = {b: set(filter(None, _git(paths, "diff", "--name-only", "-z", f"{tip}...refs/heads/{b}", "--",
                                        check=False).split("\0"))) for b in branches}
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
        raise LandingError(f"cannot commit in {t.worktree}: {gitcmd.first_line(err)}")
    sha = _git(paths, "rev-parse", "HEAD", cwd=t.worktree).strip()
    journal.append(paths, "commit-for-landing", agent=t.name, branch=t.branch, sha=sha)
    return sha


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
        elif mode == "ff" and not check:  # nothing to build: the branch's tip is the result
            new = _candidate(paths, paths.common_dir, old, t, mode)[0]
            res = _move_base(paths, res, t, base, old, new or old, on_base, main)
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
            res = _move_base(paths, res, t, base, old, new, on_base, main)
        if cleanup and res.ok:
            res.cleaned = _cleanup(paths, t, base)
        return res


def _move_base(paths: RepoPaths, res: Landing, t: Target, base: str, old: str, new: str, on_base: bool,
               main: Path | None) -> Landing:
    """The base to *new*, by compare-and-swap, after its old tip went to the trash."""
    from .recovery.trash import _backup, _record, new_id

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
    res.message = f"landed {t.branch} into {base} ({res.mode}): {old[:10]} -> {new[:10]}"
    journal.append(paths, "landed", agent=t.name, branch=t.branch, base=base, mode=res.mode, old=old, new=new,
                   trash=entry)
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
