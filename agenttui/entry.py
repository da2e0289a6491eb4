"""The console entry point: ``agenttui hook ...`` must answer fast, so it is dispatched here before
anything heavy (GitPython, psutil, Textual) is imported."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:2] == ["hook", "claude-code"] and args[2:3] in (["pre-tool-use"], ["event"]):
        from agenttui.hooks.claude_code import hot  # the hot path: Claude Code waits on it

        return hot(args[2:])
    if args[:2] == ["hook", "codex"] and args[2:3] in (["pre-tool-use"], ["event"]):
        from agenttui.hooks.codex import hot as codex_hot

        return codex_hot(args[2:])
    if args[:2] == ["hook", "gemini"] and args[2:3] in (["before-tool"], ["event"]):
        from agenttui.hooks.gemini import hot as gemini_hot

        return gemini_hot(args[2:])
    if args[:1] == ["hook"]:
        from agenttui.hooks.cli import main as hook_main

        return hook_main(args[1:])
    from agenttui.cli import main as cli_main

    return cli_main(args)
