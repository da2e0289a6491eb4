"""Run the real Claude Code client against the mock API; meant to run inside `unshare -n`.

Usage: python -m tests.realclient.drive OUT_DIR REPO CLAUDE DISPATCHES_JSON [RACE_JSON]
(RACE_JSON: {"steps": {label: [tool calls]}, "order": [labels]}, see MockApi)
Brings the namespace's loopback up (a new network namespace starts with it down), serves the mock,
runs `claude -p` in REPO with a private HOME, and leaves in OUT_DIR: requests.jsonl (what the client
sent the API), stream.jsonl (the client's stream-json output), debug.log and rc.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import struct
import sys
from pathlib import Path

from tests.realclient.mock_api import TRIGGER, MockApi
from tests.support.clients import run_client

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, req))[1]
        if not flags & IFF_UP:
            fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def main() -> int:
    out, repo, claude, dispatches = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
    with contextlib.suppress(OSError):  # not in a namespace of our own: loopback is already up
        loopback_up()
    race = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    api = MockApi(dispatches, out / "requests.jsonl", race.get("steps"), race.get("order"))
    api.start()
    home = out / "home"
    (home / ".claude").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE"))}
    env.update(
        HOME=str(home),
        ANTHROPIC_BASE_URL=api.url,
        ANTHROPIC_API_KEY="sk-ant-mock",
        DISABLE_AUTOUPDATER="1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        IS_SANDBOX="1",
        CLAUDE_CODE_TMPDIR=str(out / "tmp"),
        DISABLE_TELEMETRY="1",
    )
    env.update(json.loads(os.environ.get("AGENTTUI_DRIVE_ENV") or "{}"))  # (a test's own, e.g. the fence)
    (out / "tmp").mkdir(exist_ok=True)
    cmd = [
        claude,
        "-p",
        f"{TRIGGER}: do the work",
        "--output-format",
        "stream-json",
        "--verbose",
        "--include-hook-events",
        "--debug-file",
        str(out / "debug.log"),
        "--dangerously-skip-permissions",
        "--model",
        "claude-sonnet-4-5",
    ]
    run_client(cmd, cwd=repo, env=env, out=out, stdout="stream.jsonl", stderr=None, timeout=240)
    api.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
