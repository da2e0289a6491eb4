"""What a shell command's text writes, and where it runs what may write unseen (stdlib only).

Read through :mod:`.shellparse` (as sh reads it), for the tool-call guard (:mod:`.toolguard`):
redirections, ``tee``, the writing programs' path arguments (``cp``/``install``/``ln``/``rsync``
their destination, ``mv`` its sources too, ``rm``/``touch``/``mkdir``/``chmod``/… all), ``sed -i``,
``dd of=``, ``find -delete``; programs that may write what the text does not say, with the folder
they run in (a mutating git: where ``-C`` takes it); ``git worktree add``; and, in the words of
programs that run code (``python -c``), the shapes a string can show (``'-C', '/repo'``, ``> f``).
"""

from __future__ import annotations

import os
import re
from functools import cache

TYPE_CHECKING = False  # (typing.TYPE_CHECKING: importing typing costs every hook call: docs/MEASURED.md)
if TYPE_CHECKING:
    from agenttui.base.shellparse import Simple


@cache
def compiled(pattern: str) -> re.Pattern[str]:
    """A pattern compiled when first needed (the hooks' one cache: an Agent dispatch's hook never
    needs these, and compiling them all at import would cost it)."""
    return re.compile(pattern)


_PATHISH = r"""(?:'[^']*'|"[^"]*"|[^\s;|&<>()'"]+)"""
_TARGETS = (
    r"\bcd\s+(" + _PATHISH + ")",
    r"(?<![0-9&])>>?\s*(" + _PATHISH + ")",
    r"\btee\s+(?:-a\s+)?(" + _PATHISH + ")",
    r"\bgit\s+(?:-C|--git-dir(?:=|\s+)|--work-tree(?:=|\s+))\s*(" + _PATHISH + ")",
    r"""['"]-C['"]\s*,\s*(""" + _PATHISH + ")",  # subprocess.run(["git", "-C", "/x", ...])
)


def _unquote(p: str) -> str:
    return p[1:-1] if len(p) >= 2 and p[0] == p[-1] and p[0] in "'\"" else p


def adds_worktree(cmds: list[Simple]) -> bool:
    """Whether a shell command's simple commands run ``git worktree add`` (an agent isolating
    itself by hand)."""
    for c in cmds:
        run = c.run
        if run and os.path.basename(run[0]) == "git":
            rest = run[1:]
            i = git_verb_at(rest)
            after = [w for w in rest[i + 1 :] if not w.startswith("-")] if i >= 0 else []
            if i >= 0 and rest[i] == "worktree" and after[:1] == ["add"]:
                return True
    return False


def command_targets(cmds: list[Simple]) -> tuple[list[str], list[str]]:
    """Absolute paths a command's text changes, moves, deletes or goes into: what its simple
    commands say (:mod:`.shellparse`: redirections, ``cd``, ``tee``, ``cp``/``mv``/``rm``/``touch``/
    ``mkdir``/…, ``sed -i``, ``git -C`` / ``worktree add``), and what quoted code inside it shows
    (``python -c`` with ``git -C``, a redirection in a string); and apart, the folders where it runs
    programs that may write what the text does not say (``cd <main> && make``).  *cmds*: the
    command's :func:`.shellparse.commands`, each with the folder it runs in."""
    found, runs = [], []
    for c in cmds:
        run = c.run
        found += [(w, c.cwd) for w in [*c.writes, *_written(run)]]
        if run and not _reads_only(run):  # what it may write unseen, it writes where it runs
            runs += _git_places(run[1:], c.cwd) if os.path.basename(run[0]) == "git" else [c.cwd]
        if run and os.path.basename(run[0]) not in READ_ONLY_PROGRAMS:  # code in its words (python -c …)
            for word in run[1:]:
                found += [(_unquote(m.group(1)), c.cwd) for rx in _TARGETS for m in compiled(rx).finditer(word)]
    out = []
    for raw, where in found:
        if not raw or raw.startswith(("$", "/dev/", "&")) or raw in ("-", "~"):
            continue
        path = os.path.expanduser(raw)
        out.append(os.path.normpath(path if os.path.isabs(path) else os.path.join(where, path)))
    return list(dict.fromkeys(out)), list(dict.fromkeys(runs))


# programs that write the paths among their arguments: which of them (all / the last / all but the first)
_WRITERS = {
    "rm": "all",
    "rmdir": "all",
    "unlink": "all",
    "shred": "all",
    "touch": "all",
    "mkdir": "all",
    "truncate": "all",
    "mv": "all",
    "tee": "all",
    "mkfifo": "all",
    "cp": "last",
    "install": "last",
    "ln": "last",
    "rsync": "last",
    "scp": "last",
    "chmod": "rest",
    "chown": "rest",
    "chgrp": "rest",
}


_GIT_VALUED = ("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env")


def git_verb_at(args: list[str]) -> int:
    """Where git's subcommand stands among its arguments (``-C x -c k=v log`` -> 4); -1: none."""
    i = 0
    while i < len(args):
        if args[i] in _GIT_VALUED:
            i += 2
        elif args[i].startswith("-"):
            i += 1
        else:
            return i
    return -1


