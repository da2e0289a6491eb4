"""A shell command's text split the way ``sh`` reads it, closely enough to judge it (stdlib only).

One reader for both judges of command text: the tool-call guard (:mod:`.toolguard`: what a Bash
call writes, whether it only reads) and the threat judge (``agenttui.core.guard.threats``: whether a
shell's ``-c`` string deletes an agent's worktree).  It follows what decides those answers and
errs on the side of seeing a command where ``sh`` might not:

* quotes group words (``grep -E 'a|b'`` is one command); separators are ``; && || | & ( )`` and
  newlines; ``$( … )`` and backticks are opened as commands of their own;
* ``#`` is not read as a comment (``ls a#b; rm -rf x`` runs ``rm`` — a comment reader would have
  dropped it), so text after a real comment may be read as commands too: more caution, never less;
* redirections are kept apart from the words, with their targets (``>``, ``>>``, ``>|``, ``&>``,
  ``&>>``, ``2>``; ``2>&1`` and ``<`` read nothing of interest);
* here-documents' bodies are text, not commands;
* ``cd`` is followed (each command knows the folder it runs in); ``VAR=value`` prefixes dropped;
  ``eval '…'`` and ``sh -c '…'`` / ``bash -lc '…'`` opened up, as Claude Code's Bash tool wraps
  commands.
"""

from __future__ import annotations

import os
import re
import shlex

SEPARATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "(", ")", "\n", "|&", ";&", ";;&"})
WRITE_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", ">>|"})
OTHER_REDIRECTS = frozenset({"<", "<<", "<<<", "<<-", ">&", "<&", "<>", "&>&"})
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "busybox"})
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
_PUNCT = "();<>|&\n"
_OPERATORS = SEPARATORS | WRITE_REDIRECTS | OTHER_REDIRECTS
_LONGEST_FIRST = sorted(_OPERATORS, key=len, reverse=True)


class Simple:
    """One simple command: its words (the program first), the folder it runs in, and the files
    its redirections write (as written, relative to *cwd*)."""

    __slots__ = ("words", "cwd", "writes")

    def __init__(self, words: list[str], cwd: str, writes: list[str]) -> None:
        self.words, self.cwd, self.writes = words, cwd, writes

    @property
    def program(self) -> str:
        return os.path.basename(self.words[0]) if self.words else ""

    @property
    def run(self) -> list[str]:
        """The words of the command that runs in the end: wrappers taken off (``timeout 5 rm x``,
        ``env A=1 nice -n 5 rm x``, ``sudo -u u rm x``, ``xargs rm`` -> ``rm x`` / ``rm``)."""
        return unwrap(self.words)

    def __repr__(self) -> str:
        return f"Simple({self.words!r}, cwd={self.cwd!r}, writes={self.writes!r})"


# wrappers that run the command after their own options (and, for some, one value)
_WRAPPERS = {
    "env": 0,
    "nice": 0,
    "nohup": 0,
    "time": 0,
    "timeout": 1,
    "sudo": 0,
    "doas": 0,
    "stdbuf": 0,
    "ionice": 0,
    "command": 0,
    "exec": 0,
    "builtin": 0,
    "xargs": 0,
    "chrt": 1,
    "taskset": 1,
    "setsid": 0,
    "unbuffer": 0,
    "watch": 0,
    "flock": 1,
    "caffeinate": 0,
}
_VALUED = {
    "nice": {"-n"},
    "sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"},
    "xargs": {"-I", "-n", "-P", "-L", "-d", "-a", "-E", "-s"},
    "timeout": {"-s", "-k", "--signal", "--kill-after"},
    "ionice": {"-c", "-n", "-p"},
    "stdbuf": {"-i", "-o", "-e"},
    "env": {"-u", "-C", "-S"},
    "watch": {"-n", "-d"},
    "flock": {"-w", "-E"},
}


def unwrap(words: list[str]) -> list[str]:
    """*words* without the wrapper programs in front (see :attr:`Simple.run`)."""
    for _ in range(8):
        prog = os.path.basename(words[0]) if words else ""
        if prog not in _WRAPPERS:
            return words
        i, valued = 1, _VALUED.get(prog, set())
        while i < len(words) and (words[i].startswith("-") or (prog == "env" and "=" in words[i])):
            i += 2 if words[i] in valued else 1
        i += _WRAPPERS[prog]  # timeout's duration, flock's file, …
        words = words[i:]
    return words


