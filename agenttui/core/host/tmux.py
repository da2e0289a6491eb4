"""Interactive agents (claude, codex, aider...) in tmux windows, through tmux's own CLI.

State comes from tmux format strings (``#{pane_pid}``, ``#{pane_dead}``, ``#{pane_dead_status}``),
never from parsing screen text.  Inside tmux (``$TMUX`` set) windows open in the current session;
outside, in a detached session ``agenttui-<repo>``.  ``AGENTTUI_TMUX_SOCKET`` names a private
server (``tmux -L``), which the tests use so they never touch the user's server.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from agenttui.core.errors import AgentTuiError, first_line


class TmuxError(AgentTuiError):
    pass


@dataclass(frozen=True)
class TmuxPane:
    pane_id: str  # %12
    window_id: str  # @7
    session: str
    pid: int
    status_file: str = ""  # the wrapper writes the agent's exit status here


def _base() -> list[str]:
    tmux = shutil.which("tmux")
    if tmux is None:
        raise TmuxError('tmux is not installed: runner = "tmux" needs it')
    sock = os.environ.get("AGENTTUI_TMUX_SOCKET")
    return [tmux, "-L", sock] if sock else [tmux]


def tmux(*args: str, check: bool = True) -> str:
    res = subprocess.run([*_base(), *args], capture_output=True, text=True, check=False, timeout=10)
    if check and res.returncode != 0:
        first = first_line(res.stderr, f"exit {res.returncode}")
        raise TmuxError(f"tmux {args[0]} failed: {first}")
    return res.stdout


def inside_tmux() -> bool:
    return bool(os.environ.get("TMUX")) and not os.environ.get("AGENTTUI_TMUX_SOCKET")


def literal(text: str, *, path: bool = False) -> str:
    """*text* for an argument tmux expands as a format (``new-window -c``/``-n``, ``display-message``):
    ``#`` doubled, so a folder named ``#(cmd)`` is a name, not a command tmux runs; control characters
    shown as escapes, except in a *path* (it must stay the folder's name)."""
    from agenttui.core.errors import shown

    return (text if path else shown(text)).replace("#", "##")


def session_name(repo_name: str) -> str:
    return "agenttui-" + re.sub(r"[^A-Za-z0-9_-]", "_", repo_name)[:40]


def ensure_session(name: str, cwd: str) -> str:
    """The session new windows go to: the current one inside tmux, else a detached one."""
    if inside_tmux():
        return tmux("display-message", "-p", "#{session_name}").strip()
    if subprocess.run([*_base(), "has-session", "-t", f"={name}"], capture_output=True, check=False).returncode != 0:
        tmux("new-session", "-d", "-s", name, "-c", literal(cwd, path=True), "-n", "agenttui")
    return name


def start(
    name: str, argv: Sequence[str] | str, cwd: str, env: Mapping[str, str], session: str, state_dir: Path | None = None
) -> TmuxPane:
    """Open a window running the agent; the window stays (remain-on-exit) so its exit code is kept.

    The window's first process is a small ``sh`` that waits for a marker file until
    remain-on-exit is set (so even an agent that exits at once leaves its status behind), then
    runs the agent as its child and exits with its status.  The agent is not tmux's direct child:
    tmux resumes a stopped direct child at once, so pausing stops the agent below the ``sh``.
    A list runs without a shell; a string runs with ``sh -c``, as the plan asked."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix=f"{name[:20]}-", dir=state_dir))
    go, status_file = folder / "go", folder / "status"
    # wait for the go-file, run the agent as a child, keep its status (tmux does not always)
    gate = 'while [ ! -e "$0/go" ]; do sleep 0.02; done; "$@"; rc=$?; echo $rc > "$0/status"; exit $rc'
    if isinstance(argv, str):
        wrapped = ["/bin/sh", "-c", gate, str(folder), "/bin/sh", "-c", argv]
    else:
        wrapped = ["/bin/sh", "-c", gate, str(folder), *argv]
    cmd = [
        "new-window",
        "-d",
        "-P",
        "-F",
        "#{pane_id} #{window_id} #{pane_pid}",
        "-t",
        f"{session}:",
        "-n",
        literal(name[:30]),
        "-c",
        literal(cwd, path=True),
    ]
    for k, v in env.items():
        cmd += ["-e", f"{k}={v}"]
    try:
        out = tmux(*cmd, "--", *wrapped).split()
        if len(out) < 3 or not out[2].isdigit():
            raise TmuxError(f"tmux new-window answered {' '.join(out)!r}")
        tmux("set-option", "-w", "-t", out[1], "remain-on-exit", "on", check=False)
    finally:
        go.touch()  # release the agent (also when tmux failed, so the folder is cleaned up)
    return TmuxPane(out[0], out[1], session, int(out[2]), str(status_file))


def status(pane: TmuxPane) -> tuple[bool, int | None]:
    """(dead, exit status).  A pane that vanished counts as dead with an unknown status."""
    out = tmux("display-message", "-p", "-t", pane.pane_id, "#{pane_dead} #{pane_dead_status}", check=False)
    parts = out.split()
    return _exit(pane, not parts or parts[0] == "1", parts[1] if len(parts) > 1 else "")


def _exit(pane: TmuxPane, dead: bool, dead_status: str) -> tuple[bool, int | None]:
    """(dead, exit status): the wrapper's status file first, tmux's ``pane_dead_status`` else."""
    if not dead:
        return False, None
    try:
        text = Path(pane.status_file).read_text().strip() if pane.status_file else ""
    except OSError:
        text = ""
    if text.lstrip("-").isdigit():
        return True, int(text)
    return True, int(dead_status) if dead_status.lstrip("-").isdigit() else None


@dataclass(frozen=True)
class PaneState:
    """One pane as ``list-panes -a`` reports it."""

    dead: bool
    dead_status: str
    activity: int  # ``window_activity``: the second of the last output in the agent's window
    title: str  # ``pane_title``, as the agent CLI in it set it


_STATE_FORMAT = "#{pane_id}\t#{pane_dead}\t#{pane_dead_status}\t#{window_activity}\t#{pane_title}"
_NO_SERVER = ("no server running", "error connecting", "server exited")


def pane_states() -> dict[str, PaneState] | None:
    """Every pane of the server in ONE call, by pane id (reaping and sampling 32 tmux agents
    asked tmux once per agent, several times a second: 64 processes a second while idle).  A pane
    missing from the answer has vanished; ``{}`` when no server runs; None when tmux failed
    otherwise (callers ask pane by pane then, rather than take every agent for dead)."""
    # each line starts with a word made for this call: a title is the agent's to set, and one
    # with a line break and a made-up pane line in it must not reap (or revive) a pane
    mark = secrets.token_hex(8)
    argv = [*_base(), "list-panes", "-a", "-F", mark + _STATE_FORMAT]
    res = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=10)
    if res.returncode != 0:
        return {} if any(s in res.stderr for s in _NO_SERVER) else None
    states: dict[str, PaneState] = {}
    for line in res.stdout.splitlines():
        if not line.startswith(mark + "%"):
            continue  # (the rest of a title with a line break in it)
        parts = line[len(mark) :].split("\t", 4)
        if len(parts) < 5:
            continue
        pane_id, dead, code, activity, title = parts
        states[pane_id] = PaneState(dead == "1", code, int(activity) if activity.isdigit() else 0, title)
    return states


def status_in(states: Mapping[str, PaneState] | None, pane: TmuxPane) -> tuple[bool, int | None]:
    """:func:`status` from one :func:`pane_states` answer (asked alone when that failed)."""
    if states is None:
        return status(pane)
    state = states.get(pane.pane_id)
    return _exit(pane, state is None or state.dead, state.dead_status if state is not None else "")


def title(pane: TmuxPane) -> str:
    """The pane's title, as the agent CLI in it sets it (Codex, Gemini: their state)."""
    return tmux("display-message", "-p", "-t", pane.pane_id, "#{pane_title}", check=False).rstrip("\n")


def capture(pane: TmuxPane, lines: int = 12) -> list[str]:
    out = tmux("capture-pane", "-p", "-J", "-t", pane.pane_id, "-S", f"-{lines}", check=False)
    rows = out.rstrip("\n").split("\n") if out.strip() else []
    while rows and not rows[-1].strip():
        rows.pop()
    return rows[-lines:]


def focus(pane: TmuxPane) -> str:
    """Switch to the agent's window inside tmux; outside, the command that attaches to it."""
    if inside_tmux():
        tmux("switch-client", "-t", pane.session, check=False)
        tmux("select-window", "-t", pane.window_id)
        return f"switched to tmux window {pane.window_id}"
    sock = os.environ.get("AGENTTUI_TMUX_SOCKET")
    prefix = f"tmux -L {sock}" if sock else "tmux"
    return f"{prefix} attach -t {pane.session} \\; select-window -t {pane.window_id}"


def kill_window(pane: TmuxPane) -> None:
    tmux("kill-window", "-t", pane.window_id, check=False)
