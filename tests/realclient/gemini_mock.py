"""A local stand-in for the Gemini API (``v1beta ... :streamGenerateContent?alt=sse``), for driving the
real Gemini CLI (facts: ../shared/OTHER-CLIENTS-NOTES.md, 2.1).

The conversation's first user text that carries a keyword decides:
- ``AGENTTUI-BASH <base64>``: ``run_shell_command`` once, then "done" (a sub-agent — one offered
  ``complete_task`` — ends with ``complete_task`` instead);
- ``AGENTTUI-SPAWN <base64>``: ``invoke_agent`` (the generalist) with that prompt, then "done".
The model router (``:generateContent`` with a JSON schema) gets its schema filled.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BASH = "AGENTTUI-BASH "
SPAWN = "AGENTTUI-SPAWN "


def _answer(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
        "modelVersion": "mock",
    }


class GeminiMock:
    def __init__(self, log: Path) -> None:
        self.log = log
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def reply(self, body: dict[str, Any]) -> dict[str, Any]:
        contents = body.get("contents") or []
        texts = [
            p.get("text", "")
            for c in contents
            if c.get("role") == "user"
            for p in c.get("parts") or []
            if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
        answered = any(isinstance(p, dict) and "functionResponse" in p for c in contents for p in c.get("parts") or [])
        tools = {d.get("name") for t in body.get("tools") or [] for d in t.get("functionDeclarations") or []}
        prompt = next((t for t in texts if BASH in t or SPAWN in t), "")
        done = _answer([{"text": "done"}])
        if "complete_task" in tools and answered:
            return _answer([{"functionCall": {"name": "complete_task", "args": {"result": {"response": "done"}}}}])
        if answered or not prompt:
            return done
        if SPAWN in prompt:
            child = base64.b64decode(prompt.split(SPAWN, 1)[1].split()[0]).decode()
            call = {"name": "invoke_agent", "args": {"agent_name": "generalist", "prompt": child}}
        else:
            command = base64.b64decode(prompt.split(BASH, 1)[1].split()[0]).decode()
            call = {"name": "run_shell_command", "args": {"command": command, "description": "as asked"}}
        with self.log.with_name("issued.jsonl").open("a") as f:
            f.write(json.dumps(call) + "\n")
        return _answer([{"functionCall": call}])

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                with mock._lock:
                    with mock.log.open("a") as f:
                        f.write(json.dumps({"path": self.path, "body": body}) + "\n")
                    if ":generateContent" in self.path:  # the model router: its JSON schema filled
                        data = json.dumps(
                            _answer([{"text": json.dumps({"complexity_reasoning": "mock", "complexity_score": 1})}])
                        ).encode()
                        ctype = "application/json"
                    else:
                        data = f"data: {json.dumps(mock.reply(body))}\r\n\r\n".encode()
                        ctype = "text/event-stream"
                self.send_response(200)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
