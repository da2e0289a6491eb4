"""Alerts: what the guard says, in words, with the paths and suspects behind it."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

_ids = itertools.count(1)


@dataclass(frozen=True)
class Alert:
    id: int
    time: float
    kind: str  # files, switch, reset, commit, merge, rebase, operation, stash-push, stash-drop,
    #            branch-create, branch-delete, worktree-add, worktree-remove, index-lock, detached
    text: str
    paths: tuple[str, ...] = ()
    suspects: tuple[str, ...] = ()
    suspect_pids: tuple[int, ...] = ()
    agents: tuple[str, ...] = ()  # agents among the suspects
    snapshot: str | None = None  # a threatened agent worktree: the snapshot that restores it
    worktree: str | None = None

    def line(self) -> str:
        who = f" — suspects: {', '.join(self.suspects)}" if self.suspects else ""
        return f"{time.strftime('%H:%M:%S', time.localtime(self.time))} {self.text}{who}"


def new_alert(kind: str, text: str, **kw: object) -> Alert:
    return Alert(next(_ids), time.time(), kind, text, **kw)  # type: ignore[arg-type]
