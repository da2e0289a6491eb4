"""Recovery operations that lose nothing (GIT-NOTES.md, "Destroying safely").

Every destructive step: quiesce, journal the before-state, back up under
``refs/agenttui/trash/<id>/<kind>`` in one ``update-ref --stdin`` transaction that also verifies
the target did not move, run git's own command, check the SHA it prints.  Anything under
``refs/`` survives gc, so a dropped stash, a deleted branch or an archived worktree can always be
restored (:func:`restore`) until the user purges it (:func:`purge`).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import gitcmd, journal
from . import repo as gitrepo
from .errors import AgentTuiError, GitError
from .models import RepoPaths, Stash, Worktree
from .procs import describe, processes_in

TRASH = "refs/agenttui/trash"
KINDS = ("stash", "branch", "worktree")


class RecoveryError(AgentTuiError):
    """A refusal or failure; nothing was removed."""


@dataclass(frozen=True)
class TrashEntry:
    id: str
    kind: str  # stash / branch / worktree
    sha: str
    time: float
    description: str
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def ref(self) -> str:
        return f"{TRASH}/{self.id}/{self.kind}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "sha": self.sha, "time": self.time,
                "description": self.description}


@dataclass(frozen=True)
class Outcome:
    """What one operation did, in words (for the UI and the CLI)."""

    ok: bool
    message: str
    trash_id: str | None = None


#: Tests and snapshots may pin trash ids (an iterator of strings); None: time + random.
ID_OVERRIDE: Iterator[str] | None = None


def new_id() -> str:
    if ID_OVERRIDE is not None:
        return next(ID_OVERRIDE)
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def _cwd(paths: RepoPaths) -> Path:
    return paths.toplevel or paths.common_dir


def _backup(paths: RepoPaths, entry_id: str, kind: str, sha: str,
            verify: tuple[str, str] | None = None) -> str:
    """Create the trash ref (and verify *verify* = (ref, sha)) in one transaction."""
    ref = f"{TRASH}/{entry_id}/{kind}"
    lines = ["start", f"create {ref} {sha}"]
    if verify is not None:
        lines.append(f"verify {verify[0]} {verify[1]}")
    lines += ["prepare", "commit"]
    status, _, err = gitcmd.run(paths.common_dir, ["update-ref", "--stdin"],
                                input="\n".join(lines) + "\n", check=False)
    if status != 0:
        first = gitcmd.first_line(err, "update-ref failed")
        if verify is not None and ("but expected" in err or "cannot lock" in err or "is at" in err):
            raise RecoveryError(f"{verify[0]} moved since it was listed (an agent may be using it): "
                                "nothing was removed; reload and try again")
        raise RecoveryError(f"backup failed, nothing was removed: {first.removeprefix('fatal: ')}")
    return ref


def _unbackup(paths: RepoPaths, ref: str) -> None:
    gitcmd.run(paths.common_dir, ["update-ref", "-d", ref], check=False)


def _record(paths: RepoPaths, event: str, **data: Any) -> None:
    journal.append(paths, event, **data)


# ------------------------------------------------------------------------ stashes
_DROPPED = re.compile(r"Dropped (\S+) \(([0-9a-f]+)\)")


def drop_stashes(paths: RepoPaths, targets: list[tuple[int, str]],
                 *, between: Callable[[], None] | None = None) -> list[Outcome]:
    """Drop stashes given as (index, sha), highest index first, each backed up first.

    git has no drop-by-SHA: before each drop the entry is re-found by its SHA (an agent may
    have pushed or dropped a stash meanwhile, shifting indexes), and the SHA git reports as
    dropped is compared; a wrong drop is stored back at once.  *between* runs before each drop
    (tests use it to race a real ``git stash push`` against the loop).
    """
    outcomes: list[Outcome] = []
    for index, sha in sorted(targets, key=lambda t: -t[0]):
        if between is not None:
            between()
        listing = gitrepo.list_stashes(paths)
        current = {s.sha: s for s in listing}
        stash = current.get(sha)
        if stash is None:
            outcomes.append(Outcome(False, f"stash {sha[:10]} (was stash@{{{index}}}) is gone already"))
            continue
        below = listing[stash.index + 1].sha if stash.index + 1 < len(listing) else None
        outcomes.append(_drop_one(paths, stash, below))
    return outcomes


def _drop_one(paths: RepoPaths, stash: Stash, below: str | None = None) -> Outcome:
    entry = new_id()
    # "below" (the next older entry) and "seq" let restore_many rebuild the stack order
    meta = {"message": stash.message, "branch": stash.branch, "index": stash.index,
            "files": stash.files, "date": stash.date, "below": below, "seq": time.time_ns()}
    _record(paths, "trash-before", id=entry, kind="stash", sha=stash.sha, op="stash drop", meta=meta)
    ref = _backup(paths, entry, "stash", stash.sha)
    # re-check right before the drop: the index must still name this sha
    status, now_sha, _ = gitcmd.run(_cwd(paths), ["rev-parse", "-q", "--verify", stash.ref], check=False)
    if status != 0 or now_sha.strip() != stash.sha:
        _unbackup(paths, ref)
        return Outcome(False, f"{stash.ref} moved before the drop; nothing dropped, reload and retry")
    status, out, err = gitcmd.run(_cwd(paths), ["stash", "drop", "--end-of-options", stash.ref], check=False)
    m = _DROPPED.search(out + err)
    if status != 0 or m is None:
        _unbackup(paths, ref)
        first = gitcmd.first_line(err, "failed")
        return Outcome(False, f"git stash drop {stash.ref} failed: {first}")
    dropped = m.group(2)
    if not stash.sha.startswith(dropped):
        # git dropped another entry: store it back at once (it is in the trash too)
        full = gitcmd.out(paths.common_dir, "rev-parse", dropped).strip()
        gitcmd.run(_cwd(paths), ["stash", "store", "-m", "restored by agenttui", full], check=False)
        _record(paths, "trash-mismatch", id=entry, expected=stash.sha, dropped=full)
        return Outcome(False, f"git dropped {full[:10]} instead of {stash.sha[:10]}; stored it back")
    _record(paths, "trash", id=entry, kind="stash", sha=stash.sha,
            description=f"stash {stash.message}", meta=meta)
    return Outcome(True, f"dropped {stash.ref} ({stash.message}); backed up as {entry}", entry)


def stash_to_branch(paths: RepoPaths, stash: Stash, name: str) -> Outcome:
    """Make a branch holding the stash's changes as one commit on its base; no checkout touched."""
    if not gitcmd.check_ref_format(f"refs/heads/{name}"):
        raise RecoveryError(f"{name!r} is not a valid branch name")
    base = gitcmd.out(paths.common_dir, "rev-parse", f"{stash.sha}^1").strip()
    tree = gitcmd.out(paths.common_dir, "rev-parse", f"{stash.sha}^{{tree}}").strip()
    commit = gitcmd.out(paths.common_dir, "commit-tree", tree, "-p", base, "-m", stash.message).strip()
    status, _, err = gitcmd.run(paths.common_dir, ["update-ref", f"refs/heads/{name}", commit, ""],
                                check=False)
    if status != 0:
        raise RecoveryError(f"cannot create branch {name}: {err.strip().splitlines()[-1] if err.strip() else ''}")
    _record(paths, "stash-branch", stash=stash.sha, branch=name, commit=commit)
    return Outcome(True, f"branch {name} now holds {stash.ref} as commit {commit[:10]}")