def git_verb(args: list[str]) -> str:
    """git's subcommand among its arguments (``-C x -c k=v log`` -> ``log``); "" when none."""
    i = git_verb_at(args)
    return args[i] if i >= 0 else ""


def _git_places(args: list[str], cwd: str) -> list[str]:
    """Where a git command works: its cwd, moved by each ``-C``; ``--git-dir`` / ``--work-tree`` too."""
    out = []
    for i, a in enumerate(args):
        val = args[i + 1] if i + 1 < len(args) else ""
        if a == "-C" and val:
            cwd = os.path.normpath(os.path.join(cwd, os.path.expanduser(val)))
        elif a in ("--git-dir", "--work-tree") and val:
            out.append(os.path.join(cwd, val))
        elif a.startswith(("--git-dir=", "--work-tree=")):
            out.append(os.path.join(cwd, a.split("=", 1)[1]))
        elif not a.startswith("-") and (i == 0 or args[i - 1] not in _GIT_VALUED):
            break
    return [cwd, *out]


def _written(words: list[str]) -> list[str]:
    """The paths among a simple command's words that it writes (its redirections aside)."""
    if not words:
        return []
    prog = os.path.basename(words[0])
    args = words[1:]
    if prog == "sed":
        return (
            [a for a in args if not a.startswith("-")]
            if any(a.startswith("-i") or a == "--in-place" for a in args)
            else []
        )
    if prog == "dd":
        return [a[3:] for a in args if a.startswith("of=")]
    if prog == "find":
        return [a for a in args if not a.startswith("-")][:1] if {"-delete", "-exec", "-execdir"} & set(args) else []
    which = _WRITERS.get(prog)
    if which is None:
        return []
    for i, a in enumerate(args):
        if a in ("-t", "--target-directory") and i + 1 < len(args):
            return [args[i + 1]]
        if a.startswith("--target-directory="):
            return [a.split("=", 1)[1]]
    cut = args.index("--") if "--" in args else len(args)  # after "--" every word is a path
    paths = [a for a in args[:cut] if not a.startswith("-")] + args[cut + 1 :]
    if which == "last":
        return paths[-1:]
    return paths[1:] if which == "rest" else paths


READ_ONLY_PROGRAMS = frozenset(
    {
        "ls",
        "cat",
        "head",
        "tail",
        "grep",
        "egrep",
        "fgrep",
        "rg",
        "ag",
        "wc",
        "echo",
        "printf",
        "pwd",
        "true",
        "sort",
        "uniq",
        "cut",
        "tr",
        "which",
        "type",
        "file",
        "stat",
        "du",
        "df",
        "tree",
        "jq",
        "diff",
        "cmp",
        "basename",
        "dirname",
        "realpath",
        "readlink",
        "date",
        "env",
        "id",
        "whoami",
        "uname",
        "less",
        "more",
        "nl",
        "column",
        "fd",
        "test",
        "[",
        "sleep",
        "md5sum",
        "sha1sum",
        "sha256sum",
        "cd",
    }
)
READ_ONLY_GIT = frozenset(
    {
        "status",
        "log",
        "diff",
        "show",
        "rev-parse",
        "ls-files",
        "blame",
        "grep",
        "describe",
        "rev-list",
        "cat-file",
        "ls-tree",
        "show-ref",
        "for-each-ref",
        "merge-base",
        "shortlog",
        "reflog",
        "version",
        "help",
    }
)


def read_only(command: str, cmds: list[Simple] | None = None, *, redirects: bool = True) -> bool:
    """Whether every simple command of *command* only reads (programs that cannot write, git's
    reading verbs, ``find`` / ``sed`` without their writing options) and redirects into nothing
    but ``/dev/null`` (``redirects=False``: its redirections are judged elsewhere, as targets).
    *cmds*: its :func:`.shellparse.commands` when already read.  Unsure: False."""
    if not command.strip() or re.search(r"[`$]\(|`|<\(", command):
        return False  # command substitution: anything may run
    if cmds is None:
        from agenttui.base.shellparse import commands

        cmds = commands(command, os.sep)
    for c in cmds:
        if redirects and any(w not in ("/dev/null", "/dev/stdout", "/dev/stderr") for w in c.writes):
            return False
        if c.words and not _reads_only(c.run):
            return False
    return True


def _reads_only(words: list[str]) -> bool:
    """Whether one simple command (wrappers off) only reads; an empty one (``timeout 5``) too."""
    if not words:
        return True
    prog = os.path.basename(words[0])
    if prog == "git":
        return git_verb(words[1:]) in READ_ONLY_GIT
    if prog == "find":
        return not {"-delete", "-exec", "-execdir", "-ok", "-fprint"} & set(words)
    if prog == "sed":
        return not any(w.startswith("-i") or w == "--in-place" for w in words)
    return prog in READ_ONLY_PROGRAMS


__all__ = [
    "READ_ONLY_GIT",
    "READ_ONLY_PROGRAMS",
    "adds_worktree",
    "command_targets",
    "compiled",
    "git_verb",
    "git_verb_at",
    "read_only",
]
