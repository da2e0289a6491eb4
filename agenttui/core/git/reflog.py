"""Reflogs: every entry of every ref's log (HEADs of all worktrees, branches, the stash), read as
files with the files backend and through ``git log -g`` with reftable; and a tail of one log for
readers that follow it as it grows (the ledger)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agenttui.core.git import cmd as gitcmd
from agenttui.core.git import repo as gitrepo
from agenttui.core.git.models import RepoPaths


@dataclass(frozen=True)
class ReflogEntry:
    ref: str  # "HEAD" (the main checkout), "worktrees/<id>/HEAD", "refs/heads/x", "refs/stash"
    time: int  # whole seconds, as git keeps them
    seq: int  # position in this ref's log, oldest 0
    old: str | None  # the value before (None: the ref's first entry)
    new: str
    message: str

    @property
    def kind(self) -> str:
        m = self.message
        if self.ref == "refs/stash":
            return "stash-push"
        for prefix, kind in (
            ("checkout:", "checkout"),
            ("commit", "commit"),
            ("reset:", "reset"),
            ("branch: Created", "branch-create"),
            ("branch:", "branch-reset"),
            ("merge", "merge"),
            ("rebase", "rebase"),
            ("pull", "pull"),
            ("cherry-pick", "cherry-pick"),
            ("revert", "revert"),
            ("am:", "am"),
        ):
            if m.startswith(prefix):
                return kind
        return "worktree-add" if not m and self.ref.endswith("/HEAD") else "other"

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "time": self.time,
            "old_sha": self.old,
            "sha": self.new,
            "message": self.message,
            "kind": self.kind,
        }


def reflog_entries(paths: RepoPaths) -> list[ReflogEntry]:
    """Every reflog entry of the repository (HEADs of all worktrees, branches, the stash), oldest first
    within each ref.  With the files backend the logs are read as files (git's documented format
    ``<old> <new> <ident> <time> <tz>\\t<message>``): many times faster than ``git log -g --all``,
    which parses every commit named (docs/MEASURED.md, "reflogs"); with reftable, git reads them."""
    if gitrepo.ref_format(paths) == "files":
        return sorted(_read_log_files(paths), key=lambda e: (e.time, e.ref, e.seq))
    _, text, _ = gitcmd.run(
        paths.toplevel or paths.common_dir,
        ["log", "-g", "--all", "--date=unix", "--format=%gD%x00%H%x00%gs%x1e", "--"],
        check=False,
    )
    per: dict[str, list[tuple[int, str, str]]] = {}
    for rec in text.split("\x1e"):
        rec = rec.strip("\n")
        if not rec:
            continue
        sel, _, rest = rec.partition("\0")
        sha, _, message = rest.partition("\0")
        ref, _, stamp = sel.rpartition("@{")
        stamp = stamp.rstrip("}")
        if not stamp.isdigit():
            continue
        per.setdefault(ref, []).append((int(stamp), sha, message))
    out: list[ReflogEntry] = []
    for ref, items in per.items():
        items.reverse()  # newest first from git: oldest first here
        prev: str | None = None
        for i, (t, sha, message) in enumerate(items):
            out.append(ReflogEntry(ref, t, i, prev, sha, message))
            prev = sha
    return sorted(out, key=lambda e: (e.time, e.ref, e.seq))


_NULL = re.compile(r"^0+$")


def parse_line(line: str) -> tuple[str | None, str, int, str] | None:
    """One line of a reflog file (``<old> <new> <ident> <time> <tz>\\t<message>``, git's documented
    format) as (old or None for the ref's first entry, new, time, message); None if it is not one."""
    head, _tab, message = line.partition("\t")
    parts = head.split(" ")
    if len(parts) < 5 or not parts[-2].isdigit():
        return None
    old, new = parts[0], parts[1]
    return (None if _NULL.match(old) else old), new, int(parts[-2]), message.split("\n", 1)[0]


def _parse_log(ref: str, path: str) -> list[ReflogEntry]:
    try:
        with open(path, "rb") as fh:
            data = fh.read().decode("utf-8", "replace")
    except OSError:
        return []
    out: list[ReflogEntry] = []
    for line in data.split("\n"):
        got = parse_line(line)
        if got is not None:
            old, new, t, message = got
            out.append(ReflogEntry(ref, t, len(out), old, new, message))
    return out


class Tail:
    """New entries of one reflog file as they are appended (the ledger follows the main checkout's
    HEAD this way): :meth:`read` returns the complete lines written since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = self._size()

    def _size(self) -> int:
        try:
            return os.stat(self.path).st_size
        except OSError:
            return 0

    def read(self) -> list[tuple[str | None, str, int, str]]:
        size = self._size()
        if size < self.offset:  # rewritten (reflog expire): start again from here
            self.offset = size
            return []
        if size == self.offset:
            return []
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read(size - self.offset)
        except OSError:
            return []
        cut = data.rfind(b"\n") + 1
        self.offset += cut
        return [
            got for line in data[:cut].decode("utf-8", "replace").splitlines() if (got := parse_line(line)) is not None
        ]


def _read_log_files(paths: RepoPaths) -> list[ReflogEntry]:
    common = str(paths.common_dir)
    out: list[ReflogEntry] = []
    logs = os.path.join(common, "logs")
    out += _parse_log("HEAD", os.path.join(logs, "HEAD"))
    for dirpath, _dirs, files in os.walk(os.path.join(logs, "refs")):
        for name in files:
            full = os.path.join(dirpath, name)
            ref = os.path.relpath(full, logs).replace(os.sep, "/")
            if ref.startswith(("refs/heads/", "refs/stash")):
                out += _parse_log(ref, full)
    try:
        ids = os.listdir(os.path.join(common, "worktrees"))
    except OSError:
        ids = []
    for wid in ids:
        out += _parse_log(f"worktrees/{wid}/HEAD", os.path.join(common, "worktrees", wid, "logs", "HEAD"))
    return out


def ref_history(entries: list[ReflogEntry]) -> dict[str, list[tuple[float, str]]]:
    """Each local branch's reflog as (time, sha), newest first."""
    out: dict[str, list[tuple[float, str]]] = {}
    for e in sorted(entries, key=lambda e: (e.ref, -e.seq)):
        if e.ref.startswith("refs/heads/"):
            out.setdefault(e.ref.removeprefix("refs/heads/"), []).append((float(e.time), e.new))
    return out
