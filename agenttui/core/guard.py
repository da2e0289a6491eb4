"""The main-checkout guard: every unexpected mutation of the main checkout, in words.

Events only trigger (GIT-NOTES: "events trigger, git decides"): a file event in the working tree
becomes a coalesced "files changed" alert at once; an event under the git dir (or the ~2 s poll)
re-reads a cheap :class:`CheckoutSnapshot`, and :func:`diff_snapshots` — a pure function — turns
two snapshots into alerts: branch switched, reset, commit, merge/rebase started, stash pushed /
dropped, branch created / deleted outside the plan, worktree added that no dispatch owns.
Suspects are the processes whose cwd is in the main checkout, marked when they descend from an
agent agenttui launched.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import psutil

from . import gitcmd, journal
from . import repo as gitrepo
from .errors import GitError
from .models import RepoPaths
from .procs import processes_in

_ids = itertools.count(1)
LOCK_ALERT_AFTER = 3.0  # seconds index.lock may be held before it is an alert
BURST = 0.5  # file events closer than this are one alert


@dataclass(frozen=True)
class CheckoutSnapshot:
    head_sha: str | None
    head_ref: str | None  # refs/heads/x, or None when detached
    reflog_top: tuple[str, str] | None  # (sha, subject) of HEAD's newest reflog entry
    branches: tuple[tuple[str, str], ...]  # (name, sha), sorted
    stashes: tuple[tuple[str, str], ...]  # (sha, subject), newest first
    worktrees: tuple[str, ...]  # paths, main first
    operation: str | None
    index_stat: tuple[int, int] | None  # (mtime_ns, size)
    index_locked: bool


@dataclass(frozen=True)
class Alert:
    id: int
    time: float
    kind: str  # files, switch, reset, commit, merge, rebase, operation, stash-push, stash-drop,
    #            branch-create, branch-delete, worktree-add, worktree-remove, index-lock, detached
    text: str
    paths: tuple[str, ...] = ()
    suspects: tuple[str, ...] = ()
    suspect_pids: tuple[int, ...] = ()
    agents: tuple[str, ...] = ()  # agents among the suspects

    def line(self) -> str:
        who = f" — suspects: {', '.join(self.suspects)}" if self.suspects else ""
        return f"{time.strftime('%H:%M:%S', time.localtime(self.time))} {self.text}{who}"


def new_alert(kind: str, text: str, **kw: object) -> Alert:
    return Alert(next(_ids), time.time(), kind, text, **kw)  # type: ignore[arg-type]


PARTS = frozenset({"refs", "stash", "worktrees"})


def take_snapshot(paths: RepoPaths, main: Path, parts: frozenset[str] = PARTS,
                  previous: CheckoutSnapshot | None = None) -> CheckoutSnapshot:
    """Read the main checkout's git state, no locks taken.  Only the *parts* an event touched
    are re-read (a branch switch costs two git calls); the rest is taken from *previous*."""
    if previous is None:
        parts = PARTS
    if "refs" in parts:
        _, refs, _ = gitcmd.run(main, ["for-each-ref", "--format=%(HEAD)%00%(refname:lstrip=2)%00%(objectname)",
                                       "refs/heads"], check=False)
        rows = [ln.split("\0") for ln in refs.splitlines() if ln.count("\0") == 2]
        branches = tuple(sorted((name, sha) for _, name, sha in rows))
        current = next(((name, sha) for mark, name, sha in rows if mark == "*"), None)
        _, top, _ = gitcmd.run(main, ["reflog", "-1", "--format=%H%x00%gs", "HEAD"], check=False)
        reflog_top = tuple(top.strip().split("\0", 1)) if "\0" in top else None
        if current is not None:
            head_ref: str | None = f"refs/heads/{current[0]}"
            head_sha: str | None = current[1]
        else:  # detached, or an unborn branch
            _, sha, _ = gitcmd.run(main, ["rev-parse", "-q", "--verify", "HEAD"], check=False)
            head_sha = sha.strip() or None
            head_ref = None
            if head_sha is None:
                _, ref, _ = gitcmd.run(main, ["symbolic-ref", "-q", "HEAD"], check=False)
                head_ref = ref.strip() or None
    else:
        assert previous is not None
        head_sha, head_ref, reflog_top = previous.head_sha, previous.head_ref, previous.reflog_top
        branches = previous.branches
    if "stash" in parts:
        _, st_out, _ = gitcmd.run(paths.common_dir, ["log", "-g", "--format=%H%x00%gs", "refs/stash", "--"],
                                  check=False)
        stashes = tuple(tuple(ln.split("\0", 1)) for ln in st_out.splitlines() if "\0" in ln)
    else:
        assert previous is not None
        stashes = previous.stashes
    if "worktrees" in parts:
        try:
            trees = tuple(str(w.path) for w in gitrepo.list_worktrees(paths))
        except GitError:
            trees = ()
    else:
        assert previous is not None
        trees = previous.worktrees
    git_dir = paths.git_dir
    try:
        s = os.stat(git_dir / "index")
        index_stat: tuple[int, int] | None = (s.st_mtime_ns, s.st_size)
    except OSError:
        index_stat = None
    return CheckoutSnapshot(
        head_sha=head_sha, head_ref=head_ref,
        reflog_top=reflog_top,  # type: ignore[arg-type]
        branches=branches,  # type: ignore[arg-type]
        stashes=stashes,  # type: ignore[arg-type]
        worktrees=trees, operation=gitrepo.operation_in_progress(git_dir),
        index_stat=index_stat, index_locked=(git_dir / "index.lock").exists(),
    )


def _short(ref: str | None, sha: str | None) -> str:
    if ref:
        return ref.removeprefix("refs/heads/")
    return f"detached {sha[:8]}" if sha else "(unborn)"


def diff_snapshots(old: CheckoutSnapshot, new: CheckoutSnapshot, *,
                   plan_branches: frozenset[str] = frozenset(),
                   plan_worktrees: frozenset[str] = frozenset()) -> list[Alert]:
    """Classify what changed between two snapshots of the main checkout.  Pure."""
    alerts: list[Alert] = []
    subject = new.reflog_top[1] if new.reflog_top and new.reflog_top != old.reflog_top else ""
    if (old.head_ref, old.head_sha) != (new.head_ref, new.head_sha):
        before, after = _short(old.head_ref, old.head_sha), _short(new.head_ref, new.head_sha)
        if old.head_ref != new.head_ref:
            alerts.append(new_alert("switch", f"branch switched {before} → {after}"
                                    + (f" ({subject})" if subject else "")))
        elif subject.startswith("commit"):
            alerts.append(new_alert("commit", f"commit made on {after}: {subject.split(': ', 1)[-1]}"))
        elif subject.startswith("reset"):
            alerts.append(new_alert("reset", f"{after} reset: {subject}"))
        elif subject.startswith("merge") or subject.startswith("pull"):
            alerts.append(new_alert("merge", f"merge into {after}: {subject}"))
        elif subject.startswith("rebase"):
            alerts.append(new_alert("rebase", f"rebase on {after}: {subject}"))
        else:
            alerts.append(new_alert("head", f"HEAD of {after} moved {(old.head_sha or '')[:8]} → "
                                    f"{(new.head_sha or '')[:8]}" + (f" ({subject})" if subject else "")))
    if new.operation and new.operation != old.operation:
        alerts.append(new_alert("operation", f"{new.operation} started in the main checkout"))
    old_st = {sha for sha, _ in old.stashes}
    new_st = {sha for sha, _ in new.stashes}
    for sha, msg in new.stashes:
        if sha not in old_st:
            alerts.append(new_alert("stash-push", f"stash pushed: {msg}"))
    for sha, msg in old.stashes:
        if sha not in new_st:
            alerts.append(new_alert("stash-drop", f"stash dropped or popped: {msg}"))
    ob, nb = dict(old.branches), dict(new.branches)
    for name in sorted(set(nb) - set(ob)):
        if name not in plan_branches:
            alerts.append(new_alert("branch-create", f"branch {name} created outside the plan"))
    for name in sorted(set(ob) - set(nb)):
        if name not in plan_branches:
            alerts.append(new_alert("branch-delete", f"branch {name} deleted"))
    for path in new.worktrees:
        if path not in old.worktrees and os.path.normpath(path) not in plan_worktrees:
            alerts.append(new_alert("worktree-add", f"worktree added that no plan dispatch owns: {path}",
                                    paths=(path,)))
    for path in old.worktrees:
        if path not in new.worktrees and os.path.normpath(path) not in plan_worktrees:
            alerts.append(new_alert("worktree-remove", f"worktree removed: {path}", paths=(path,)))
    return alerts


@dataclass
class _Burst:
    alert: Alert
    first: float
    last: float
    paths: list[str] = field(default_factory=list)


class Guard:
    """Turns raw events into alerts.  Thread-safe enough for one event thread + one git thread:
    :meth:`on_files` is cheap and synchronous; :meth:`on_git` runs git (call it off the UI)."""

    def __init__(self, paths: RepoPaths, main: Path, *, ignore: tuple[str, ...] = (),
                 plan_branches: frozenset[str] = frozenset(),
                 plan_worktrees: frozenset[str] = frozenset()) -> None:
        self.paths = paths
        self.main = main
        self.ignore = ignore
        self.plan_branches = plan_branches
        self.plan_worktrees = frozenset(os.path.normpath(p) for p in plan_worktrees)
        self.armed = False
        self.last: CheckoutSnapshot | None = None
        self._burst: _Burst | None = None
        self._lock_since: float | None = None
        self._lock_alerted = False
        self.git_reads = 0
        self._dirty: set[str] = set()
        self._seen: set[str] = set()
        self.nested: tuple[str, ...] = ()
        self.refresh_nested()

    # ------------------------------------------------------------------ config
    def refresh_nested(self) -> None:
        """Linked worktrees inside the main checkout are agents' ground, not the checkout's."""
        main = str(self.main).rstrip(os.sep) + os.sep
        try:
            trees = [str(w.path) for w in gitrepo.list_worktrees(self.paths) if not w.is_main]
        except GitError:
            trees = []
        self.nested = tuple(t.rstrip(os.sep) + os.sep for t in trees if t.startswith(main))

    def arm(self) -> None:
        self.armed = True
        self.last = take_snapshot(self.paths, self.main)
        self._dirty = self._status()
        self.git_reads += 2
        self._burst = None

    def disarm(self) -> None:
        self.armed = False
        self._burst = None

    # ------------------------------------------------------------------ classification
    def is_git_path(self, path: str) -> bool:
        git_dir = str(self.paths.git_dir) + os.sep
        common = str(self.paths.common_dir) + os.sep
        return path.startswith(git_dir) or path.startswith(common) or path in (
            str(self.paths.git_dir), str(self.paths.common_dir))

    def git_path_matters(self, path: str) -> bool:
        return bool(self.git_parts(path))

    def git_parts(self, path: str) -> frozenset[str]:
        """Which parts of the snapshot a git-dir event may have changed (empty: none).  Not
        objects, not agenttui's own files, not the per-worktree files agents' own git commands
        write under worktrees/<id>/."""
        common = str(self.paths.common_dir) + os.sep
        rel = path[len(common):] if path.startswith(common) else path
        if rel.startswith(("objects/", "agenttui/", "logs/refs/heads/")) or rel == "agenttui":
            return frozenset()
        if rel.startswith("worktrees/"):
            # worktrees/<id> itself appearing or vanishing
            return frozenset({"worktrees"}) if rel.count("/") <= 1 else frozenset()
        if rel.endswith(".lock") and rel != "index.lock":
            return frozenset()
        if rel in ("refs/stash", "logs/refs/stash"):
            return frozenset({"stash"})
        if rel == "packed-refs":
            return frozenset({"refs", "stash"})
        return frozenset({"refs"})

    def relevant_file(self, path: str) -> str | None:
        """The path relative to the main checkout when a working-tree event counts, else None."""
        main = str(self.main).rstrip(os.sep) + os.sep
        if not path.startswith(main) or self.is_git_path(path):
            return None
        if any(path.startswith(n) or path + os.sep == n for n in self.nested):
            return None
        rel = path[len(main):]
        if not rel or rel.split(os.sep, 1)[0] == ".git":
            return None
        for pattern in self.ignore:
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(os.path.basename(rel), pattern):
                return None
        return rel

    def on_files(self, rels: list[str], now: float | None = None) -> Alert | None:
        """Working-tree changes (already filtered): a new alert, or the grown burst alert."""
        if not self.armed or not rels:
            return None
        t = time.time() if now is None else now
        b = self._burst
        if b is None or t - b.last > BURST:
            b = self._burst = _Burst(new_alert("files", ""), t, t)
        b.last = t
        b.paths.extend(r for r in rels if r not in b.paths)
        if len(self._seen) > 50_000:
            self._seen.clear()
        self._seen.update(rels)
        n = len(b.paths)
        if n == 1:
            text = f"file changed in the main checkout: {b.paths[0]}"
        else:
            common = os.path.commonpath(b.paths) if n > 1 else ""
            where = f" in {common}" if common else ""
            text = f"{n} files changed{where} in {max(0.0, b.last - b.first):.1f} s"
        b.alert = replace(b.alert, text=text, paths=tuple(b.paths))
        return b.alert

    def on_git(self, parts: frozenset[str] = PARTS) -> list[Alert]:
        """Re-read (*parts* of) the snapshot and diff it against the last one (run off the UI)."""
        if not self.armed:
            return []
        new = take_snapshot(self.paths, self.main, parts, self.last)
        self.git_reads += 1
        old, self.last = self.last, new
        if old is None:
            return []
        alerts = diff_snapshots(old, new, plan_branches=self.plan_branches,
                                plan_worktrees=self.plan_worktrees)
        if any(a.kind == "worktree-add" for a in alerts):
            self.refresh_nested()
        lock = self.check_lock(new.index_locked)
        return alerts + ([lock] if lock else [])

    def _status(self) -> set[str]:
        try:
            entries = gitrepo.status_entries(self.main)
        except GitError:
            return set()
        main = str(self.main).rstrip(os.sep) + os.sep
        return {p for _, p in entries if self.relevant_file(main + p.rstrip("/")) is not None}

    def reconcile(self) -> Alert | None:
        """The fallback for missed events (inotify overflow, files in a brand-new directory):
        ``git status --no-optional-locks`` against the last one; paths no event reported."""
        if not self.armed:
            return None
        now = self._status()
        self.git_reads += 1
        missed = sorted(now - self._dirty - self._seen)
        self._dirty = now
        if not missed:
            return None
        self._seen.update(missed)
        n = len(missed)
        return new_alert("files", f"{n} file{'s' if n > 1 else ''} changed in the main checkout "
                                  f"(found by the periodic re-check): {', '.join(missed[:3])}"
                                  + (" …" if n > 3 else ""), paths=tuple(missed))

    def check_lock(self, locked: bool, now: float | None = None) -> Alert | None:
        t = time.monotonic() if now is None else now
        if not locked:
            self._lock_since, self._lock_alerted = None, False
            return None
        if self._lock_since is None:
            self._lock_since = t
        if not self._lock_alerted and t - self._lock_since >= LOCK_ALERT_AFTER:
            self._lock_alerted = True
            return new_alert("index-lock", f"index.lock held in the main checkout for "
                                           f"{t - self._lock_since:.0f} s")
        return None

    # ------------------------------------------------------------------ suspects
    def suspects(self, alert: Alert, launched: dict[int, str]) -> Alert:
        """Fill in who may have done it: processes with cwd in the main checkout (agents marked)."""
        pids = processes_in([self.main], exclude={os.getpid()}).get(self.main, [])
        names: list[str] = []
        agents: list[str] = []
        for pid in pids[:8]:
            agent = _agent_ancestor(pid, launched)
            try:
                pname = psutil.Process(pid).name()
            except psutil.Error:
                continue
            if agent:
                agents.append(agent)
                names.append(f"agent '{agent}' (pid {pid}, {pname}) has its cwd in the main checkout")
            else:
                names.append(f"{pname} (pid {pid})")
        return replace(alert, suspects=tuple(names), suspect_pids=tuple(pids[:8]),
                       agents=tuple(dict.fromkeys(agents)))

    def record(self, alert: Alert) -> None:
        journal.append(self.paths, "alert", kind=alert.kind, text=alert.text,
                       files=list(alert.paths[:50]), suspects=list(alert.suspects))


def _agent_ancestor(pid: int, launched: dict[int, str]) -> str | None:
    try:
        p: psutil.Process | None = psutil.Process(pid)
        for _ in range(64):
            if p is None:
                return None
            if p.pid in launched:
                return launched[p.pid]
            p = p.parent()
    except psutil.Error:
        return None
    return None
