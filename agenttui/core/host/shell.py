"""Opening a shell in an agent's worktree: a tmux window inside tmux, else the user's shell in
the foreground (the UI suspends itself around :func:`run_shell`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def in_tmux() -> bool:
    return bool(os.environ.get("TMUX")) and shutil.which("tmux") is not None


def open_tmux_window(cwd: Path, name: str) -> str:
    from agenttui.core.host.tmux import literal, tmux

    # (tmux expands formats in -c and -n: a folder named "#(cmd)" would run cmd); the one tmux helper,
    # so AGENTTUI_TMUX_SOCKET is honoured here too
    tmux("new-window", "-c", literal(str(cwd), path=True), "-n", literal(name[:20]), check=False)
    return f"opened a tmux window in {cwd}"


def run_shell(cwd: Path) -> None:
    shell = os.environ.get("SHELL") or shutil.which("bash") or "/bin/sh"
    print(f"agenttui: shell in {cwd} — exit to return")
    subprocess.run([shell], cwd=cwd, check=False)
