"""What a stash's message says: the branch it was made on (``WIP on B: …`` from a plain push,
``On B: …`` with ``-m``), the one parser of it for the hooks and core alike."""

from __future__ import annotations

import re

_MADE_ON = re.compile(r"^(?:WIP on|On) (.+?): ")


def stash_branch(message: str) -> str | None:
    """The branch a stash was made on, from its message; None if the message is not a stash's."""
    m = _MADE_ON.match(message)
    return m.group(1) if m else None


def is_stash_message(message: str) -> bool:
    return _MADE_ON.match(message) is not None
