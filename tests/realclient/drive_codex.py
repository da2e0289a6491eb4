"""Run the real Codex CLI against the Responses mock; meant to run inside `unshare -n`.

Usage: python -m tests.realclient.drive_codex OUT_DIR WORKDIR CODEX PROMPT [--bypass-hook-trust]
OUT_DIR holds home/ (HOME, with .codex/ as CODEX_HOME, which the test may have filled with hooks),
and gets requests.jsonl, issued.jsonl, stdout.jsonl, stderr.txt and rc.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from tests.realclient.codex_mock import CodexMock
from tests.realclient.drive import loopback_up
from tests.support.clients import run_client


def main() -> int:
    out, work, codex, prompt = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    bypass = "--bypass-hook-trust" in sys.argv[5:]
    with contextlib.suppress(OSError):
        loopback_up()
    mock = CodexMock(out / "requests.jsonl")
    mock.start()
    home = out / "home"
    codex_home = home / ".codex"
    codex_home.mkdir(parents=True, exist_ok=True)
    config = codex_home / "config.toml"
    base = (
        f'model = "gpt-5.1-codex"\nmodel_provider = "mock"\napproval_policy = "never"\n'
        f'sandbox_mode = "danger-full-access"\n[features]\nplugins = false\n'
        f'[model_providers.mock]\nname = "mock"\nbase_url = "{mock.url}"\nenv_key = "MOCK_API_KEY"\n'
        f'wire_api = "responses"\n'
    )
    config.write_text(base + (config.read_text() if config.exists() else ""))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "CODEX_HOME": str(codex_home),
        "MOCK_API_KEY": "sk-mock",
    }
    for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "AGENTTUI_AGENT", "PYTHONPATH"):
        if key in os.environ:
            env[key] = os.environ[key]
    cmd = [codex, "exec", "--json", "--skip-git-repo-check", "--disable", "plugins"]
    if bypass:
        cmd.append("--dangerously-bypass-hook-trust")
    run_client([*cmd, prompt], cwd=work, env=env, out=out, stdout="stdout.jsonl", stderr="stderr.txt", timeout=180)
    mock.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