def apply_stash(paths: RepoPaths, stash: Stash, *, pop: bool = False) -> Outcome:
    """``git stash apply`` into the main checkout; with *pop*, then drop it (backed up)."""
    cwd = _cwd(paths)
    if gitrepo.head_state(cwd).index_locked:
        raise RecoveryError("index.lock is held in the main checkout: another git command is running")
    status, _, err = gitcmd.run(cwd, ["stash", "apply", "--end-of-options", stash.ref], check=False)
    if status != 0:
        first = gitcmd.first_line(err, "failed")
        raise RecoveryError(f"git stash apply {stash.ref} failed: {first}")
    _record(paths, "stash-apply", sha=stash.sha, pop=pop)
    if pop:
        (dropped,) = drop_stashes(paths, [(stash.index, stash.sha)])
        return Outcome(dropped.ok, f"applied and {dropped.message}", dropped.trash_id)
    return Outcome(True, f"applied {stash.ref} to the main checkout")


# ------------------------------------------------------------------------ branches
def delete_branch(paths: RepoPaths, name: str, *, force: bool = False) -> Outcome:
    """``git branch -d`` (``-D`` only with *force*), backed up with its config first."""
    status, sha, _ = gitcmd.run(paths.common_dir, ["rev-parse", "-q", "--verify", f"refs/heads/{name}"],
                                check=False)
    sha = sha.strip()
    if status != 0 or not sha:
        raise RecoveryError(f"branch {name} does not exist")
    for w in gitrepo.list_worktrees(paths):
        if w.branch == name:
            raise RecoveryError(f"branch {name} is checked out in {w.path}: archive that worktree first")
    _, cfg, _ = gitcmd.run(paths.common_dir, ["config", "--null", "--get-regexp",
                                              "^branch\\." + re.escape(name) + "\\."], check=False)
    config = [item.split("\n", 1) for item in cfg.split("\0") if item]
    entry = new_id()
    meta = {"name": name, "config": config, "force": force}
    _record(paths, "trash-before", id=entry, kind="branch", sha=sha, op="branch delete", meta=meta)
    ref = _backup(paths, entry, "branch", sha, verify=(f"refs/heads/{name}", sha))
    status, out, err = gitcmd.run(_cwd(paths), ["branch", "-D" if force else "-d", "--end-of-options", name],
                                  check=False)
    m = re.search(r"Deleted branch .+ \(was ([0-9a-f]+)\)", out + err)
    if status != 0 or m is None:
        _unbackup(paths, ref)
        if "not fully merged" in err:
            raise RecoveryError(f"branch {name} is not fully merged: deleting it needs a second, "
                                "explicit confirmation (force)")
        first = gitcmd.first_line(err, "failed")
        raise RecoveryError(f"git branch -d {name} failed: {first}")
    if not sha.startswith(m.group(1)):
        # someone moved it between our verify and git's delete: the backup still has ours,
        # and git said what it deleted: keep that too
        gitcmd.run(paths.common_dir, ["update-ref", f"{TRASH}/{entry}/moved", m.group(1)], check=False)
    _record(paths, "trash", id=entry, kind="branch", sha=sha, description=f"branch {name}", meta=meta)
    return Outcome(True, f"deleted branch {name} (was {sha[:10]}); backed up as {entry}", entry)


