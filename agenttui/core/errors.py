"""Errors that carry a one-line message meant for the user (never a traceback)."""

from __future__ import annotations


def first_line(text: str, default: str = "failed") -> str:
    """The first non-blank line of a command's stderr: what git (or tmux) says went wrong."""
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), default)


def shown(value: object, *, lines: bool = False) -> str:
    """The one place text from git, paths or agents is made safe to show: every control character —
    ESC (a terminal's escape sequences), C1 (``\x9b`` is CSI to some terminals), BEL, carriage return,
    DEL, the bidirectional overrides that reorder what is read — is written as a visible escape
    (``\x1b``, ``\u202e``), so a name can neither drive the terminal nor spoof a line.  One line by
    default (a newline is ``\n``); *lines*: newlines and tabs kept (a patch, a list of sources)."""
    text = str(value)
    if text.isprintable():
        return text
    keep = "\n\t" if lines else ""
    return "".join(c if c.isprintable() or c in keep else repr(c)[1:-1] for c in text)


class AgentTuiError(Exception):
    """A problem with the user's input or repository, explained in one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message.splitlines()[0] if message else "unknown error")

    @property
    def message(self) -> str:
        return str(self)


class NotARepository(AgentTuiError):
    pass


class PlanError(AgentTuiError):
    pass


class GitError(AgentTuiError):
    """A git command failed; the message is git's own first stderr line."""

    def __init__(self, argv: list[str], status: int | None, stderr: str) -> None:
        first = first_line(stderr, f"exit status {status}")
        self.argv = argv
        self.status = status
        self.stderr = stderr
        super().__init__(f"git {' '.join(argv[:2])} failed: {first}")


class GateClosed(AgentTuiError):
    """Dispatch was attempted without a confirmed announcement for the current plan."""
