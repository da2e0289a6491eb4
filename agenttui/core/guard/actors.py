"""Who did it: the process behind a git mutation of the main checkout, caught while it runs.

Agents outside agenttui run short-lived ``git`` processes (``git -C <repo> stash push`` from a
cwd elsewhere): by the time a snapshot diff says a stash appeared, the process is gone.  But while
git works it holds lock files in the git dir (``index.lock``, ``HEAD.lock``, ``refs/stash.lock``,
``refs/heads/x.lock``, ``packed-refs.lock``), and the guard's watcher sees them appear.  The moment
one does, :class:`ActorFinder` (its own thread, woken through a queue) looks for live ``git``
processes working on this repository — cwd inside the checkout or the git dir (``-C`` changes the
cwd), or the repository on the command line — and walks their parents: the ancestry, the command
line, and the agent, from a pid agenttui launched or ``AGENTTUI_AGENT`` in an ancestor's
environment.  A scan reads only the pids allocated since the last one (``/proc/loadavg`` names the newest;
pids wrap around at ``pid_max``), so it costs the same with 2,000 processes on the machine.
Nothing found: ``via: "unknown"`` — a name is never guessed.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agenttui.base.dotgit import dot_git
from agenttui.core.host import proc
from agenttui.core.host.inotify import LockWatcher

KEEP = 5.0  # seconds a capture stays attributable to a mutation read after it


@dataclass(frozen=True)
class Actor:
    agent: str | None
    pid: int | None
    ancestry: tuple[int, ...] = ()
    cmdline: tuple[str, ...] = ()
    via: str = "unknown"  # "process", "hook", "reflog" or "unknown"
    time: float = field(default=0.0, compare=False)
    worktree: str | None = None  # the agent worktree it or an ancestor works in
    escaped: bool = False  # ... while it works outside that worktree: an agent acting outside its own

    # -- the one renderer of an actor (alerts, suspects, the ledger's words all say it this way)
    def command(self, limit: int = 200) -> str:
        return " ".join(self.cmdline)[:limit]

    def text(self, limit: int = 200) -> str:
        """``pid N `command` (agent 'x')``: who did it, in one line."""
        return f"pid {self.pid} `{self.command(limit)}`" + (f" (agent '{self.agent}')" if self.agent else "")

    def detail(self) -> str:
        """The command line and the ancestry by name (``git[12] ← sh[11] ← claude[9]``)."""
        chain = " ← ".join(f"{proc.comm(p)}[{p}]" for p in self.ancestry[:6])
        return f"pid {self.pid}: {self.command(300)} (ancestry: {chain})"

    def to_json(self) -> dict[str, Any]:
        d = {
            "agent": self.agent,
            "pid": self.pid,
            "ancestry": list(self.ancestry),
            "cmdline": list(self.cmdline),
            "via": self.via,
        }
        return {**d, "worktree": self.worktree, "escaped": self.escaped} if self.worktree else d


UNKNOWN = Actor(None, None)


def said(actor: Actor | None) -> str:
    """An actor in words, or that there was none to see."""
    return actor.text() if actor is not None else "a process agenttui could not see (unknown)"


def _agent_of(pid: int) -> str | None:
    return proc.environ_value(pid, "AGENTTUI_AGENT")


SESSION_ROOTS = (b"tmux", b"screen", b"sshd", b"systemd", b"init", b"login", b"zellij")


def worktree_of(path: str, common: str) -> str | None:
    """The linked worktree of this repository that *path* lies in (its root), found on disk: the
    nearest folder above with a ``.git`` file pointing into ``<common>/worktrees/`` (no git run)."""
    admin = common.rstrip(os.sep) + os.sep + "worktrees" + os.sep
    d = path.rstrip(os.sep) or os.sep
    for _ in range(64):
        found = dot_git(d)
        if found is not None and found[0] == "file":
            return d if (found[1] + os.sep).startswith(admin) else None
        if found is not None and found[0] == "dir":
            return None  # a main checkout (or another repository) comes first
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent
    return None


def describe_process(
    pid: int,
    launched: dict[int, str] | None = None,
    via: str = "process",
    *,
    common: str | None = None,
    names: dict[str, str] | None = None,
    seen: tuple[tuple[str, ...], str] | None = None,
) -> Actor:
    """The actor for a live *pid*: its ancestry up to init, its command line, its agent — from a
    pid agenttui launched, ``AGENTTUI_AGENT``, or (with *common*) the agent worktree an ancestor's
    cwd is in (*names*: worktree root -> agent name; else the folder's name, as panes name them)."""
    chain: list[int] = []
    p: int | None = pid
    agent = None
    while p and p > 1 and len(chain) < 64:
        chain.append(p)
        if agent is None:
            agent = (launched or {}).get(p) or _agent_of(p)
        p = proc.ppid(p)
    cmdline = proc.cmdline(pid)
    if seen is not None and not cmdline:
        cmdline = seen[0]  # (*seen*: command line and cwd read a moment ago; it is exiting now)
    worktree, escaped = None, False
    if common is not None:
        for i, q in enumerate(chain):
            if proc.comm_bytes(q).startswith(SESSION_ROOTS):
                break  # a terminal multiplexer's server: its cwd says nothing of the agents under it
            cwd = seen[1] if i == 0 and seen is not None else proc.cwd(q)
            worktree = worktree_of(cwd, common) if cwd else None
            if worktree:
                agent = agent or (names or {}).get(worktree) or os.path.basename(worktree)
                escaped = i > 0  # its shell is in the worktree, the process itself works elsewhere
                break
    return Actor(agent, pid, tuple(chain), cmdline, via, time.time(), worktree, escaped)


SLACK = 32  # pids allocated just before the last scan that are looked at again (a git still starting)


def _recent(pids: list[int], since: int, last: int) -> list[int]:
    """The pids allocated after *since* up to *last* (pids wrap around at pid_max), with SLACK."""
    low = since - SLACK
    if last >= since:
        return [p for p in pids if low < p <= last]
    return [p for p in pids if p > low or p <= last]  # wrapped


RANGE = 4096  # at most this many new pids are probed one by one (else /proc is listed)


def recent_range(since: int, last: int) -> list[int] | None:
    """The pids allocated after *since* up to *last*, probed directly (no listing of /proc: with
    2,000 processes that listing alone took most of a scan)."""
    low = max(1, since - SLACK)
    # (when *last* is below *since*, pids wrapped around pid_max)
    span = (
        list(range(low + 1, last + 1)) if last >= since else [*range(low + 1, proc.pid_max() + 1), *range(1, last + 1)]
    )
    if len(span) > RANGE:
        return None
    return [p for p in span if proc.exists(p)]


class ActorFinder:
    def __init__(
        self,
        roots: list[Path],
        launched: Callable[[], dict[int, str]] = dict,
        lock_dirs: list[Path] | None = None,
        *,
        common: Path | None = None,
        names: Callable[[], dict[str, str]] = dict,
        on_capture: Callable[[Actor], object] | None = None,
    ) -> None:
        self.roots = tuple(str(r).rstrip(os.sep) + os.sep for r in roots)
        self.root_names = tuple(str(r).rstrip(os.sep) for r in roots)
        self.launched = launched
        self.own = os.getpid()
        self.watermark = 0
        self.captured: list[Actor] = []  # newest last; pruned to KEEP seconds
        self.scans = 0
        self.scan_time = 0.0
        self._lock = threading.Lock()
        self._queue: queue.Queue[float | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.lock_dirs = lock_dirs or []
        self._locks: LockWatcher | None = None
        self._switch: float | None = None
        self.common = str(common) if common is not None else None
        self.names = names  # agent worktree root -> agent name
        self.on_capture = on_capture  # each new capture, on the scanning thread

    # ------------------------------------------------------------ the threads
    def start(self) -> None:
        """Scan at once when git takes a lock (inotify, its own thread); the queue is the slower
        path for lock events the watcher reports (where inotify cannot be had)."""
        if self._thread is None:
            self.watermark = proc.last_pid() or 0
            self._thread = threading.Thread(target=self._run, name="agenttui-actors", daemon=True)
            self._thread.start()
            if self.lock_dirs:
                self._locks = LockWatcher(self.lock_dirs, lambda _name: self.scan())
                if not self._locks.start():
                    self._locks = None
                self.watch_worktrees()
            self._switch = None

    def watch_worktrees(self) -> None:
        """Each linked worktree's admin folder too: a ``git stash pop`` there takes that worktree's
        ``index.lock`` while it applies, long before it drops the shared stash and exits."""
        if self._locks is None or self.common is None:
            return
        admin = Path(self.common) / "worktrees"
        with contextlib.suppress(OSError):
            for d in sorted(admin.iterdir()):
                self._locks.add(d)

    @property
    def immediate(self) -> bool:
        """Lock files are seen by the inotify thread (watcher pokes are then redundant)."""
        return self._locks is not None

    def stop(self) -> None:
        if self._switch is not None:
            sys.setswitchinterval(self._switch)
            self._switch = None
        if self._locks is not None:
            self._locks.stop()
            self._locks = None
        if self._thread is not None:
            self._queue.put(None)
            self._thread = None

    def poke(self) -> None:
        """A lock file appeared in the git dir: scan now (called from the watcher; never blocks)."""
        self._queue.put(time.time())

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            while not self._queue.empty():  # a burst of lock files: one scan
                if self._queue.get_nowait() is None:
                    return
            self.scan()

    # ------------------------------------------------------------ scanning
    def _working_here(self, pid: int) -> tuple[tuple[str, ...], str] | None:
        """(command line, cwd) of a git working on this repository, else None."""
        comm = proc.comm_bytes(pid)
        if comm != b"git":
            return None
        here = proc.cwd(pid)
        if here is None:
            return None
        cwd = here.rstrip(os.sep) + os.sep
        args = proc.cmdline(pid)
        seen = (args, cwd.rstrip(os.sep) or os.sep)
        if any(a.rstrip(os.sep) in self.root_names for a in args):
            return seen
        # a git working in an agent worktree (nested in the checkout or not) works on that worktree,
        # but the stash is shared by every worktree: a stash command there changes everyone's
        if not (self.common and worktree_of(cwd, self.common)):
            return seen if cwd.startswith(self.roots) else None
        return seen if "stash" in args else None

    def _is_ours(self, pid: int) -> bool:
        return proc.ppid(pid) == self.own  # agenttui's own git calls are nobody's mutation

    def scan(self) -> list[Actor]:
        t0 = time.perf_counter()
        last = proc.last_pid()
        candidates = recent_range(self.watermark, last) if last is not None else None
        if candidates is None:  # no /proc/loadavg, or too many new pids: look at all of them
            pids = [int(d) for d in os.listdir(proc.PROC) if d.isdigit()]
            candidates = _recent(pids, self.watermark, last) if last is not None else pids
        found = [
            describe_process(p, self.launched(), common=self.common, names=self.names(), seen=seen)
            for p in candidates
            if p != self.own and not self._is_ours(p) and (seen := self._working_here(p)) is not None
        ]
        if last is not None:
            self.watermark = last
        now = time.time()
        with self._lock:
            kept = [a for a in self.captured if now - a.time < KEEP]
            known = {a.pid for a in kept if a.cmdline}
            # a process caught twice keeps its first capture: by the second it may be exiting
            # (an empty command line), and its first says what it was doing
            fresh = [a for a in found if a.pid not in known and a.cmdline]
            self.captured = kept + fresh
            self.scans += 1
            self.scan_time += time.perf_counter() - t0
        if self.on_capture is not None:
            for a in fresh:
                self.on_capture(a)
        return found

    def recent(self, since: float) -> list[Actor]:
        """Captures since *since* (and a little before: the lock file comes before the read)."""
        with self._lock:
            return [a for a in self.captured if a.time >= since - KEEP]

    def best(self, since: float, words: tuple[str, ...] = ()) -> Actor:
        """The actor to name for a mutation read now: the newest capture whose command line has
        all of *words* as whole arguments (``("stash", "others-work-again a2")``).  Without words, the captures'
        agent when they all agree.  Otherwise unknown: a name is never guessed."""
        found = self.recent(since)
        if words:
            fitting = [a for a in found if all(w in a.cmdline for w in words)]
            return fitting[-1] if fitting else UNKNOWN
        agents = {a.agent for a in found}
        return found[-1] if len(agents) == 1 and found else UNKNOWN