# ------------------------------------------------------------------------ worktrees
def worktree_blockers(paths: RepoPaths, wt: Worktree) -> list[str]:
    """Why agenttui refuses to touch a worktree right now (empty: it may)."""
    problems: list[str] = []
    if wt.is_main:
        problems.append("it is the main checkout")
    if wt.locked:
        problems.append(f"it is locked ({wt.locked_reason or 'no reason given'}): unlock it first")
    if os.path.isdir(wt.path):
        try:
            git_dir = Path(gitcmd.out(wt.path, "rev-parse", "--path-format=absolute", "--git-dir").strip())
        except GitError:
            git_dir = None
        if git_dir is not None and (git_dir / "index.lock").exists():
            problems.append("its index.lock is held: a git command is running in it")
        users = processes_in([wt.path], exclude={os.getpid()}).get(wt.path, [])
        if users:
            problems.append("processes have their working directory in it: "
                            + ", ".join(describe(p) for p in users[:5]))
    return problems


def find_worktree(paths: RepoPaths, path: Path) -> Worktree:
    key = os.path.normpath(path)
    for w in gitrepo.list_worktrees(paths):
        if os.path.normpath(w.path) == key:
            return w
    raise RecoveryError(f"{path} is not a worktree of this repository")


def ignored_count(path: Path) -> int:
    text = gitcmd.out(path, "status", "--porcelain", "--ignored=matching", "--untracked-files=all", "-z")
    return sum(1 for item in text.split("\0") if item.startswith("!! "))


