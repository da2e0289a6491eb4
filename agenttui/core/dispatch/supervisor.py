"""Dispatch and supervise agents: worktree + branch + process, behind the gate.

The :class:`Supervisor` is plain Python (no Textual); the UI calls it from workers.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from pathlib import Path

from agenttui.core import journal
from agenttui.core.dispatch.check import DispatchTarget, Verdict, gather_facts, verify
from agenttui.core.dispatch.gate import Confirmation, Gate
from agenttui.core.dispatch.launcher import STOP_GRACE, AgentRun, Launcher, launched_pids
from agenttui.core.dispatch.plan import AgentSpec, Plan, empty_plan, load_plan
from agenttui.core.errors import AgentTuiError, GateClosed, GitError, first_line
from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths, Worktree
from agenttui.core.host import tmux
from agenttui.core.host.procs import spread_nice

__all__ = ["STOP_GRACE", "AgentRun", "Supervisor", "launched_pids"]


def _asks_tmux(run: AgentRun) -> bool:
    """Only tmux can say whether this agent ended (a live pane, not paused): reaping asks it."""
    return run.tmux is not None and run.state not in ("exited", "failed", "paused")


class Supervisor:
    def __init__(self, paths: RepoPaths, plan_path: Path | None) -> None:
        self.paths = paths
        self.plan_path = plan_path
        self.plan_error: str | None = None
        self.plan: Plan = empty_plan()
        self.gate = Gate()
        self.verdict: Verdict | None = None
        self.runs: dict[str, AgentRun] = {}
        self.serial_queue: list[str] = []
        self.fired = False
        self._dead_since: dict[str, float] = {}
        self._concurrency = 1  # agents launched together by the current fire
        self._main: Path | None = None
        self._lock = threading.RLock()  # guards self.runs: workers take copies under it
        self._polling = threading.Lock()  # one thread reaps at a time (the reaper, a landing's wait)
        self.launcher = Launcher(paths, self._journal, lambda: self.main_checkout)
        self.reload_plan()

    # ---------------------------------------------------------------- plan
    def reload_plan(self) -> str | None:
        """Re-read the plan file.  Returns a message when that revoked the confirmation."""
        old = self.plan.fingerprint
        try:
            plan = load_plan(self.plan_path) if self.plan_path else empty_plan()
            if self.plan_path and not os.path.exists(self.plan_path):
                plan = empty_plan()
            self.plan_error = None
        except AgentTuiError as exc:
            self.plan_error = exc.message
            plan = self.plan
            if self.revoke("the plan file became invalid", detail=exc.message):
                return f"announcement revoked: plan is invalid ({exc.message})"
            return None
        self.plan = plan
        self._sync_runs()
        if plan.fingerprint != old:
            self.verdict = None
            if self.revoke("the plan changed"):
                return "announcement revoked: the plan changed — announce again"
        return None

    def _sync_runs(self) -> None:
        main = self.main_checkout
        from agenttui.core.dispatch.check import plan_targets

        targets = {t.name: t for t in plan_targets(self.plan, main, None)}
        with self._lock:
            for a in self.plan.agents:
                t = targets.get(a.name)
                run = self.runs.get(a.name)
                if run is None or (run.source == "worktree" and not run.alive):
                    self.runs[a.name] = AgentRun(a.name, "plan", a, t.path if t else None, t.branch if t else None)
                elif not run.alive and run.state == "planned":
                    run.spec, run.worktree = a, t.path if t else None
                    run.branch = t.branch if t else None
            for name in list(self.runs):
                r = self.runs[name]
                if r.source == "plan" and name not in targets and r.state == "planned":
                    del self.runs[name]

    @property
    def main_checkout(self) -> Path | None:
        """The main working tree (read once: it does not move while agenttui runs)."""
        if self._main is None:
            try:
                self._main = gitrepo.main_checkout(self.paths) or self.paths.toplevel
            except GitError:
                self._main = self.paths.toplevel
        return self._main

    def discover(self, worktrees: list[Worktree]) -> list[str]:
        """Give every linked worktree a pane, even ones agenttui did not create."""
        added: list[str] = []
        with self._lock:
            owned = {os.path.normpath(r.worktree) for r in self.runs.values() if r.worktree}
            for w in worktrees:
                if w.is_main or w.bare or os.path.normpath(w.path) in owned:
                    continue
                name = w.path.name
                if name in self.runs:
                    name = f"{w.path.parent.name}/{w.path.name}"
                self.runs[name] = AgentRun(name, "worktree", None, w.path, w.branch, state="found")
                added.append(name)
        return added

    def title_subagents(self, titles: dict[str, str]) -> list[str]:
        """Title found worktrees by the dispatch that made them (folder name -> title); the names
        whose title changed."""
        changed: list[str] = []
        with self._lock:
            for name, run in self.runs.items():
                if run.source != "worktree" or run.worktree is None:
                    continue
                title = titles.get(run.worktree.name)
                if title is not None and title != run.title:
                    run.title = title
                    changed.append(name)
        return changed

    # ---------------------------------------------------------------- gate
    def announce(self) -> Verdict:
        facts = gather_facts(self.paths, self.plan)
        self.verdict = verify(self.plan, facts)
        from agenttui.core.guard import escapes

        escapes.clear(self.paths)  # announcing again releases agents caught outside their worktree
        from agenttui.core.recovery import baseline

        self._journal(
            "announce",
            ok=self.verdict.ok,
            announcement=self.verdict.announcement,
            violations=[v.line for v in self.verdict.violations],
            plan=self.plan.fingerprint,
            baseline=baseline(self.paths),
        )
        return self.verdict

    def confirm(self, *, serial: bool = False) -> Confirmation:
        if self.verdict is None:
            raise GateClosed("announce first (press a)")
        c = self.gate.confirm(self.verdict, serial=serial)
        # (the plan's notify command as the user saw it confirmed: from now on it may run — notify.trusted)
        self._journal(
            "serialize" if serial else "confirm",
            announcement=c.sentence,
            plan=self.plan.fingerprint,
            notify=list(self.plan.notify_command or ()),
        )
        return c

    def revalidate(self) -> str | None:
        """Re-read the facts the confirmed verdict depended on; revoke when they moved."""
        c = self.gate.confirmation
        if c is None or self.fired:
            return None
        facts = gather_facts(self.paths, self.plan)
        if facts.fingerprint != c.verdict.facts_fingerprint:
            self.revoke("the repository changed")
            return "announcement revoked: the repository changed — announce again"
        return None

    # ---------------------------------------------------------------- fire
    def fire_unsafe_demo(self) -> list[str]:
        """ONLY for ``agenttui demo --incident --unsafe``: launch every dispatch at once where the
        plan says, with no gate.  It replays the incident agenttui exists to prevent."""
        facts = gather_facts(self.paths, self.plan)
        self.fired = True
        self._journal("fire-unsafe", warning="isolation check bypassed for the incident demo", agents=self.plan.names)
        from agenttui.core.dispatch.check import plan_targets

        self._concurrency = len(self.plan.agents)
        for t in plan_targets(self.plan, facts.main, facts.head):
            run = self.runs[t.name]
            run.worktree, run.branch = t.path, t.branch
            self._launch(run, t.path)
        return [f"UNSAFE: {len(self.plan.agents)} agents launched in parallel without isolation"]

    def fire(self) -> list[str]:
        """Dispatch the plan.  Raises GateClosed unless the current plan was confirmed."""
        facts = gather_facts(self.paths, self.plan)
        conf = self.gate.require(self.plan.fingerprint, facts.fingerprint)
        self.fired = True
        messages: list[str] = []
        self._journal("fire", announcement=conf.sentence, serial=conf.serial, agents=self.plan.names)
        if conf.serial:
            main = facts.main
            assert main is not None
            with self._lock:
                self.serial_queue = [a.name for a in self.plan.agents]
                for name in self.serial_queue:
                    r = self.runs[name]
                    r.worktree, r.branch, r.state = main, facts.head.branch if facts.head else None, "queued"
            self._concurrency = 1
            self._start_next_serial()
            return [f"serialized {len(self.plan.agents)} dispatches in the main checkout"]
        targets = list(conf.verdict.targets)
        self._concurrency = len(targets)
        for t in targets:
            if t.isolated:
                err = self._ensure_worktree(t, facts.bases.get(self._spec(t.name).base))
                if err:
                    self._fail(t.name, err)
                    messages.append(f"{t.name}: {err}")
        problems = self.verify_dispatched(targets)
        self._journal("verified", ok=not problems, problems=problems)
        for t in targets:
            run = self.runs[t.name]
            if run.state == "failed":
                continue
            if t.name in problems:
                self._fail(t.name, problems[t.name])
                messages.append(f"{t.name}: {problems[t.name]}")
                continue
            self._launch(run, t.path)
        return messages

    def _spec(self, name: str) -> AgentSpec:
        for a in self.plan.agents:
            if a.name == name:
                return a
        raise KeyError(name)

    def _ensure_worktree(self, t: DispatchTarget, base_sha: str | None) -> str | None:
        assert t.branch is not None
        trees = gitrepo.list_worktrees(self.paths)
        for w in trees:
            if os.path.normpath(w.path) == os.path.normpath(t.path) and w.branch == t.branch:
                return None  # already there
        try:
            t.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"cannot create {t.path.parent}: {exc.strerror}"
        exists = gitcmd.ok(self.paths.common_dir, "show-ref", "--verify", "-q", f"refs/heads/{t.branch}")
        cwd = self.main_checkout or self.paths.common_dir
        args = ["worktree", "add", "--quiet"]
        if exists:
            args += ["--end-of-options", str(t.path), t.branch]
        else:
            args += ["-b", t.branch, "--end-of-options", str(t.path), base_sha or "HEAD"]
        status, _, err = gitcmd.run(cwd, args, check=False)
        if status != 0:
            first = first_line(err, "failed")
            return f"cannot create worktree {t.path}: {first.removeprefix('fatal: ')}"
        self._journal("worktree-add", agent=t.name, path=str(t.path), branch=t.branch)
        return None

    def verify_dispatched(self, targets: list[DispatchTarget]) -> dict[str, str]:
        """After creation: every isolated dispatch has its own registered worktree on its branch."""
        trees = {os.path.normpath(w.path): w for w in gitrepo.list_worktrees(self.paths)}
        problems: dict[str, str] = {}
        seen: dict[str, str] = {}
        for t in targets:
            if not t.isolated:
                continue
            w = trees.get(os.path.normpath(t.path))
            if w is None:
                problems[t.name] = f"{t.path} is not a registered worktree"
            elif w.branch != t.branch:
                problems[t.name] = f"{t.path} is on {w.branch or 'a detached HEAD'}, not {t.branch}"
            elif str(w.path) in seen.values():
                problems[t.name] = f"{t.path} is shared"
            seen[t.name] = str(w.path) if w else ""
        return problems

    def _fail(self, name: str, error: str) -> None:
        self.launcher.fail(self.runs[name], error)

    def _launch(self, run: AgentRun, cwd: Path) -> None:
        # agents are batch work: their nice spreads over the batch so the supervisor stays responsive
        active = sum(1 for r in self.runs.values() if r.state in ("running", "paused", "starting"))
        self.launcher.start(run, cwd, spread_nice(self.plan.agent_nice, max(self._concurrency, active)))

    def stop(self, name: str, grace: float = STOP_GRACE) -> str:
        return self.launcher.stop(self.runs.get(name), name, self.serial_queue, grace)

    def toggle_pause(self, name: str) -> str:
        return self.launcher.toggle_pause(self.runs.get(name), name)

    def _start_next_serial(self) -> None:
        while self.serial_queue:
            name = self.serial_queue.pop(0)
            run = self.runs[name]
            assert run.worktree is not None
            self._launch(run, run.worktree)
            if run.state != "failed":
                return

    # ---------------------------------------------------------------- lifecycle
    def run_items(self) -> list[tuple[str, AgentRun]]:
        """A copy of the runs, taken under the lock: what worker threads iterate."""
        with self._lock:
            return list(self.runs.items())

    def run_list(self) -> list[AgentRun]:
        with self._lock:
            return list(self.runs.values())

    def stop_and_wait(self, name: str, timeout: float = 5.0) -> bool:
        """Stop agent *name* and wait (on the caller's thread) until it has exited: True if it did."""
        import time

        self.stop(name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            with self._lock:
                run = self.runs.get(name)
            if run is None or not run.alive:
                return True
            time.sleep(0.1)
        return False

    def reap_due(self) -> bool:
        """Whether :meth:`poll` has anything to do now: a live tmux agent (tmux is asked about all of
        them in one call) or a process agent that exited.  Cheap enough for the UI thread (one
        ``Popen.poll`` per agent): the supervisor's screen starts its reaping worker only then, not
        twice a second for 32 idle agents (docs/MEASURED.md, "reaping")."""
        for run in self.run_list():
            if _asks_tmux(run):
                return True
            popen = run.popen if run.tmux is None and run.state not in ("exited", "failed") else None
            if popen is not None and popen.poll() is not None:  # an exit to reap
                return True
        return False

    def poll(self) -> list[str]:
        """Reap exited agents (and start the next serialized one).  Cheap: call often.  One thread
        at a time: a second caller waits for the first's reaping to end and then reaps what is left."""
        with self._polling:
            return self._poll()

    def _poll(self) -> list[str]:
        events: list[str] = []
        exits: list[tuple[str, dict[str, object]]] = []
        runs = self.run_list()
        states: dict[str, tmux.PaneState] | None = None
        if any(_asks_tmux(r) for r in runs):
            try:
                states = tmux.pane_states()  # one tmux call for all of them
            except (OSError, subprocess.SubprocessError, AgentTuiError):
                states = None
        for run in runs:
            if run.state in ("exited", "failed"):
                continue
            if run.tmux is not None:
                if run.state == "paused":
                    continue
                try:
                    dead, code = tmux.status_in(states, run.tmux)
                except (AgentTuiError, OSError, subprocess.SubprocessError):
                    dead, code = True, None
                if not dead:
                    continue
                if code is None:  # tmux sees the pty close a moment before it reaps the status
                    first = self._dead_since.setdefault(run.name, time.monotonic())
                    if time.monotonic() - first < 1.0:
                        continue
            elif run.popen is None:
                continue
            else:
                code = run.popen.poll()
                if code is None:
                    continue
            run.exit_code = code
            run.state = "exited"
            events.append(f"{run.name} exited with code {code}")
            exits.append(("exit", {"agent": run.name, "code": code}))
            if self.serial_queue:
                self._journal_many(exits)  # in order: this exit before the next one's start
                exits = []
                self._start_next_serial()
        self._journal_many(exits)  # 32 agents ending together: one write, one fsync
        return events

    def counts(self) -> tuple[int, int]:
        running = sum(1 for r in self.runs.values() if r.alive)
        exited = sum(1 for r in self.runs.values() if r.state in ("exited", "failed"))
        return running, exited

    def revoke(self, reason: str, **data: object) -> bool:
        """Take the confirmed announcement back ("verified" stopped being true) and journal why,
        once: True when there was a confirmation to revoke.  The one place this happens — the UI,
        the plan watch and the revalidation all call it."""
        if not self.gate.revoke(reason):
            return False
        self._journal("revoke", reason=reason, **data)
        return True

    def journal(self, event: str, **data: object) -> None:
        """Append an event to the journal (never raises: the journal is a record, not a gate)."""
        self._journal(event, **data)

    def _journal(self, event: str, **data: object) -> None:
        with contextlib.suppress(OSError):
            journal.append(self.paths, event, **data)

    def _journal_many(self, events: list[tuple[str, dict[str, object]]]) -> None:
        with contextlib.suppress(OSError):
            journal.append_many(self.paths, events)
