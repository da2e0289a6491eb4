"""Run the real Gemini CLI against the Gemini mock; meant to run inside `unshare -n`.

Usage: python -m tests.realclient.drive_gemini OUT_DIR WORKDIR GEMINI PROMPT
OUT_DIR holds home/ (HOME, whose .gemini/settings.json the test may have filled with hooks), and gets
requests.jsonl, issued.jsonl, stdout.jsonl, stderr.txt and rc.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

from tests.realclient.drive import loopback_up
from tests.realclient.gemini_mock import GeminiMock
from tests.support.clients import run_client


def main() -> int:
    out, work, gemini, prompt = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    with contextlib.suppress(OSError):
        loopback_up()
    mock = GeminiMock(out / "requests.jsonl")
    mock.start()
    home = out / "home"
    settings = home / ".gemini" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(settings.read_text()) if settings.exists() else {}
    data.setdefault("security", {}).setdefault("auth", {})["selectedType"] = "gemini-api-key"
    settings.write_text(json.dumps(data))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GEMINI_API_KEY": "mock-key",
        "GOOGLE_GEMINI_BASE_URL": mock.url,
        "GEMINI_CLI_TRUST_WORKSPACE": "true",
    }
    for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"):
        if key in os.environ:
            env[key] = os.environ[key]
    cmd = [gemini, "-p", prompt, "--output-format", "stream-json", "--yolo", "-m", "gemini-2.5-flash"]
    run_client(cmd, cwd=work, env=env, out=out, stdout="stdout.jsonl", stderr="stderr.txt", timeout=180)
    mock.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
