"""Starting, signalling and stopping agent processes (plain processes or tmux windows).

The :class:`Launcher` owns the OS side of a dispatch: the environment, the log file, the session
nice (retried off the UI thread when the kernel refuses it for now), SIGTERM-then-SIGKILL and
SIGSTOP/SIGCONT of a whole process tree.  What to start, when and where is the Supervisor's.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from agenttui.base.safefile import open_append
from agenttui.core import journal
from agenttui.core.dispatch.plan import AgentSpec
from agenttui.core.errors import AgentTuiError
from agenttui.core.git.models import RepoPaths
from agenttui.core.host.procs import deprioritize, signal_tree, tree_pids
from agenttui.core.host.tmux import TmuxPane

STOP_GRACE = 3.0


@dataclass
class AgentRun:
    """One pane's worth of state.  Mutated only by the Supervisor."""

    name: str
    source: str  # "plan" or "worktree" (found in the repository)
    spec: AgentSpec | None
    worktree: Path | None
    branch: str | None
    state: str = "planned"  # planned, queued, starting, running, paused, exited, failed, stopping
    pid: int | None = None
    nice: int = 0  # the nice value it was started with (settings.agent_nice spread over the batch)
    exit_code: int | None = None
    error: str | None = None
    log_path: Path | None = None
    started: float | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    tmux: TmuxPane | None = None  # runner = "tmux": the agent's window
    title: str | None = None  # what its pane is titled by when not its name (a subagent's dispatch)

    @property
    def label(self) -> str:
        return f"{self.title} · {self.name}" if self.title else self.name

    @property
    def alive(self) -> bool:
        return self.state in ("starting", "running", "paused", "stopping")

    @property
    def state_text(self) -> str:
        if self.state == "exited":
            code = self.exit_code
            if code is not None and code < 0:
                try:
                    return f"stopped by {signal.Signals(-code).name}"
                except ValueError:
                    return f"killed by signal {-code}"
            if code == 127:
                return "exited 127 (command not found)"
            return f"exited {code}"
        if self.state == "failed":
            return "failed to start"
        return self.state


def trace2_env(paths: RepoPaths, agent: str, env: dict[str, str]) -> dict[str, str]:
    """git reports every command an agent runs itself: ``GIT_TRACE2_EVENT`` names a folder of ours, one
    file per git process (argv, times, worktree) — exact attribution for the incident record, with no
    race and no change to the user's git config.  Left alone when the user traces git already."""
    if env.get("GIT_TRACE2_EVENT"):
        return {}
    folder = paths.agenttui_dir / "trace2" / agent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return {}
    return {"GIT_TRACE2_EVENT": str(folder), "GIT_TRACE2_EVENT_BRIEF": "1"}


def claude_fence(client: str | None, worktree: Path, main: Path | None) -> dict[str, str]:
    """A `claude` agent in a worktree of its own gets the client's own fence (2.1.332, undocumented,
    pinned by tests/realclient): its Write and Edit refuse the main checkout.  The shell is not fenced
    by it (``echo > <main>/x`` goes through): agenttui's guard stays."""
    import json

    if client != "claude-code" or main is None or os.path.normpath(worktree) == os.path.normpath(main):
        return {}
    return {"CLAUDE_CODE_HOST_WORKTREE": str(worktree), "CLAUDE_CODE_HOST_WORKTREE_FENCE": json.dumps([str(main)])}


def launched_pids(paths: RepoPaths) -> dict[str, int]:
    """Agents launched (per the journal) whose process is still alive: name -> pid."""
    alive: dict[str, int] = {}
    for rec in journal.read(paths, "launch"):
        pid, name, ctime = rec.get("pid"), rec.get("agent"), rec.get("create_time")
        if not isinstance(pid, int) or not isinstance(name, str):
            continue
        try:
            p = psutil.Process(pid)
            if ctime is None or abs(p.create_time() - float(ctime)) < 1.0:
                alive[name] = pid
        except psutil.Error:
            alive.pop(name, None)
    return alive


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


