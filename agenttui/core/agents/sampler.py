"""Periodic sampling for the panes: process stats, git state, tmux tails, HEAD, the gate's facts.

:class:`Sampler` runs on one worker thread at a time (the pane grid re-arms it only after the last
sample was drawn, so polls never overlap); :meth:`Sampler.sample` never raises — an error travels
in the :class:`Sample` it returns.  Git is the costly part: a git round comes every
``GIT_INTERVAL`` seconds and reads at most ``GIT_PER_ROUND`` busy worktrees (those with file
activity since their last read), every 15th round all of them whose git files changed (a stat
of HEAD, the index, the branch's ref and packed-refs, and the main checkout's HEAD sha they are
counted ahead of: 32 idle agents cost a few stats there, not 96 git processes), every
``ALL_EVERY``-th of those all of them regardless (file events a full watch could not deliver).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from agenttui.base.dotgit import common_of, dot_git
from agenttui.core.dispatch.claude_code import ClaudeFeed
from agenttui.core.dispatch.launcher import AgentRun
from agenttui.core.errors import AgentTuiError
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import HeadState, RepoPaths, Worktree
from agenttui.core.host import proc
from agenttui.core.host.procs import ProcSampler, ProcStats, processes_in
from agenttui.core.host.tmux import TmuxPane

SAMPLE_INTERVAL = 2.0  # psutil + git sampling; file activity is live regardless
GIT_INTERVAL = 2.0
GIT_PER_ROUND = 8  # busy worktrees read per git round (4 git calls each)
FULL_EVERY = 15  # every 15th git round (30 s) reads every worktree whose git files changed
ALL_EVERY = 10  # every 10th of those (5 min) reads every worktree


@dataclass(frozen=True)
class GitInfo:
    branch: str | None
    sha: str | None
    ahead: int | None
    dirty: int | None


@dataclass(frozen=True)
class SampleJob:
    name: str
    pid: int | None
    worktree: Path | None
    want_git: bool
    tmux: TmuxPane | None = None
    if_changed: bool = False  # (a full round's read of a worktree without file activity)
    client: str | None = None  # the agent CLI in a tmux window: its title says its state


@dataclass(frozen=True)
class Sample:
    stats: dict[str, ProcStats | None] = field(default_factory=dict)
    git: dict[str, GitInfo] = field(default_factory=dict)
    worktrees: list[Worktree] | None = None  # read on git rounds only
    head: HeadState | None = None
    revoke: str | None = None  # the gate's facts moved: the announcement was revoked
    claude: str | None = None  # the sentence for Claude Code's latest burst of dispatches
    tails: dict[str, list[str]] = field(default_factory=dict)  # tmux agents' window lines
    titles: dict[str, str] = field(default_factory=dict)  # tmux agents' pane titles (Codex, Gemini)
    outside: dict[str, str] = field(default_factory=dict)  # agent -> "pid N (cmd) works in /path"
    errors: tuple[str, ...] = ()
    generation: int = 0  # the pane set it was taken for: older samples are dropped, not drawn


class Sampler:
    def __init__(
        self, paths: RepoPaths, main_checkout: Path | None, revalidate: Callable[[], str | None] = lambda: None
    ) -> None:
        self.paths = paths
        self.main_checkout = main_checkout
        self.revalidate = revalidate
        self.procs = ProcSampler()
        self.claude = ClaudeFeed(paths)
        self._captured: dict[str, float] = {}  # tmux pane id -> when its window was last captured
        self._tails: dict[str, list[str]] = {}  # tmux pane id -> the lines that capture read
        self._last_git = 0.0
        self._rounds = 0
        self._due: set[str] = set()
        self._stamps: dict[str, tuple[object, ...] | None] = {}  # (the worker thread's own)

    # ------------------------------------------------------------ scheduling (UI thread)
    def busy(self, name: str) -> None:
        """The agent's files changed: read its git state on the next git round."""
        self._due.add(name)

    def jobs(self, runs: Iterable[AgentRun], now: float | None = None) -> tuple[list[SampleJob], bool]:
        """What the next sample reads, and whether it is a git round."""
        now = time.monotonic() if now is None else now
        git_round = now - self._last_git >= GIT_INTERVAL
        due: set[str] = set()
        if git_round:
            self._last_git = now
            self._rounds += 1
            due = set(sorted(self._due)[:GIT_PER_ROUND])
            self._due -= due
        full = self._rounds % FULL_EVERY == 1
        every = self._rounds % (FULL_EVERY * ALL_EVERY) == 1
        jobs = [
            SampleJob(
                r.name,
                r.pid if r.alive else None,
                r.worktree,
                git_round and (full or r.name in due),
                r.tmux,
                if_changed=full and not every and r.name not in due,
                client=r.spec.client if r.spec is not None else None,
            )
            for r in runs
        ]
        return jobs, git_round

    # ------------------------------------------------------------ sampling (worker thread)
    def _tmux(
        self, jobs: list[SampleJob], attempt: Callable[[str, Callable[[], object]], object]
    ) -> tuple[dict[str, list[str]], dict[str, str]]:
        """tmux agents' window tails and titles: one ``list-panes`` for all of them (titles and
        each window's last output second), then a capture only of the windows that wrote since
        their last capture — 32 idle tmux agents cost one tmux call a sample, not 32-64."""
        from agenttui.core.host import tmux

        states = attempt("tmux", tmux.pane_states)
        known = states if isinstance(states, dict) else None
        tails: dict[str, list[str]] = {}
        titles: dict[str, str] = {}
        for j in jobs:
            pane = j.tmux
            if pane is None:
                continue
            state = known.get(pane.pane_id) if known is not None else None
            last = self._captured.get(pane.pane_id)
            # window_activity has whole seconds: output in the second of the last capture may have
            # come after it, so that second is captured again
            if state is None or last is None or state.activity >= int(last):
                at = time.time()
                lines = attempt(f"tmux {j.name}", lambda pane=pane: tmux.capture(pane))  # type: ignore[misc]
                if isinstance(lines, list):
                    tails[j.name] = lines
                    self._captured[pane.pane_id] = at
                    self._tails[pane.pane_id] = lines
            elif pane.pane_id in self._tails:
                tails[j.name] = self._tails[pane.pane_id]  # nothing written since: the same lines
            if j.client in ("codex", "gemini"):
                if state is not None:
                    titles[j.name] = state.title
                else:
                    name = attempt(f"tmux title {j.name}", lambda pane=pane: tmux.title(pane))  # type: ignore[misc]
                    if isinstance(name, str):
                        titles[j.name] = name
        return tails, titles

    def sample(self, jobs: list[SampleJob], git_round: bool, generation: int = 0) -> Sample:
        errors: list[str] = []

        def attempt(what: str, fn: Callable[[], object]) -> object:
            try:
                return fn()
            except AgentTuiError as exc:
                errors.append(f"{what}: {exc.message}")
            except Exception as exc:  # noqa: BLE001 - a sample never raises: the error is shown
                errors.append(f"{what}: {type(exc).__name__}: {exc}")
            return None

        tails: dict[str, list[str]] = {}
        titles: dict[str, str] = {}
        if any(j.tmux is not None for j in jobs):
            tails, titles = self._tmux(jobs, attempt)
        stats = attempt("processes", lambda: self._stats(jobs))
        outside = attempt("cwd", lambda: self._outside(jobs, stats if isinstance(stats, dict) else {}))
        worktrees = head = revoke = claude = None
        gitinfo: dict[str, GitInfo] = {}
        if git_round:
            worktrees = attempt("worktrees", lambda: gitrepo.list_worktrees(self.paths))
            if self.main_checkout is not None:
                main = self.main_checkout
                head = attempt("HEAD", lambda: gitrepo.head_state(main))
            base = head.sha if isinstance(head, HeadState) else None
            for j in jobs:
                if j.want_git and j.worktree is not None and os.path.isdir(j.worktree):
                    stamp = git_stamp(j.worktree, base)  # (before the read: a change during it counts)
                    if j.if_changed and stamp is not None and self._stamps.get(j.name) == stamp:
                        continue  # nothing of its git state moved: the pane keeps what it shows
                    gitinfo[j.name] = git_info(j.worktree, base)
                    self._stamps[j.name] = stamp
            revoke = attempt("gate", self.revalidate)
            claude = attempt("claude", self.claude.sentence)
        return Sample(
            generation=generation,
            stats=stats if isinstance(stats, dict) else {},
            git=gitinfo,
            worktrees=worktrees if isinstance(worktrees, list) else None,
            head=head if isinstance(head, HeadState) else None,
            revoke=revoke if isinstance(revoke, str) else None,
            claude=claude if isinstance(claude, str) else None,
            tails=tails,
            titles=titles,
            outside=outside if isinstance(outside, dict) else {},
            errors=tuple(errors),
        )

    def _outside(self, jobs: list[SampleJob], stats: dict[str, ProcStats | None]) -> dict[str, str]:
        """Isolated agents with a process working outside their worktree (``cd /main && ...``): the
        isolation the announcement promised no longer holds."""
        out: dict[str, str] = {}
        main = os.path.normpath(self.main_checkout) if self.main_checkout else None
        for j in jobs:
            st = stats.get(j.name)
            if j.pid is None or j.worktree is None or st is None or os.path.normpath(j.worktree) == main:
                continue
            root = os.path.normpath(j.worktree).rstrip("/") + "/"
            for pid in st.pids:
                cwd = proc.cwd(pid)
                if cwd is None:
                    continue
                if not (cwd.rstrip("/") + "/").startswith(root):
                    comm = proc.comm(pid)
                    out[j.name] = f"pid {pid} ({comm}) works in {cwd}"
                    break
        return out

    def _stats(self, jobs: list[SampleJob]) -> dict[str, ProcStats | None]:
        folders = [j.worktree for j in jobs if j.worktree is not None and j.pid is None]
        inside = processes_in(folders, exclude={os.getpid()}) if folders else {}
        stats: dict[str, ProcStats | None] = {}
        for j in jobs:
            if j.pid is not None:
                stats[j.name] = self.procs.sample(j.pid)
            elif j.worktree is not None and inside.get(j.worktree):
                pids = inside[j.worktree]
                stats[j.name] = self.procs.sample(pids[0], tuple(pids[1:]))
            else:
                stats[j.name] = None
        self.procs.forget_dead()
        return stats


