"""The one reader of ``/proc``: raw reads of a process's files, no psutil.

The guard's hot paths (the actor finder scanning new pids, the worktree keeper judging processes,
the sampler's "works outside its worktree") read a few small files of processes that may exit at
any moment: every reader returns None (or an empty value) for a process that is gone instead of
raising.  :mod:`.procs` reads CPU and memory through :func:`stat` here (two small reads a process
with :func:`rss_pages`; psutil's were most of a sample of 32 idle agents) and through psutil where there is no /proc.
"""

from __future__ import annotations

import os

PROC = "/proc"


def read(pid: int | str, name: str) -> bytes | None:
    """The bytes of ``/proc/<pid>/<name>`` (*pid* may be ``"self"``); None if unreadable."""
    return read_path(f"{PROC}/{pid}/{name}")


def read_path(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


class Stat:
    """The fields of ``/proc/<pid>/stat`` the sampler uses (proc(5))."""

    __slots__ = ("state", "cpu_ticks", "start_ticks")

    def __init__(self, state: str, cpu_ticks: int, start_ticks: int) -> None:
        self.state = state  # R running, S sleeping, D disk sleep, Z zombie, T stopped, ...
        self.cpu_ticks = cpu_ticks  # utime + stime, in clock ticks
        self.start_ticks = start_ticks  # when it started, in clock ticks after boot


def stat(pid: int) -> Stat | None:
    """``/proc/<pid>/stat`` parsed; None for a process that is gone (or a file not as proc(5) says)."""
    f = _stat_fields(pid)
    try:
        return Stat(f[0].decode("ascii", "replace"), int(f[11]) + int(f[12]), int(f[19])) if f else None
    except (ValueError, IndexError):
        return None


def _stat_fields(pid: int) -> list[bytes] | None:
    """The fields of ``/proc/<pid>/stat`` from the third (state) on: counted after the command
    name's last ``)``, since the name may hold spaces and parentheses."""
    raw = read(pid, "stat")
    end = raw.rfind(b")") if raw else -1
    return raw[end + 2 :].split() if raw and end >= 0 else None


def rss_pages(pid: int) -> int | None:
    """Resident pages from ``/proc/<pid>/statm`` (what psutil reports; the count in ``stat`` lags)."""
    raw = read(pid, "statm")
    try:
        return int(raw.split()[1]) if raw else None
    except (ValueError, IndexError):
        return None


def exists(pid: int) -> bool:
    return os.path.exists(f"{PROC}/{pid}")


def ppid(pid: int) -> int | None:
    f = _stat_fields(pid)
    try:
        return int(f[1]) if f else None
    except (ValueError, IndexError):
        return None


def cwd(pid: int) -> str | None:
    try:
        return os.readlink(f"{PROC}/{pid}/cwd")
    except OSError:
        return None


def comm_bytes(pid: int) -> bytes:
    """The process's short name as the kernel keeps it (``b""`` when gone)."""
    return (read(pid, "comm") or b"").strip()


def comm(pid: int, default: str = "?") -> str:
    return comm_bytes(pid).decode("utf-8", "replace") or default


def cmdline(pid: int, errors: str = "replace") -> tuple[str, ...]:
    raw = read(pid, "cmdline") or b""
    return tuple(a.decode("utf-8", errors) for a in raw.split(b"\0") if a)


def environ_value(pid: int, key: str) -> str | None:
    """One variable of the process's environment as it started (None: unset, empty, unreadable)."""
    want = key.encode() + b"="
    for item in (read(pid, "environ") or b"").split(b"\0"):
        if item.startswith(want):
            return item[len(want) :].decode("utf-8", "replace") or None
    return None


def children(pid: int) -> list[int] | None:
    """The pid's children from ``/proc/PID/task/*/children``; None when the kernel does not offer it."""
    kids: list[int] = []
    try:
        tasks = list(os.scandir(f"{PROC}/{pid}/task"))
    except OSError:
        return []
    for task in tasks:
        raw = read_path(os.path.join(task.path, "children"))
        if raw is None:
            continue
        kids.extend(int(x) for x in raw.split())
    return kids


def last_pid() -> int | None:
    """The most recently allocated pid (the last field of ``/proc/loadavg``)."""
    raw = read_path(f"{PROC}/loadavg")
    try:
        return int(raw.split()[-1]) if raw else None
    except ValueError:
        return None


def pid_max() -> int:
    raw = read_path(f"{PROC}/sys/kernel/pid_max")
    return int(raw) if raw and raw.strip().isdigit() else 32768
