"""The gate as the real Claude Code client runs it: hook times from the client's own debug log.

    python bench/bench_claude_client.py [--dispatches 10] [--claude PATH]

One turn of `claude -p` (against the mock API of tests/realclient, inside `unshare -n` when allowed)
dispatches ``--dispatches`` unisolated subagents at once, so the client runs that many PreToolUse
hooks concurrently. Reported: the client's "finished with status 0 (NN ms)" per hook for agenttui's
gate, beside the raw baseline measured in the same run: the same turn with a PreToolUse hook that
only starts the interpreter (``python3 -S -c pass``), and one that is ``true`` (what the client itself
spends on running a hook, no interpreter at all). Target: every gate call < 250 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_guard import make_repo  # noqa: E402
from tests.realclient.test_real_claude import find_claude, namespace_prefix  # noqa: E402

LINE = re.compile(r"Hooks: PreToolUse:Agent \[(?P<cmd>[^\]]*)\] finished with status \d+ \((?P<ms>\d+)ms\)")


def run(tmp: Path, claude: str, n: int, settings: dict[str, object] | None) -> list[int]:
    repo = make_repo(tmp, "repo")
    out = tmp / "out"
    home = out / "home"
    (home / ".claude").mkdir(parents=True)
    if settings is None:
        subprocess.run(
            [sys.executable, "-m", "agenttui", "hook", "claude-code", "install", "--user"],
            check=True,
            env=dict(os.environ, HOME=str(home)),
            capture_output=True,
        )
    else:
        (home / ".claude" / "settings.json").write_text(json.dumps(settings))
    dispatches = [
        {"description": f"task {i}", "prompt": "AGENTTUI-WRITE x", "subagent_type": "general-purpose"} for i in range(n)
    ]
    subprocess.run(
        [
            *namespace_prefix(),
            sys.executable,
            "-m",
            "tests.realclient.drive",
            str(out),
            str(repo),
            claude,
            json.dumps(dispatches),
        ],
        cwd=ROOT,
        check=True,
        timeout=600,
    )
    return [int(m["ms"]) for m in LINE.finditer((out / "debug.log").read_text())]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dispatches", type=int, default=10)
    ap.add_argument("--claude", default=find_claude())
    a = ap.parse_args()
    if not a.claude:
        print("the Claude Code client is not installed (see README: Tests)", file=sys.stderr)
        return 2

    def only(command: str) -> dict[str, object]:
        return {
            "hooks": {"PreToolUse": [{"matcher": "Agent|Task", "hooks": [{"type": "command", "command": command}]}]}
        }

    with tempfile.TemporaryDirectory() as t0, tempfile.TemporaryDirectory() as t1, tempfile.TemporaryDirectory() as t2:
        floor = run(Path(t0), a.claude, a.dispatches, only("true"))  # the client's own cost of a hook
        raw = run(Path(t1), a.claude, a.dispatches, only(f"{sys.executable} -S -c pass"))
        gate = run(Path(t2), a.claude, a.dispatches, None)
    for name, ms in (("client only (true)", floor), ("raw (interpreter only)", raw), ("agenttui gate", gate)):
        print(f"{name:24} n={len(ms):2}  median {statistics.median(ms):5.0f} ms  max {max(ms):5} ms")
    print(
        f"ratio gate/raw: median {statistics.median(gate) / statistics.median(raw):.1f}x, "
        f"max {max(gate) / max(raw):.1f}x  (target: every gate call < 250 ms: {max(gate) < 250})"
    )
    print(f"the client alone (a hook that is `true`): max {max(floor)} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
