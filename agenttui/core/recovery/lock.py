"""One recovery operation at a time per repository, across processes.

Two agenttui processes dropping stashes at once lost stashes in 8 of 24 trials of the fault
battery: each resolved ``stash@{n}`` while the other shifted the list.  Every public recovery
operation takes ``<git-common-dir>/agenttui/recovery.lock`` (``flock``, released by the kernel if
the process dies, so a crash leaves no stale lock).  Re-entrant within a process (``clean_incident``
archives, deletes and drops under the one lock it took).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from agenttui.core.errors import AgentTuiError
from agenttui.core.git.models import RepoPaths

F = TypeVar("F", bound=Callable[..., Any])
WAIT = 15.0  # seconds to wait for another process's operation before giving up

_locks: dict[str, threading.RLock] = {}  # lock path -> the in-process lock (re-entrant per thread)
_fds: dict[str, tuple[int, int]] = {}  # lock path -> (fd holding the flock, depth)
_guard = threading.Lock()


class RecoveryBusy(AgentTuiError):
    """Another recovery operation holds the repository's lock."""


def _busy() -> RecoveryBusy:
    return RecoveryBusy(
        "another agenttui recovery operation is running on this repository: "
        "nothing was changed; try again when it is done"
    )


@contextlib.contextmanager
def recovery_lock(paths: RepoPaths, wait: float = WAIT) -> Iterator[None]:
    path = str(paths.agenttui_dir / "recovery.lock")
    with _guard:
        local = _locks.setdefault(path, threading.RLock())
    if not local.acquire(timeout=wait):  # another thread of this process
        raise _busy()
    try:
        if path in _fds:  # this thread holds it already: nested operation
            fd, depth = _fds[path]
            _fds[path] = (fd, depth + 1)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            deadline = time.monotonic() + wait
            while True:  # another process
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        os.close(fd)
                        raise _busy() from None
                    time.sleep(0.05)
            _fds[path] = (fd, 1)
        try:
            yield
        finally:
            fd, depth = _fds[path]
            if depth > 1:
                _fds[path] = (fd, depth - 1)
            else:
                del _fds[path]
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
    finally:
        local.release()


def locked(fn: F) -> F:
    """Run *fn(paths, ...)* under the repository's recovery lock."""

    @functools.wraps(fn)
    def wrapper(paths: RepoPaths, *args: Any, **kwargs: Any) -> Any:
        with recovery_lock(paths):
            return fn(paths, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