def strip_heredocs(text: str) -> str:
    """*text* without the bodies of its here-documents (``cat > f <<'EOF'`` … ``EOF``)."""
    if "<<" not in text:
        return text
    out: list[str] = []
    ends: list[tuple[str, bool]] = []
    for line in text.split("\n"):
        if ends:
            word, dash = ends[0]
            if (line.lstrip("\t") if dash else line) == word:
                ends.pop(0)
            continue
        out.append(line)
        for m in _HEREDOC.finditer(line):
            if not line[: m.start()].endswith("<"):  # (not the here-string <<<)
                ends.append((m.group(2), m.group(0).startswith("<<-")))
    return "\n".join(out)


def tokens(text: str) -> list[str]:
    """The words and operators of *text* (quotes removed); unbalanced quotes: split on blanks."""
    text = strip_heredocs(text).replace("$(", " ( ").replace("`", " ; ")
    lex = shlex.shlex(text, posix=True, punctuation_chars=_PUNCT)
    lex.whitespace_split = True
    lex.whitespace = " \t\r"
    lex.commenters = ""
    try:
        raw = list(lex)
    except ValueError:
        raw = text.replace("\n", " ; ").split()
    out: list[str] = []
    for tok in raw:
        if tok and tok not in _OPERATORS and set(tok) <= set(_PUNCT):
            out += _split_punct(tok)  # e.g. ";\n" or ")|": operators the lexer ran together
        else:
            out.append(tok)
    return out


def _split_punct(tok: str) -> list[str]:
    out, i = [], 0
    while i < len(tok):
        op = next((o for o in _LONGEST_FIRST if tok.startswith(o, i)), tok[i])
        out.append(op)
        i += len(op)
    return out


def commands(text: str, cwd: str, depth: int = 0) -> list[Simple]:
    """The simple commands of *text*, each with the folder it runs in and what it redirects into."""
    found: list[Simple] = []
    words: list[str] = []
    writes: list[str] = []
    toks = tokens(text)
    scopes: list[str] = []  # the cwd outside each open "(": a subshell's cd ends with it
    i = 0
    while i <= len(toks):
        tok = toks[i] if i < len(toks) else ";"
        i += 1
        if tok in WRITE_REDIRECTS or tok in OTHER_REDIRECTS:
            if words and words[-1].isdigit():
                words.pop()  # "2>": the fd is not an argument
            target = toks[i] if i < len(toks) else ""
            i += 1
            if tok in WRITE_REDIRECTS:
                writes.append(target)
            continue
        if tok not in SEPARATORS:
            words.append(tok)
            continue
        cmd, words, redirected, writes = words, [], writes, []
        here = cwd
        if tok == "(":
            scopes.append(cwd)
        elif tok == ")" and scopes:
            cwd = scopes.pop()
        while cmd and "=" in cmd[0] and not cmd[0].startswith("="):
            cmd = cmd[1:]  # VAR=value before a command
        if not cmd:
            if redirected:
                found.append(Simple([], here, redirected))
            continue
        name = os.path.basename(cmd[0])
        if name == "cd":
            dest = next((w for w in cmd[1:] if not w.startswith("-")), "~")
            here = os.path.normpath(os.path.join(here, os.path.expanduser(dest)))
            if tok != ")":
                cwd = here
            found.append(Simple(cmd, here, redirected))
        elif name == "eval" and depth < 3:
            found += commands(" ".join(cmd[1:]), here, depth + 1)
        elif name in SHELLS and depth < 3 and (script := shell_script(cmd)) is not None:
            found += commands(script, here, depth + 1)
            if redirected:
                found.append(Simple(cmd, here, redirected))
        else:
            found.append(Simple(cmd, here, redirected))
    return found


def shell_script(words: list[str]) -> str | None:
    """The ``-c`` string of a shell's command line: ``sh -c 'x'``, ``bash -lc 'x'``, ``bash -c -l
    'x'`` (options may follow ``-c``; the first word that is not one is the string), ``bash -o
    pipefail -c 'x'``.  None for a script file or no ``-c``."""
    seen_c = False
    i = 1
    while i < len(words):
        w = words[i]
        if w in ("-o", "+o", "-O", "+O"):
            i += 2
            continue
        if w == "--":
            return words[i + 1] if seen_c and i + 1 < len(words) else None
        if w[:1] in ("-", "+") and len(w) > 1:
            seen_c = seen_c or (w[0] == "-" and not w.startswith("--") and "c" in w[1:])
            i += 1
            continue
        return w if seen_c else None  # the string, or a script file (its text is not here)
    return None


__all__ = ["SEPARATORS", "Simple", "commands", "shell_script", "strip_heredocs", "tokens"]
