"""One table of the supervisor's actions: it yields the screen's key bindings and the command
palette's commands, so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Action:
    key: str
    action: str
    description: str
    show: bool = True
    palette: str | None = None  # the command palette's title (None: not in the palette)
    help: str = ""


MAIN: tuple[Action, ...] = (
    Action("a", "announce", "Announce", palette="Announce", help="Run the isolation check and show the announcement"),
    Action("f", "fire", "Fire", palette="Fire", help="Dispatch the planned agents (after a confirmed announcement)"),
    Action("s", "stop", "Stop", palette="Stop agent", help="SIGTERM, then SIGKILL, the highlighted agent's tree"),
    Action(
        "p",
        "pause",
        "Pause/resume",
        palette="Pause / resume agent",
        help="SIGSTOP / SIGCONT the highlighted agent's tree",
    ),
    Action("o", "shell", "Shell", palette="Open shell", help="A shell in the highlighted agent's worktree"),
    Action("enter", "enter", "Tmux window"),
    Action("g", "guard", "Guard", palette="Arm / disarm the guard", help="Watch the main checkout for mutations"),
    Action(
        "m",
        "conflicts",
        "Conflicts",
        palette="Predict merge conflicts",
        help="git merge-tree between every pair of agent branches",
    ),
    Action(
        "v",
        "review",
        "Review",
        palette="Review agent's changes",
        help="The highlighted agent's changes against its base, file by file",
    ),
    Action(
        "L",
        "land",
        "Land",
        palette="Land agent's work",
        help="Land the highlighted agent's branch into the base (checked, backed up, undoable)",
    ),
    Action(
        "n",
        "attention",
        "Next",
        palette="Next agent needing you",
        help="Jump to the next agent that needs input, then to the ones done and not yet seen",
    ),
    Action(
        "u",
        "urgency",
        "Urgent first",
        show=False,
        palette="Order agents by urgency / by plan",
        help="Toggle the grid's order: who needs you first (needs input, done unseen, working, idle)",
    ),
    Action(
        "R",
        "restore_worktree",
        "Restore worktree",
        palette="Restore a threatened agent worktree",
        help="Put back the agent worktree another process deleted or reset, from its last snapshot",
    ),
    Action(
        "l",
        "layout",
        "List/grid",
        show=False,
        palette="Agents as a list / as a grid",
        help="One row per agent and the highlighted one's pane (the default from 9 agents), or a pane each",
    ),
    Action("r", "recover", "Recovery", palette="Recovery", help="Stashes, branches and worktrees"),
    Action("q", "app.quit", "Quit"),
    Action("left", "move(-1, 0)", "Left", show=False),
    Action("right", "move(1, 0)", "Right", show=False),
    Action("up", "move(0, -1)", "Up", show=False),
    Action("down", "move(0, 1)", "Down", show=False),
)

#: The main screen's actions that act on agents or the gate (everything but quit and moving).
GATED = frozenset(a.action for a in MAIN if not a.action.startswith(("app.", "move")))


def bindings(table: Iterable[Action]) -> list[BindingType]:
    return [Binding(a.key, a.action, a.description, show=a.show) for a in table]


def commands(table: Iterable[Action], target: Any) -> Iterable[SystemCommand]:
    """The palette's commands for *target* (a screen with ``action_<name>`` methods)."""
    for a in table:
        if a.palette is None:
            continue
        method: Callable[[], Any] | None = getattr(target, f"action_{a.action}", None)
        if method is not None:
            yield SystemCommand(a.palette, a.help, method)


def is_main(screen: Any) -> bool:
    """Whether *screen* is the supervisor's screen (without importing it: start-up stays light)."""
    return type(screen).__name__ == "MainScreen" or any(c.__name__ == "MainScreen" for c in type(screen).__mro__)
