"""The hook's fastest entry: ``python3 -S -I <...>/agenttui/hooks/run.py pre-tool-use|event``.

Claude Code runs it for every guarded tool call, ten at once when the model dispatches ten agents.
``-m agenttui`` costs ``site`` (the venv's ``.pth`` files), ``runpy`` and ``importlib.util`` before
a line of the hook runs; ``-S -I`` skip them (and ignore ``PYTHON*`` variables), and this file puts
the package's folder on ``sys.path`` itself — the hooks import the standard library only.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

if sys.argv[1:2] == ["codex"]:  # `run.py codex pre-tool-use|event`
    from agenttui.hooks.codex import hot as codex_hot  # noqa: E402

    sys.exit(codex_hot(sys.argv[2:]))
if sys.argv[1:2] == ["gemini"]:  # `run.py gemini before-tool|event`
    from agenttui.hooks.gemini import hot as gemini_hot  # noqa: E402

    sys.exit(gemini_hot(sys.argv[2:]))
from agenttui.hooks.claude_code import hot  # noqa: E402

sys.exit(hot(sys.argv[1:]))
