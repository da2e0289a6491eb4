"""A raw inotify reader on its own thread, for the few folders where git takes its lock files.

watchfiles hands events over in batches (``debounce``/``step``): by the time a batch says
``HEAD.lock`` appeared, the ``git checkout`` that made it (a few milliseconds) has exited.  The
kernel itself reports the lock at once, so this thread reads inotify directly (``ctypes`` on libc, no
dependency) and calls *on_lock* at once, from this thread, while the git process still runs.
Linux only; elsewhere :func:`available` is False and actors come from the slower path.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import select
import struct
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

IN_MODIFY = 0x00000002
IN_CLOSE_WRITE = 0x00000008
IN_CREATE = 0x00000100
IN_MOVED_TO = 0x00000080
IN_CLOEXEC = 0o2000000
IN_NONBLOCK = 0o4000
_EVENT = struct.Struct("iIII")

_libc = None


def _lib() -> ctypes.CDLL | None:
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        try:
            _libc = ctypes.CDLL(name or "libc.so.6", use_errno=True)
            _libc.inotify_init1  # noqa: B018  (raises AttributeError where there is none)
        except (OSError, AttributeError):
            _libc = False  # type: ignore[assignment]
    return _libc or None


def available() -> bool:
    return _lib() is not None


class LockWatcher:
    """Calls *on_lock(name)* once per read when a file whose name ends with *suffix* appears (or,
    with another *mask*, changes) in *folders* (a :class:`FolderWatch` with that filter)."""

    def __init__(
        self,
        folders: Iterable[Path],
        on_lock: Callable[[str], object],
        *,
        mask: int = IN_CREATE | IN_MOVED_TO,
        suffix: bytes = b".lock",
    ) -> None:
        self.folders = [str(f) for f in folders if os.path.isdir(f)]
        self.on_lock = on_lock
        self.mask = mask
        self.suffix = suffix.decode()
        self.events = 0
        self._watch = FolderWatch(self._read, name="agenttui-locks")

    def _read(self, events: list[tuple[str, int, str]]) -> None:
        self.events += len(events)
        names = [name for _folder, _mask, name in events if name.endswith(self.suffix)]
        if names:
            self.on_lock(names[-1])  # one scan per read, at once, on this thread

    def start(self) -> bool:
        if not self._watch.start():
            return False
        for folder in self.folders:
            self._watch.add(folder, self.mask)
        return True

    def add(self, folder: Path) -> bool:
        """Watch one more folder (a worktree's admin folder that appeared since the start)."""
        if str(folder) in self.folders or not os.path.isdir(folder):
            return False
        self.folders.append(str(folder))
        return self._watch.add(str(folder), self.mask)

    def stop(self) -> None:
        self._watch.stop()


def journal_watcher(folder: Path, on_change: Callable[[str], object]) -> LockWatcher:
    """A watcher of agenttui's journal (``journal.jsonl`` appended to in *folder*): the hook events
    of agents show at once rather than at the next tick."""
    return LockWatcher([folder], on_change, mask=IN_MODIFY | IN_CREATE | IN_MOVED_TO, suffix=b"journal.jsonl")


IN_OPEN = 0x00000020
IN_MOVED_FROM = 0x00000040
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_IGNORED = 0x00008000


class FolderWatch:
    """Raw inotify over folders added and removed while it runs: *on_events* gets each read's
    events as ``(folder, mask, name)`` on this watcher's thread, at once."""

    def __init__(
        self, on_events: Callable[[list[tuple[str, int, str]]], object], *, name: str = "agenttui-folders"
    ) -> None:
        self.on_events = on_events
        self.name = name
        self._fd = -1
        self._stop_r, self._stop_w = -1, -1
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._folders: dict[int, str] = {}  # watch descriptor -> folder
        self._wds: dict[str, int] = {}

    def start(self) -> bool:
        lib = _lib()
        if lib is None or self._thread is not None:
            return False
        fd = lib.inotify_init1(IN_CLOEXEC | IN_NONBLOCK)
        if fd < 0:
            return False
        self._fd = fd
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return True

    def add(self, folder: str, mask: int) -> bool:
        lib = _lib()
        if lib is None or self._fd < 0:
            return False
        wd = lib.inotify_add_watch(self._fd, os.fsencode(folder), mask)
        if wd < 0:
            return False
        with self._lock:
            self._folders[wd], self._wds[folder] = folder, wd
        return True

    def remove(self, folder: str) -> None:
        lib = _lib()
        with self._lock:
            wd = self._wds.pop(folder, None)
            if wd is not None:
                self._folders.pop(wd, None)
        if lib is not None and wd is not None and self._fd >= 0:
            lib.inotify_rm_watch(self._fd, wd)

    @property
    def folders(self) -> list[str]:
        with self._lock:
            return list(self._wds)

    def stop(self) -> None:
        if self._thread is None:
            return
        os.write(self._stop_w, b"x")
        self._thread.join(timeout=2)
        self._thread = None
        for fd in (self._fd, self._stop_r, self._stop_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fd = -1

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        poller.register(self._stop_r, select.POLLIN)
        while True:
            ready = {fd for fd, _ in poller.poll()}
            if self._stop_r in ready:
                return
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                continue
            except OSError:
                return
            events: list[tuple[str, int, str]] = []
            i = 0
            with self._lock:
                while i + _EVENT.size <= len(data):
                    wd, mask, _cookie, length = _EVENT.unpack_from(data, i)
                    name = data[i + _EVENT.size : i + _EVENT.size + length].rstrip(b"\0")
                    i += _EVENT.size + length
                    folder = self._folders.get(wd)
                    if folder is None:
                        continue
                    if mask & IN_IGNORED:  # the folder is gone: its watch went with it
                        self._folders.pop(wd, None)
                        if self._wds.get(folder) == wd:
                            del self._wds[folder]
                    events.append((folder, mask, name.decode("utf-8", "surrogateescape")))
            if events:
                with contextlib.suppress(Exception):  # the reader must not die with a handler
                    self.on_events(events)