def _stat(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def git_stamp(worktree: Path, base_sha: str | None) -> tuple[object, ...] | None:
    """What :func:`git_info` depends on, from files alone (no git): the worktree's HEAD (its text
    and stat), its index, its branch's loose ref, packed-refs, reftable's table list, and
    *base_sha*.  None when its layout is not one read here (then it is read every time)."""
    found = dot_git(str(worktree))
    if found is None or found[0] == "odd":
        return None
    admin = found[1]
    common = common_of(admin)
    try:
        with open(os.path.join(admin, "HEAD"), encoding="utf-8", errors="replace") as fh:
            head = fh.read(512).strip()
    except OSError:
        return None
    files = [
        os.path.join(admin, "HEAD"),
        os.path.join(admin, "index"),
        os.path.join(common, "packed-refs"),
        os.path.join(common, "reftable", "tables.list"),
    ]
    if head.startswith("ref: "):
        files.append(os.path.join(common, head[5:].strip()))
    return (base_sha, head, *(_stat(f) for f in files))


def git_info(worktree: Path, base_sha: str | None) -> GitInfo:
    """Branch, HEAD, commits ahead of *base_sha* and dirty count of one worktree (never raises)."""
    try:
        h = gitrepo.head_state(worktree)
        ahead = gitrepo.ahead_count(worktree, base_sha) if h.sha and base_sha else None
        return GitInfo(h.branch, h.sha, ahead, gitrepo.dirty_count(worktree))
    except AgentTuiError:
        return GitInfo(None, None, None, None)