def snapshot_worktree(wt: Worktree) -> str:
    """Commit the worktree's full state (tracked, untracked and ignored files) without touching
    its index: a temporary GIT_INDEX_FILE, ``add -A -f``, ``write-tree``, ``commit-tree -p HEAD``."""
    with tempfile.TemporaryDirectory(prefix="agenttui-idx-") as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        if wt.head:
            gitcmd.run(wt.path, ["read-tree", wt.head], env=env)
        gitcmd.run(wt.path, ["add", "-A", "-f", "--", "."], env=env)
        _, tree, _ = gitcmd.run(wt.path, ["write-tree"], env=env)
    parents = ["-p", wt.head] if wt.head else []
    msg = f"agenttui archive of {wt.path} ({wt.branch or 'detached'})"
    return gitcmd.out(wt.path, "commit-tree", tree.strip(), *parents, "-m", msg).strip()


def archive_worktree(paths: RepoPaths, path: Path, *, require_clean: bool = False) -> Outcome:
    """Snapshot the worktree's whole state into the trash, then ``worktree remove`` + ``prune``."""
    wt = find_worktree(paths, path)
    blockers = worktree_blockers(paths, wt)
    if blockers:
        raise RecoveryError(f"refusing to touch {wt.path}: " + "; ".join(blockers))
    if wt.prunable or not os.path.isdir(wt.path):
        raise RecoveryError(f"{wt.path} is gone from disk: prune stale worktrees instead")
    if require_clean:
        dirty = gitrepo.status_entries(wt.path)
        ignored = ignored_count(wt.path)
        if dirty or ignored:
            raise RecoveryError(f"{wt.path} has {len(dirty)} changed/untracked and {ignored} ignored "
                                "files: archive it instead (keeps everything in the trash)")
    commit = snapshot_worktree(wt)
    entry = new_id()
    meta = {"path": str(wt.path), "branch": wt.branch, "head": wt.head, "detached": wt.detached}
    _record(paths, "trash-before", id=entry, kind="worktree", sha=commit, op="worktree archive", meta=meta)
    ref = _backup(paths, entry, "worktree", commit)
    status, _, err = gitcmd.run(_cwd(paths), ["worktree", "remove", "--force", "--end-of-options", str(wt.path)],
                                check=False)
    if status != 0:
        _unbackup(paths, ref)
        first = gitcmd.first_line(err, "failed")
        raise RecoveryError(f"git worktree remove {wt.path} failed: {first}")
    gitcmd.run(_cwd(paths), ["worktree", "prune"], check=False)
    _record(paths, "trash", id=entry, kind="worktree", sha=commit,
            description=f"worktree {wt.path} ({wt.branch or 'detached'})", meta=meta)
    verb = "removed" if require_clean else "archived"
    return Outcome(True, f"{verb} worktree {wt.path}; snapshot {commit[:10]} backed up as {entry}", entry)


def prune_worktrees(paths: RepoPaths) -> list[Outcome]:
    """``git worktree prune``: stale entries only; each one's HEAD is backed up first."""
    outcomes: list[Outcome] = []
    for w in gitrepo.list_worktrees(paths):
        if not w.prunable or not w.head:
            continue
        entry = new_id()
        meta = {"path": str(w.path), "branch": w.branch, "head": w.head, "detached": w.detached,
                "pruned": True}
        _backup(paths, entry, "worktree", w.head)
        _record(paths, "trash", id=entry, kind="worktree", sha=w.head,
                description=f"stale worktree {w.path} ({w.branch or 'detached'})", meta=meta)
        outcomes.append(Outcome(True, f"pruned stale worktree {w.path}; HEAD backed up as {entry}", entry))
    gitcmd.run(_cwd(paths), ["worktree", "prune"], check=False)
    return outcomes or [Outcome(True, "no stale worktrees to prune")]


