"""The ledger: every mutation of the main checkout while the guard is armed, in the journal.

The on-screen feed may coalesce; the record may not lose anything.  Each mutation is a journal
record ``{"time", "event": "mutation", "kind", ..., "actor": {...}}`` (README, "The ledger"):

* ``file`` — ``paths``: every changed path, batched (a batch spans at most ~1 s);
* ``head`` — every HEAD movement, each reflog entry (not the net diff of two snapshots): ``from``,
  ``to`` (branch name, or SHA when detached), ``reason`` (git's reflog message), ``old_sha``, ``sha``;
* ``commit`` — ``ref``, ``sha``; ``stash-push`` / ``stash-drop`` — ``sha``; ``branch-create`` /
  ``branch-delete`` / ``branch-move`` — ``ref``, ``old_sha``, ``sha``; ``worktree-add`` /
  ``worktree-remove`` — ``path``; ``index-lock``.

HEAD's entries are read from the tail of its reflog file (bytes appended since the last read), so
flips closer than a snapshot read are each recorded; everything else from the snapshot diff.  A
flusher thread writes the pending records (one write, one fsync) every ``TICK`` seconds.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agenttui.core import journal
from agenttui.core.git import reflog
from agenttui.core.git.models import RepoPaths
from agenttui.core.guard.actors import UNKNOWN, Actor

TICK = 0.25  # seconds between flushes
BATCH = 0.5  # a file batch is written once its first path is this old (so <= BATCH + TICK)
_MOVE = re.compile(r"^checkout: moving from (.+) to (.+)$")


def reason_words(reason: str) -> tuple[str, ...]:
    """What the git command line that wrote a reflog entry must contain (to match its process)."""
    verb = reason.split(":", 1)[0].split(" ", 1)[0]
    m = _MOVE.match(reason)
    if m:
        return ("checkout", m.group(2).rsplit("/", 1)[-1]) if not m.group(2).startswith(("HEAD",)) else ("checkout",)
    if reason.startswith("reset: moving to HEAD"):
        return ("stash",)  # git stash resets HEAD; a plain `git reset --hard HEAD` says "reset"
    if verb == "commit" and ": " in reason:  # "commit: msg", "commit (amend): msg": -m's argument
        return ("commit", reason.split(": ", 1)[1])
    return (verb,) if verb else ()


def _short(ref: str | None, sha: str | None) -> str | None:
    return ref.removeprefix("refs/heads/") if ref else sha


class Ledger:
    def __init__(
        self,
        paths: RepoPaths,
        main: Path,
        *,
        head_ref: str | None = None,
        actor: Callable[[float, tuple[str, ...]], Actor] | None = None,
    ) -> None:
        self.paths = paths
        self.main = main
        self.actor: Callable[[float, tuple[str, ...]], Actor] = actor or (lambda _t, _w: UNKNOWN)
        self.branch = _short(head_ref, None)  # the main checkout's branch as the reflog moves it
        self._files: dict[str, None] = {}
        self._file_actor: Actor = UNKNOWN
        self._since: float | None = None
        self._records: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._head_log = reflog.Tail(self._git_dir() / "logs" / "HEAD")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0  # records written (benchmarks and tests read it)

    def _git_dir(self) -> Path:
        # the main checkout's own git dir (its HEAD log), which is the common dir for a main worktree
        return self.paths.common_dir

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="agenttui-ledger", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self.flush(force=True)

    def _run(self) -> None:
        while not self._stop.wait(TICK):
            self.flush()

    # ------------------------------------------------------------ noting
    def files(self, rels: list[str], actor: Actor | None = None) -> None:
        if not rels:
            return
        with self._lock:
            if self._since is None:
                self._since = time.time()
            for r in rels:
                self._files[r] = None
            if actor is not None:
                self._file_actor = actor

    def add(self, kind: str, actor: Actor | None = None, **data: Any) -> None:
        who = actor or UNKNOWN
        with self._lock:
            self._records.append(("mutation", {"kind": kind, **data, "actor": who.to_json()}))

    def head_entries(self, read_at: float) -> int:
        """Every HEAD reflog entry appended since the last read, one ``head`` record each (and a
        ``commit`` record for commits).  Returns how many."""
        n = 0
        for old, new, _t, reason in self._head_log.read():
            found = self.actor(read_at, reason_words(reason))
            via = found if found.via != "unknown" else Actor(None, None, via="reflog")
            m = _MOVE.match(reason)
            if m:
                before, after = m.group(1), m.group(2)
                self.branch = None if re.fullmatch(r"[0-9a-f]{40,64}", after) else after
            else:
                before = after = self.branch or new
            self.add(
                "head",
                via,
                **{"from": before, "to": after if m else (self.branch or new)},
                reason=reason,
                old_sha=old,
                sha=new,
            )
            if reason.startswith("commit"):
                self.add(
                    "commit", via, ref=f"refs/heads/{self.branch}" if self.branch else "HEAD", sha=new, reason=reason
                )
            n += 1
        return n

    # ------------------------------------------------------------ writing
    def flush(self, *, force: bool = False) -> int:
        now = time.time()
        with self._lock:
            batch = self._records
            self._records = []
            if self._files and (force or (self._since is not None and now - self._since >= BATCH)):
                batch.append(
                    ("mutation", {"kind": "file", "paths": list(self._files), "actor": self._file_actor.to_json()})
                )
                self._files, self._since, self._file_actor = {}, None, UNKNOWN
        if batch:
            try:
                journal.append_many(self.paths, batch)
                self.written += len(batch)
            except OSError:
                with self._lock:  # the disk refused: keep them for the next tick
                    self._records[:0] = batch
        return len(batch)