class Launcher:
    def __init__(self, paths: RepoPaths, record: Callable[..., None], main_checkout: Callable[[], Path | None]) -> None:
        self.paths = paths
        self._journal = record  # (event, **data): the Supervisor's journal writer
        self.main_checkout = main_checkout
        self._renice_later: dict[int, int] = {}  # agents whose session nice the kernel refused for now
        self._lock = threading.Lock()

    def fail(self, run: AgentRun, error: str) -> None:
        run.state, run.error = "failed", error
        self._journal("failed", agent=run.name, error=error)

    def start(self, run: AgentRun, cwd: Path, nice: int) -> None:
        """Start *run* in *cwd* at *nice*; on failure the run is marked failed (journaled)."""
        spec = run.spec
        assert spec is not None
        run.state = "starting"
        env = dict(os.environ)
        env.update(dict(spec.env))
        env["AGENTTUI_AGENT"] = run.name
        env.pop("TMUX_PANE", None)
        trace = trace2_env(self.paths, run.name, env)
        env.update(trace)
        fence = claude_fence(spec.client, cwd, self.main_checkout())
        env.update(fence)
        logs = self.paths.agenttui_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        run.log_path = logs / f"{run.name}-{time.strftime('%Y%m%d-%H%M%S')}.log"
        argv = ["/bin/sh", "-c", spec.command] if isinstance(spec.command, str) else list(spec.command)
        if spec.runner == "tmux":
            self._start_tmux(run, spec, cwd, env)
            return
        try:
            with os.fdopen(open_append(run.log_path), "ab") as log:  # (never through a planted symlink)
                run.popen = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        except FileNotFoundError as exc:
            missing = exc.filename if exc.filename and exc.filename != str(cwd) else argv[0]
            self.fail(run, f"command not found: {missing}")
            return
        except PermissionError:
            self.fail(run, f"command is not executable: {argv[0]}")
            return
        except OSError as exc:
            self.fail(run, f"cannot start {shlex.join(argv)[:80]}: {exc.strerror}")
            return
        run.pid = run.popen.pid
        # agents are batch work: under CPU contention the supervisor stays responsive
        run.nice = nice
        if not deprioritize(run.pid, run.nice):
            with self._lock:
                self._renice_later[run.pid] = run.nice
                if len(self._renice_later) == 1:
                    threading.Thread(target=self._renice_retry, name="agenttui-renice", daemon=True).start()
        run.started = time.time()
        run.state = "running"
        run.exit_code = None
        self._journal_launch(run, spec, cwd, log=str(run.log_path))

    def _journal_launch(self, run: AgentRun, spec: AgentSpec, cwd: Path, **where: object) -> None:
        """The launch record: the pid with its start time (a later pid of the same number is not
        taken for it), where it runs, its command."""
        ctime: float | None = None
        if run.pid is not None:
            with contextlib.suppress(psutil.Error):
                ctime = psutil.Process(run.pid).create_time()
        self._journal(
            "launch", agent=run.name, pid=run.pid, create_time=ctime, cwd=str(cwd), **where, command=spec.command_text
        )

    def _start_tmux(self, run: AgentRun, spec: AgentSpec, cwd: Path, env: dict[str, str]) -> None:
        from agenttui.core.host import tmux

        extra = {
            **dict(spec.env),
            "AGENTTUI_AGENT": run.name,
            **trace2_env(self.paths, run.name, env),
            **claude_fence(spec.client, cwd, self.main_checkout()),
        }
        if isinstance(spec.command, tuple) and shutil.which(spec.command[0], path=env.get("PATH")) is None:
            self.fail(run, f"command not found: {spec.command[0]}")
            return
        try:
            main = self.main_checkout() or cwd
            session = tmux.ensure_session(tmux.session_name(main.name), str(cwd))
            state_dir = self.paths.agenttui_dir / "tmux"
            state_dir.mkdir(parents=True, exist_ok=True)
            pane = tmux.start(
                run.name,
                spec.command if isinstance(spec.command, str) else list(spec.command),
                str(cwd),
                extra,
                session,
                state_dir,
            )
        except AgentTuiError as exc:
            self.fail(run, exc.message)
            return
        run.tmux, run.pid, run.started, run.state, run.exit_code = pane, pane.pid, time.time(), "running", None
        self._journal_launch(run, spec, cwd, tmux_pane=pane.pane_id, tmux_window=pane.window_id, session=pane.session)

    def _renice_retry(self) -> None:
        """The kernel lets an unprivileged user change one session's nice per 100 ms (EAGAIN):
        the agents of a fire are reniced one by one, off the UI thread."""
        while True:
            with self._lock:
                if not self._renice_later:
                    return
                pid, nice = next(iter(self._renice_later.items()))
                if deprioritize(pid, nice):
                    del self._renice_later[pid]
                    continue
            time.sleep(0.11)

    def stop(self, run: AgentRun | None, name: str, serial_queue: list[str], grace: float = STOP_GRACE) -> str:
        """SIGTERM the agent's tree, SIGKILL what is left after *grace* (on a thread)."""
        if run is None or run.pid is None or not run.alive:
            if run is not None and run.state == "queued":
                serial_queue[:] = [n for n in serial_queue if n != name]
                run.state = "exited"
                run.error = "removed from the queue"
                return f"{name} removed from the serial queue"
            return f"{name} is not running"
        pid = run.pid
        if run.state == "paused":
            signal_tree(pid, signal.SIGCONT)
        pids = signal_tree(pid, signal.SIGTERM)
        run.state = "stopping"
        self._journal("stop", agent=name, pid=pid, pids=pids)

        def kill_later() -> None:
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                if not _alive(pid) and not any(_alive(p) for p in pids[1:]):
                    return
                time.sleep(0.05)
            for p in [*tree_pids(pid), *pids]:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(p, signal.SIGKILL)
            self._journal("kill", agent=name, pid=pid)

        threading.Thread(target=kill_later, daemon=True, name=f"stop-{name}").start()
        return f"stopping {name} (SIGTERM, SIGKILL after {grace:g} s)"

    def toggle_pause(self, run: AgentRun | None, name: str) -> str:
        """SIGSTOP / SIGCONT the agent's tree."""
        if run is None or run.pid is None or run.state not in ("running", "paused"):
            return f"{name} is not running"
        tmux_root = run.tmux is None  # a tmux pane's first process stays running (see tmux.start)
        if run.state == "paused":
            signal_tree(run.pid, signal.SIGCONT, include_root=tmux_root)
            run.state = "running"
            self._journal("resume", agent=name, pid=run.pid)
            return f"resumed {name}"
        signal_tree(run.pid, signal.SIGSTOP, include_root=tmux_root)
        run.state = "paused"
        self._journal("pause", agent=name, pid=run.pid)
        return f"paused {name}"