def unlock_worktree(paths: RepoPaths, path: Path) -> Outcome:
    gitcmd.out(_cwd(paths), "worktree", "unlock", "--end-of-options", str(path))
    _record(paths, "worktree-unlock", path=str(path))
    return Outcome(True, f"unlocked {path}")


# ------------------------------------------------------------------------ trash
def list_trash(paths: RepoPaths) -> list[TrashEntry]:
    """Every backed-up item, newest first: one ``for-each-ref`` joined with the journal."""
    text = gitcmd.out(paths.common_dir, "for-each-ref", "--format=%(refname)%00%(objectname)", TRASH)
    info: dict[str, dict[str, Any]] = {}
    for rec in journal.read(paths):
        if rec.get("event") == "trash" and isinstance(rec.get("id"), str):
            info[rec["id"]] = rec
    entries: list[TrashEntry] = []
    for line in text.splitlines():
        ref, _, sha = line.partition("\0")
        parts = ref.removeprefix(TRASH + "/").split("/")
        if len(parts) != 2 or parts[1] not in KINDS:
            continue
        entry_id, kind = parts
        rec = info.get(entry_id, {})
        when = float(rec.get("time", 0.0)) or _id_time(entry_id)
        entries.append(TrashEntry(entry_id, kind, sha, when,
                                  str(rec.get("description") or f"{kind} {sha[:10]}"),
                                  dict(rec.get("meta") or {})))
    entries.sort(key=lambda e: (e.time, e.id), reverse=True)
    return entries


def _id_time(entry_id: str) -> float:
    try:
        return time.mktime(time.strptime(entry_id[:15], "%Y%m%d-%H%M%S"))
    except ValueError:
        return 0.0


def get_entry(paths: RepoPaths, entry_id: str) -> TrashEntry:
    for e in list_trash(paths):
        if e.id == entry_id:
            return e
    raise RecoveryError(f"no trash entry {entry_id!r} (agenttui trash lists them)")


def restore(paths: RepoPaths, entry_id: str) -> Outcome:
    """Bring back exactly what was removed; the trash ref goes once the restore succeeded."""
    e = get_entry(paths, entry_id)
    if e.kind == "stash":
        msg = str(e.meta.get("message") or "restored by agenttui")
        gitcmd.out(_cwd(paths), "stash", "store", "-m", msg, e.sha)
        done = f"restored stash {msg!r} as stash@{{0}}"
    elif e.kind == "branch":
        name = str(e.meta.get("name") or f"restored-{e.id}")
        status, _, err = gitcmd.run(paths.common_dir, ["update-ref", f"refs/heads/{name}", e.sha, ""],
                                    check=False)
        if status != 0:
            raise RecoveryError(f"cannot restore branch {name}: it exists again; rename or delete it first")
        for key, value in e.meta.get("config") or []:
            gitcmd.run(paths.common_dir, ["config", "--add", "--end-of-options", key, value], check=False)
        done = f"restored branch {name} at {e.sha[:10]}"
    else:
        done = _restore_worktree(paths, e)
    _unbackup(paths, e.ref)
    _record(paths, "restore", id=e.id, kind=e.kind, sha=e.sha)
    return Outcome(True, done, e.id)


def restore_many(paths: RepoPaths, ids: list[str]) -> list[Outcome]:
    """Restore several entries; stashes go back highest original index first, so they end up in
    their old order (``stash store`` pushes on top)."""
    by_id = {e.id: e for e in list_trash(paths)}
    stashes = [by_id[i] for i in ids if i in by_id and by_id[i].kind == "stash"]
    others = [i for i in ids if i not in by_id or by_id[i].kind != "stash"]
    ordered = [e.id for e in _stack_order(stashes)] + others
    outcomes: list[Outcome] = []
    for i in ordered:
        try:
            outcomes.append(restore(paths, i))
        except AgentTuiError as exc:
            outcomes.append(Outcome(False, exc.message))
    return outcomes


