"""What every recovery tab shares: the outcome loop and the tab protocol."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from agenttui.core.errors import AgentTuiError
from agenttui.core.git.models import RepoPaths
from agenttui.core.recovery import Outcome, RecoveryData

TABS = ("stashes", "branches", "worktrees", "trash", "agents")
T = TypeVar("T")
Result = list[tuple[bool, str]]
Row = tuple[str, tuple[object, ...]]  # (key, cells)


def each(op: Callable[[T], Outcome], items: Iterable[T]) -> Result:
    """Run *op* on every item; a refusal of one does not stop the rest.  The one outcome loop."""
    out: Result = []
    for item in items:
        try:
            o = op(item)
            out.append((o.ok, o.message))
        except AgentTuiError as exc:
            out.append((False, exc.message))
    return out


def outcomes(found: Iterable[Outcome]) -> Result:
    return [(o.ok, o.message) for o in found]


class Host(Protocol):
    """What a tab needs of the recovery screen (the screen implements it)."""

    paths: RepoPaths
    data: RecoveryData | None

    async def confirm(self, title: str, rows: list[str], note: str = "", *, say_cancel: bool = True) -> bool: ...

    async def run(self, job: Callable[[], Result]) -> None: ...

    def tell(self, text: str, *, error: bool = False, title: str = "", timeout: float | None = None) -> None: ...


class Tab:
    """One tab of the recovery screen: its columns, its rows, and its flows (async, in the
    screen's flow worker: a confirmation is ``await self.screen.confirm(...)``)."""

    name = ""
    columns: tuple[str, ...] = ()

    def __init__(self, screen: Host) -> None:
        self.screen = screen

    @property
    def paths(self) -> Any:
        return self.screen.paths

    def keys(self, data: RecoveryData) -> list[str]:
        return [key for key, _cells in self.rows(data, None, lambda *_: True)]

    def rows(self, data: RecoveryData, now: float | None, match: Callable[..., bool]) -> list[Row]:
        raise NotImplementedError

    async def destroy(self, keys: list[str]) -> None:
        """``d`` on this tab."""
        raise NotImplementedError
