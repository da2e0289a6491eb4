"""Errors that carry a one-line message meant for the user (never a traceback)."""

from __future__ import annotations


def first_line(text: str, default: str = "failed") -> str:
    """The first non-blank line of a command's stderr: what git (or tmux) says went wrong."""
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), default)


def shown(value: object) -> str:
    """A path or name for a one-line message: control characters (a newline in a folder name)
    are written as escapes, so the line is not cut and cannot be spoofed."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


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