def _stack_order(entries: list[TrashEntry]) -> list[TrashEntry]:
    """Oldest first: an entry comes after the one that was just below it when it was dropped;
    otherwise by stash date, then by drop order (drops go highest index, i.e. oldest, first)."""
    import heapq

    by_sha = {e.sha: e for e in entries}
    after: dict[str, list[TrashEntry]] = {}
    blocked: dict[str, int] = {}
    for e in entries:
        below = e.meta.get("below")
        if isinstance(below, str) and below in by_sha and below != e.sha:
            after.setdefault(below, []).append(e)
            blocked[e.sha] = 1

    def key(e: TrashEntry) -> tuple[float, int, str]:
        return (float(e.meta.get("date", 0)), int(e.meta.get("seq", 0)), e.id)

    ready = [(key(e), e.sha) for e in entries if e.sha not in blocked]
    heapq.heapify(ready)
    out: list[TrashEntry] = []
    while ready:
        _, sha = heapq.heappop(ready)
        out.append(by_sha[sha])
        for nxt in after.get(sha, []):
            heapq.heappush(ready, (key(nxt), nxt.sha))
    seen = {e.sha for e in out}
    out += [e for e in entries if e.sha not in seen]  # a cycle cannot happen; be safe anyway
    return out


def _restore_worktree(paths: RepoPaths, e: TrashEntry) -> str:
    path = Path(str(e.meta.get("path") or ""))
    if not str(path) or path.exists() and any(path.iterdir()):
        raise RecoveryError(f"cannot restore worktree at {path}: the folder exists and is not empty")
    branch = e.meta.get("branch")
    head = str(e.meta.get("head") or "")
    cwd = _cwd(paths)
    taken = {w.branch for w in gitrepo.list_worktrees(paths)}
    exists = bool(branch) and gitcmd.ok(paths.common_dir, "show-ref", "--verify", "-q", f"refs/heads/{branch}")
    if branch and exists and branch not in taken:
        gitcmd.out(cwd, "worktree", "add", "--quiet", "--end-of-options", str(path), str(branch))
    elif branch and not exists:
        gitcmd.out(cwd, "worktree", "add", "--quiet", "-b", str(branch), "--end-of-options", str(path), head)
    else:
        gitcmd.out(cwd, "worktree", "add", "--quiet", "--detach", "--end-of-options", str(path), head)
    if e.meta.get("pruned"):
        return f"restored worktree {path} at {head[:10]}"
    # put back the archived state: files from the snapshot, deletions too; index back to HEAD
    gitcmd.out(path, "checkout", e.sha, "--", ".")
    deleted = gitcmd.out(path, "diff", "--name-only", "-z", "--diff-filter=D", "HEAD", e.sha)
    for rel in filter(None, deleted.split("\0")):
        (path / rel).unlink(missing_ok=True)
    gitcmd.out(path, "reset", "-q")
    return f"restored worktree {path} with its archived files"


def purge(paths: RepoPaths, entry_id: str) -> Outcome:
    """Empty one trash entry for good (``update-ref -d``)."""
    e = get_entry(paths, entry_id)
    gitcmd.out(paths.common_dir, "update-ref", "-d", e.ref, e.sha)
    _record(paths, "purge", id=e.id, kind=e.kind, sha=e.sha)
    return Outcome(True, f"purged {e.description}")


# ------------------------------------------------------------------------ incident
@dataclass(frozen=True)
class Incident:
    """What appeared since the baseline: the strays to back up and clean."""

    since: float | None  # time of the baseline (None: no announcement on record)
    source: str  # "announcement" or "time" or "everything"
    stashes: tuple[Stash, ...]
    branches: tuple[str, ...]
    unmerged: tuple[str, ...]  # subset of branches not merged into HEAD
    worktrees: tuple[Path, ...]

    @property
    def empty(self) -> bool:
        return not (self.stashes or self.branches or self.worktrees)

    @property
    def summary(self) -> str:
        when = ("since the last announcement" if self.source == "announcement"
                else "since " + time.strftime("%Y-%m-%d %H:%M", time.localtime(self.since))
                if self.since else "in the repository")
        return (f"{len(self.stashes)} stashes, {len(self.branches)} branches, "
                f"{len(self.worktrees)} worktrees appeared {when}")


