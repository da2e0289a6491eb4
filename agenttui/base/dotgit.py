"""Where a checkout's git lives, read from disk as git finds it: ``.git`` folders and files,
``commondir``, and the marker files the guard leaves for the hooks.

Stdlib only, no ``subprocess`` on the hot path: the tool-call hooks run this on every call (a
``git rev-parse`` and its import cost each: docs/MEASURED.md), and core reads ``.git`` through the
same functions (the actor finder, the worktree keeper, the sampler).
"""

from __future__ import annotations

import os
import re
import zlib


def escape_marker(common: str, worktree: str) -> str:
    """Where the guard leaves word that the agent of *worktree* changed the main checkout from a
    script (``<common>/agenttui/escaped/<key>.json``): its shell tools are refused from then on."""
    path = os.path.normpath(worktree)
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", os.path.basename(path))[:60]
    key = f"{readable}-{zlib.crc32(path.encode('utf-8', 'surrogateescape')):08x}"  # (hashlib: 4 ms to import)
    return os.path.join(common, "agenttui", "escaped", key + ".json")


def git_line(cwd: str, *args: str) -> str | None:
    import subprocess  # (only here: the hot path finds the repository without running git)

    try:
        res = subprocess.run(
            ["git", "--no-optional-locks", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=3,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            return fh.read(4096).strip()
    except OSError:
        return None


def dot_git(folder: str) -> tuple[str, str] | None:
    """What ``<folder>/.git`` is: ``("dir", git dir)`` for a repository's own, ``("file", gitdir)``
    for a linked worktree (or submodule) pointing elsewhere, ``("odd", "")`` for a ``.git`` file git
    would not read; None when there is none.  (The one reader of ``.git`` files: the hooks, the
    actor finder and the sentinel.)"""
    dot = os.path.join(folder, ".git")
    if os.path.isdir(dot):
        return "dir", dot
    if not os.path.isfile(dot):
        return None
    text = read_text(dot) or ""
    if not text.startswith("gitdir:"):
        return "odd", ""
    return "file", os.path.normpath(os.path.join(folder, text[7:].strip()))


def common_of(gitdir: str) -> str:
    """The common git dir of a worktree's *gitdir* (its ``commondir`` file), or *gitdir* itself."""
    common = read_text(os.path.join(gitdir, "commondir"))
    return os.path.normpath(os.path.join(gitdir, common)) if common else gitdir


def repo_dirs(cwd: str) -> tuple[str, str] | None:
    """(the checkout *cwd* is in, the repository's common git dir), read from disk as git finds them:
    the nearest ``.git`` folder above, or ``.git`` file -> its gitdir -> ``commondir``.  Asks git
    itself when the environment points elsewhere (``GIT_DIR``) or the layout is unusual; None: not
    in a repository.  (A ``git rev-parse`` per hook call, and its ``subprocess`` import, cost more than
    the rest of the hook: docs/MEASURED.md.)"""
    if os.environ.get("GIT_DIR") or os.environ.get("GIT_WORK_TREE") or os.environ.get("GIT_COMMON_DIR"):
        return _git_dirs(cwd)
    d = os.path.abspath(cwd)
    while True:
        found = dot_git(d)
        if found is not None:
            kind, gitdir = found
            if kind == "dir":
                return (d, gitdir) if os.path.isfile(os.path.join(gitdir, "HEAD")) else _git_dirs(cwd)
            if kind == "odd":
                return _git_dirs(cwd)
            return d, common_of(gitdir)
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _git_dirs(cwd: str) -> tuple[str, str] | None:
    top = git_line(cwd, "rev-parse", "--show-toplevel")
    common = git_line(cwd, "rev-parse", "--path-format=absolute", "--git-common-dir")
    return (top, common) if top and common else None
