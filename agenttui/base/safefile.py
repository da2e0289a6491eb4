"""Files agenttui writes inside repositories (``<git-common-dir>/agenttui/``, salvage folders): never
through a symlink a repository or an agent planted there.  A whole file is written to a temporary
file created exclusively beside it and renamed over the name (a rename replaces a symlink, it does
not follow it); an appended file is opened with ``O_NOFOLLOW``."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

TYPE_CHECKING = False  # (the hooks import this module: typing and tempfile cost them milliseconds)
if TYPE_CHECKING:
    from typing import Any

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def write_atomic(path: str | os.PathLike[str], data: str | bytes, mode: int = 0o644, suffix: str = ".tmp") -> None:
    """*data* into *path* by an atomic rename of a temporary file created exclusively beside it."""
    import tempfile

    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=suffix, dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def open_append(path: str | os.PathLike[str], mode: int = 0o644) -> int:
    """A file descriptor to append to *path* (created if missing), refused when *path* is a symlink."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | NOFOLLOW, mode)


def append_json_lines(path: str | os.PathLike[str], records: list[dict[str, Any]], *, sync: bool = False) -> None:
    """Append *records* to a JSON-lines file in one write (a concurrent writer's line never lands
    inside one of ours: ``O_APPEND``), never through a symlink; *sync*: fsync before returning.
    The one writer of agenttui's journal: core's :mod:`agenttui.core.journal` and the hooks."""
    if not records:
        return
    text = "".join(json.dumps(r, default=str, ensure_ascii=False) + "\n" for r in records)
    fd = open_append(path)
    try:
        os.write(fd, text.encode("utf-8", "surrogateescape"))
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
