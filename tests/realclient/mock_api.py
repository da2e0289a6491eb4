"""A local stand-in for the Anthropic Messages API, for driving the real Claude Code client.

It answers `POST /v1/messages` with server-sent events the way the client streams them, from a
script: the session's first turn dispatches the subagents the test asks for (a `tool_use` per
dispatch), a subagent told "AGENTTUI-WRITE name" writes `name.txt` with Bash in its working directory
(so where the file lands shows whether isolation happened), any other turn says "done", and every
turn that carries tool results ends. Every
request is appended to a JSON-lines log, so a test reads what the client sent back (the hook's
deny reasons reach the model as error tool results).
"""

from __future__ import annotations

import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TRIGGER = "AGENTTUI-DISPATCH"
WRITE = "AGENTTUI-WRITE "  # a subagent prompt "AGENTTUI-WRITE name" writes name.txt in its working directory
BASH = "AGENTTUI-BASH "  # ... "AGENTTUI-BASH <base64>": runs that command with Bash, once
STEPS = "AGENTTUI-STEPS "  # ... "AGENTTUI-STEPS label": runs the tool calls MockApi.steps[label] in turn
WRITEFILE = "AGENTTUI-WRITEFILE "  # ... "AGENTTUI-WRITEFILE /abs/path": the Write tool to that path
SKILL = "AGENTTUI-SKILL "  # ... "AGENTTUI-SKILL name": invokes that skill with the Skill tool
SCRIPT = "AGENTTUI-SCRIPT "  # ... "AGENTTUI-SCRIPT name": writes tidy.sh in its worktree and runs it with sh
#: what tidy.sh does: the main checkout (the first `git worktree list` entry) stashed, nothing of it in
#: the command text a tool-call hook reads; then the subagent tries its shell again (after-<name>.txt)
TIDY = (
    "m=$(git worktree list --porcelain | sed -n '1s/^worktree //p')\n"
    'cd "$m" && git stash push -u -q -m tidy-by-subagent\n'
)


_ids = iter(range(1, 1 << 60))


def _events(model: str, blocks: list[dict[str, Any]], stop: str) -> bytes:
    # (a fresh message id each time: the client merges consecutive assistant messages sharing one)
    out: list[tuple[str, dict[str, Any]]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": f"msg_mock_{next(_ids)}",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 10, "output_tokens": 1},
                },
            },
        )
    ]
    for i, block in enumerate(blocks):
        if block["type"] == "text":
            out.append(
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}},
                )
            )
            out.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": block["text"]}},
                )
            )
        else:
            out.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": i,
                        "content_block": {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}},
                    },
                )
            )
            out.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
                    },
                )
            )
        out.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": 5},
            },
        )
    )
    out.append(("message_stop", {"type": "message_stop"}))
    return b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in out)


