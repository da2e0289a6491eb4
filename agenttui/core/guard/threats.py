"""Who threatens an agent's worktree: one process judged from ``/proc`` (for :mod:`.sentinel`).

A **threat** is a process that deletes or moves the worktree or a folder above it (``rm``,
``mv``, ``find -delete``, ``rsync --delete``, ``git worktree remove|move`` — also spelled out in a
shell's ``-c`` string, since the shell outlives a quick ``rm``), prunes worktrees, runs a mutating
git command inside the worktree, or names the agent's branch in one — and is not the agent's own:
neither a descendant of the pid agenttui launched for it nor started from a shell whose cwd is
inside the worktree (the agent's own tool calls run there).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol

from agenttui.base import cmdtext, shellparse
from agenttui.core.guard.actors import Actor, describe_process
from agenttui.core.host import proc


class GuardedWorktree(Protocol):
    name: str
    root: str
    branch: str | None


def inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


READ_ONLY = frozenset(
    {
        "status",
        "diff",
        "log",
        "show",
        "rev-parse",
        "ls-files",
        "cat-file",
        "for-each-ref",
        "rev-list",
        "blame",
        "grep",
        "describe",
        "name-rev",
        "ls-tree",
        "show-ref",
        "config",
        "fetch",
        "help",
        "version",
        "var",
        "check-ignore",
        "merge-base",
        "shortlog",
        "whatchanged",
        "diff-index",
        "diff-files",
        "diff-tree",
        "count-objects",
        "fsck",
        "symbolic-ref",
        "reflog",
        "worktree-list",
        "remote",
        "ls-remote",
        "archive",
    }
)
DELETERS = frozenset({b"rm", b"rmdir", b"mv", b"unlink", b"shred", b"trash-put", b"gio"})


def deletes(comm: str, args: Sequence[str]) -> bool:
    return (
        comm.encode() in DELETERS
        or (comm == "find" and "-delete" in args)
        or (comm == "rsync" and any(x.startswith("--delete") for x in args))
    )


def shell_commands(text: str, cwd: str) -> list[tuple[list[str], str]]:
    """The simple commands of a shell string with the cwd each runs in (the one reader of shell
    text, :func:`agenttui.base.shellparse.commands`: ``cd`` followed, ``eval`` and ``sh -c``
    opened, quotes, here-documents and ``#`` read as sh reads them, wrappers such as ``timeout``
    taken off)."""
    return [(c.run, c.cwd) for c in shellparse.commands(text, cwd) if c.run]


def git_cwd(args: Sequence[str], cwd: str) -> str:
    """Where a git command line works: ``-C`` changes the cwd (each one relative to the last)."""
    for i, a in enumerate(args[:-1]):
        if a == "-C":
            cwd = os.path.normpath(os.path.join(cwd, args[i + 1]))
    return cwd


def git_verb(cmdline: tuple[str, ...]) -> str | None:
    """The git subcommand of a git command line (``git -C x -c k=v stash pop`` -> ``stash``;
    ``worktree list`` as one, ``worktree-list``: it reads)."""
    rest = list(cmdline[1:])
    i = cmdtext.git_verb_at(rest)
    if i < 0:
        return None
    return "worktree-list" if rest[i] == "worktree" and rest[i + 1 : i + 2] == ["list"] else rest[i]


def threat(args: Sequence[str], cwd: str, a: GuardedWorktree) -> str | None:
    """What one command (argv, cwd) does to agent *a*'s worktree, when it threatens it."""
    if not args:
        return None
    name = os.path.basename(args[0])
    is_git = name == "git"
    verb = git_verb(tuple(args)) if is_git else None
    named = [x for x in args[1:] if not x.startswith("-")]
    if deletes(name, args) or (is_git and verb == "worktree" and bool({"remove", "move"} & set(args))):
        where = git_cwd(args, cwd) if is_git else cwd
        for x in named:
            if inside(a.root, os.path.normpath(os.path.join(where, x))):  # it, or a folder above it
                return (
                    f"`git worktree {'remove' if 'remove' in args else 'move'}` on it"
                    if is_git
                    else f"`{name}` deleting or moving it"
                )
    if not is_git or verb in READ_ONLY or verb is None:
        return None
    if (
        verb == "worktree"
        and "add" in args
        and any(os.path.normpath(os.path.join(git_cwd(args, cwd), x)) == a.root for x in named)
    ):
        return None  # the worktree being made: its birth, not a threat (a second one on its branch is)
    if verb == "worktree" and "prune" in args:
        return "git worktree prune"
    if inside(git_cwd(args, cwd), a.root):
        return f"git {verb} in it"
    if a.branch and (a.branch in named or f"refs/heads/{a.branch}" in named):
        return f"git {verb} on its branch {a.branch}"
    return None


def judge(
    pid: int, agents: Sequence[GuardedWorktree], launched: dict[int, str], own: int
) -> list[tuple[Any, Actor, str]] | None:
    """What process *pid* does to which of *agents*' worktrees: ``(agent, actor, what)`` for each
    it threatens and is not the agent's own; [] for none; None when it cannot be read yet.
    A shell is judged by its ``-c`` string too: it outlives the quick ``rm`` or ``git`` it runs."""
    args = proc.cmdline(pid, errors="surrogateescape")
    if not args:
        return None
    cwd = proc.cwd(pid)
    if cwd is None:
        return None
    comm = proc.comm_bytes(pid)
    if comm == b"git" and proc.ppid(pid) == own:
        return []  # agenttui's own git calls (its snapshots, its reads)
    name = comm.decode("utf-8", "surrogateescape")
    script = shellparse.shell_script(list(args)) if name in shellparse.SHELLS else None
    shell = script is not None
    # (a git's cwd is already where -C took it: judged from its parent's view it is the same)
    commands = shell_commands(script, cwd) if script is not None else [(shellparse.unwrap(list(args)), cwd)]
    hits: list[tuple[Any, Actor, str]] = []
    for a in agents:
        what = next((w for c, d in commands if (w := threat(c, d, a))), None)
        if what is None or is_agents_own(pid, a, launched, shell=shell):
            continue
        hits.append((a, describe_process(pid, launched, seen=(args, cwd)), what))
    return hits


def is_agents_own(pid: int, a: GuardedWorktree, launched: dict[int, str], *, shell: bool = False) -> bool:
    """A descendant of the pid launched for the agent, or run from a shell inside its worktree
    (the process's own cwd counts for a shell, not for git: ``-C`` moved that one)."""
    p: int | None = pid
    first = not shell
    for _ in range(64):
        if not p or p <= 1:
            return False
        if launched.get(p) == a.name:
            return True
        if not first:
            here = proc.cwd(p)
            if here is not None and inside(here, a.root):
                return True
        first = False
        p = proc.ppid(p)
    return False
