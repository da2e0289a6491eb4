"""The one place agenttui runs git.

Every call goes through :func:`run` so that tests and benchmarks see exact argv, every read
runs with ``GIT_OPTIONAL_LOCKS=0`` plus ``--no-optional-locks`` (agenttui must never take
``index.lock`` or rewrite ``.git/index`` and so alert on itself), and every failure becomes a
one-line :class:`GitError`.  Commands are argv lists run by :mod:`subprocess`, never a shell.
(GitPython's ``Git.execute`` did the same for an import and a logging setup at start-up; GitPython
serves object reads instead: :mod:`.objects`, docs/ARCHITECTURE.md.)
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

from agenttui.core.errors import GitError, first_line  # noqa: F401  (first_line: for callers of git)

#: Environment for every git call agenttui makes.
BASE_ENV: dict[str, str] = {
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_PAGER": "cat",
    "GIT_EDITOR": "true",
}

#: Counter of git invocations (benchmarks and tests read it).
CALLS: list[list[str]] = []
_RECORD = os.environ.get("AGENTTUI_RECORD_GIT") == "1"


def run(
    cwd: str | os.PathLike[str],
    args: Sequence[str],
    *,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    strip: bool = False,
) -> tuple[int, str, str]:
    """Run ``git <args>`` in *cwd*; return (status, stdout, stderr).

    With ``check`` (the default) a non-zero exit raises :class:`GitError`.
    """
    full_env = {**os.environ, **BASE_ENV, **(env or {})}
    if _RECORD:
        CALLS.append(list(args))
    try:
        res = subprocess.run(
            ["git", "--no-optional-locks", *args],
            cwd=cwd,
            env=full_env,
            input=input.encode() if input is not None else None,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError as exc:
        if exc.filename == "git":  # git itself missing
            raise GitError(list(args), None, "cannot run git: not found on PATH") from None
        raise GitError(list(args), None, f"no such directory: {exc.filename or cwd}") from None
    except NotADirectoryError:
        raise GitError(list(args), None, f"not a directory: {cwd}") from None
    text = res.stdout.decode("utf-8", "replace")
    err = res.stderr.decode("utf-8", "replace")
    if strip:
        text = text.rstrip("\n")
    if check and res.returncode != 0:
        raise GitError(list(args), res.returncode, err)
    return res.returncode, text, err


def out(cwd: str | os.PathLike[str], *args: str, input: str | None = None) -> str:
    """stdout of a git call that must succeed."""
    return run(cwd, args, input=input)[1]


def ok(cwd: str | os.PathLike[str], *args: str) -> bool:
    """True when the git call exits 0."""
    return run(cwd, args, check=False)[0] == 0


def check_ref_format(refname: str) -> bool:
    """``git check-ref-format`` — the authority on what a valid ref name is (needs no repo)."""
    return ok("/", "check-ref-format", refname)  # (no --end-of-options here: callers pass refs/...)


def branch_name_problem(name: str) -> str | None:
    """Why *name* cannot be a branch, or None.  ``check-ref-format refs/heads/<x>`` alone accepts
    ``-M``, ``-b`` and ``-x/``: names that reach ``git branch`` or ``git worktree add`` as options
    (``branch = "-M"`` once renamed the main checkout's branch).  ``git branch`` itself refuses a
    leading ``-`` and ``HEAD``; so does agenttui."""
    if not name:
        return "is empty"
    if name.startswith("-"):
        return "starts with '-' (git would read it as an option)"
    if name == "HEAD":
        return "is HEAD"
    if any(c in name for c in "\n\r\t\0"):
        return "contains a control character"
    if not check_ref_format(f"refs/heads/{name}"):
        return "is not a valid branch name"
    return None