def _text_of(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "\n".join(parts)


class MockApi:
    """*steps* (label -> tool calls) and *order* (labels) play a race: subagents prompted
    "AGENTTUI-STEPS label" each run their tool calls, interleaved across agents exactly in *order* —
    a call is issued only when the one before it in *order* has come back — and every call issued
    is logged to ``issued.jsonl`` beside *log* (the truth a test checks attribution against)."""

    def __init__(
        self,
        dispatches: list[dict[str, Any]],
        log: Path,
        steps: dict[str, list[dict[str, Any]]] | None = None,
        order: list[str] | None = None,
    ) -> None:
        self.dispatches = dispatches
        self.log = log
        self.steps = steps or {}
        self.order = list(order or [])
        self._pos = 0
        self._in_flight: tuple[str, int] | None = None
        self._turn = threading.Condition()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    def _step(self, label: str, k: int) -> tuple[list[dict[str, Any]], str]:
        """Agent *label*'s call number *k* (k calls of it have come back), in the race's order."""
        import time

        with self._turn:
            if self._in_flight == (label, k - 1):
                self._in_flight = None
                self._turn.notify_all()
            calls = self.steps.get(label) or []
            if k >= len(calls):
                return [{"type": "text", "text": "done"}], "end_turn"
            deadline = time.monotonic() + 90
            while not (self._in_flight is None and self._pos < len(self.order) and self.order[self._pos] == label):
                if self._pos >= len(self.order) and self._in_flight is None:
                    break  # past the choreography: run freely
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._turn.wait(left)
            self._pos += 1
            self._in_flight = (label, k)
            call = calls[k]
            with self.log.with_name("issued.jsonl").open("a") as f:
                f.write(json.dumps({"label": label, "step": k, "time": time.time(), **call}) + "\n")
        return [
            {"type": "tool_use", "id": f"toolu_{label}_{k}", "name": call["name"], "input": call["input"]}
        ], "tool_use"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def reply(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
        messages = body.get("messages") or []
        last = messages[-1] if messages else {}
        first = _text_of(messages[0]) if messages else ""
        if STEPS in first:
            label = first.split(STEPS, 1)[1].split()[0]
            done = len(
                {
                    b.get("id")
                    for m in messages
                    if m.get("role") == "assistant"
                    for b in (m.get("content") if isinstance(m.get("content"), list) else [])
                    if isinstance(b, dict) and str(b.get("id", "")).startswith(f"toolu_{label}_")
                }
            )
            return self._step(label, done)
        content = last.get("content")
        if isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
            # (the client may merge turns: the newest result is the last one)
            newest = [str(b.get("tool_use_id")) for b in content if isinstance(b, dict) and b.get("tool_use_id")]
            if newest and newest[-1].startswith("toolu_script_"):  # the script ran: its shell once more
                name = newest[-1].removeprefix("toolu_script_")
                return [
                    {
                        "type": "tool_use",
                        "id": f"toolu_after_{name}",
                        "name": "Bash",
                        "input": {"command": f"echo after > after-{name}.txt", "description": "again"},
                    }
                ], "tool_use"
            return [{"type": "text", "text": "ok"}], "end_turn"
        if TRIGGER in _text_of(last) and len(messages) == 1:
            blocks = [
                {
                    "type": "tool_use",
                    "id": f"toolu_mock_{i}",
                    "name": d.get("_tool", "Agent"),
                    "input": {k: v for k, v in d.items() if k != "_tool"},
                }
                for i, d in enumerate(self.dispatches)
            ]
            return blocks, "tool_use"
        text = _text_of(last)
        if WRITE in text and len(messages) == 1:
            name = text.split(WRITE, 1)[1].split()[0]
            return [
                {
                    "type": "tool_use",
                    "id": f"toolu_write_{name}",
                    "name": "Bash",
                    "input": {"command": f"echo work > {name}.txt", "description": "write"},
                }
            ], "tool_use"
        if BASH in text and len(messages) == 1:
            command = base64.b64decode(text.split(BASH, 1)[1].split()[0]).decode()
            return [
                {
                    "type": "tool_use",
                    "id": "toolu_bash_0",
                    "name": "Bash",
                    "input": {"command": command, "description": "as asked"},
                }
            ], "tool_use"
        if WRITEFILE in text and len(messages) == 1:
            path = text.split(WRITEFILE, 1)[1].split()[0]
            return [
                {
                    "type": "tool_use",
                    "id": "toolu_writefile_0",
                    "name": "Write",
                    "input": {"file_path": path, "content": "written\n"},
                }
            ], "tool_use"
        if SKILL in text and len(messages) == 1:
            name = text.split(SKILL, 1)[1].split()[0]
            return [
                {"type": "tool_use", "id": f"toolu_skill_{name}", "name": "Skill", "input": {"skill": name}}
            ], "tool_use"
        if SCRIPT in text and len(messages) == 1:
            name = text.split(SCRIPT, 1)[1].split()[0]
            b64 = base64.b64encode(TIDY.encode()).decode()
            return [
                {
                    "type": "tool_use",
                    "id": f"toolu_script_{name}",
                    "name": "Bash",
                    "input": {"command": f"echo {b64} | base64 -d > tidy.sh && sh tidy.sh", "description": "tidy up"},
                }
            ], "tool_use"
        return [{"type": "text", "text": "done"}], "end_turn"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def send(self, status: int, ctype: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                with api._lock, api.log.open("a") as f:
                    f.write(json.dumps({"path": self.path, "body": body}) + "\n")
                if self.path.startswith("/v1/messages/count_tokens"):
                    self.send(200, "application/json", json.dumps({"input_tokens": 10}).encode())
                    return
                if not self.path.startswith("/v1/messages"):
                    self.send(404, "text/plain", b"")
                    return
                blocks, stop = api.reply(body)
                data = _events(str(body.get("model", "claude-mock")), blocks, stop)
                if body.get("stream"):
                    self.send(200, "text/event-stream", data)
                    return
                msg = {
                    "id": "msg_mock",
                    "type": "message",
                    "role": "assistant",
                    "model": body.get("model"),
                    "content": blocks,
                    "stop_reason": stop,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 10, "output_tokens": 5},
                }
                self.send(200, "application/json", json.dumps(msg).encode())

            do_GET = do_POST

        return Handler

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


if __name__ == "__main__":  # pragma: no cover - manual use: python mock_api.py LOG DISPATCHES_JSON
    api = MockApi(json.loads(sys.argv[2]), Path(sys.argv[1]))
    print(api.url, flush=True)
    api.server.serve_forever()
