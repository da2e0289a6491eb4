"""Files agenttui writes inside repositories (``<git-common-dir>/agenttui/``, salvage folders): never
through a symlink a repository or an agent planted there.  A whole file is written to a temporary
file created exclusively beside it and renamed over the name (a rename replaces a symlink, it does
not follow it); an appended file is opened with ``O_NOFOLLOW``."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def write_atomic(path: str | os.PathLike[str], data: str | bytes, mode: int = 0o644) -> None:
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
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