def baseline(paths: RepoPaths) -> dict[str, Any]:
    """What exists now: stored with each announcement so the incident view can diff against it."""
    return {
        "stashes": [s.sha for s in gitrepo.list_stashes(paths)],
        "branches": [b.name for b in gitrepo.list_branches(paths)],
        "worktrees": [str(w.path) for w in gitrepo.list_worktrees(paths)],
    }


def owned_by_plan(paths: RepoPaths) -> tuple[set[str], set[str]]:
    """Branches and worktrees agenttui itself created for a plan (journal 'worktree-add')."""
    branches: set[str] = set()
    trees: set[str] = set()
    for rec in journal.read(paths):
        if rec.get("event") == "worktree-add":
            branches.add(str(rec.get("branch")))
            trees.add(os.path.normpath(str(rec.get("path"))))
    return branches, trees


def find_incident(paths: RepoPaths, since: float | None = None,
                  snap: gitrepo.RepoSnapshot | None = None) -> Incident:
    snap = snap or gitrepo.snapshot(paths, dirty=False)
    main_branch = snap.head.branch if snap.head else None
    base: dict[str, Any] | None = None
    base_time: float | None = None
    if since is None:
        for rec in reversed(journal.read(paths)):
            if rec.get("event") == "announce" and isinstance(rec.get("baseline"), dict):
                base, base_time = rec["baseline"], float(rec.get("time", 0))
                break
    own_branches, own_trees = owned_by_plan(paths)
    linked = [w for w in snap.worktrees if not w.is_main]
    if base is not None:
        stashes = [s for s in snap.stashes if s.sha not in set(base.get("stashes", []))]
        branches = [b for b in snap.branches if b.name not in set(base.get("branches", []))]
        trees = [w for w in linked if str(w.path) not in set(base.get("worktrees", []))]
        source = "announcement"
    elif since is not None:
        stashes = [s for s in snap.stashes if s.date >= since]
        branches = [b for b in snap.branches if b.date >= since]
        trees = [w for w in linked if _ctime(w.path) >= since]
        source, base_time = "time", since
    else:
        stashes, branches, trees, source = list(snap.stashes), list(snap.branches), linked, "everything"
    branches = [b for b in branches if b.name != main_branch and b.name not in own_branches]
    trees = [w for w in trees if os.path.normpath(w.path) not in own_trees]
    return Incident(
        since=base_time,
        source=source,
        stashes=tuple(stashes),
        branches=tuple(b.name for b in branches),
        unmerged=tuple(b.name for b in branches if b.merged is False),
        worktrees=tuple(w.path for w in trees),
    )


def _ctime(path: Path) -> float:
    try:
        return path.stat().st_ctime
    except OSError:
        return 0.0


def clean_incident(paths: RepoPaths, inc: Incident, *, force_unmerged: bool = False) -> list[Outcome]:
    """Back up and clean everything in *inc*: worktrees first (freeing their branches), then
    branches (unmerged ones only with *force_unmerged*), then stashes highest index first."""
    outcomes: list[Outcome] = []
    for path in inc.worktrees:
        try:
            outcomes.append(archive_worktree(paths, path))
        except AgentTuiError as exc:
            outcomes.append(Outcome(False, exc.message))
    for name in inc.branches:
        force = force_unmerged and name in inc.unmerged
        if name in inc.unmerged and not force:
            outcomes.append(Outcome(False, f"kept unmerged branch {name} (needs explicit confirmation)"))
            continue
        try:
            outcomes.append(delete_branch(paths, name, force=force))
        except AgentTuiError as exc:
            outcomes.append(Outcome(False, exc.message))
    outcomes += drop_stashes(paths, [(s.index, s.sha) for s in inc.stashes])
    return outcomes
