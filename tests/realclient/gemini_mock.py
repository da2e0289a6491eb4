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
from typing import Any

from tests.support.clients import RecordingAPI

BASH = "AGENTTUI-BASH "
SPAWN = "AGENTTUI-SPAWN "


def _answer(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
        "modelVersion": "mock",
    }


class GeminiMock(RecordingAPI):
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def respond(self, path: str, body: dict[str, Any]) -> tuple[bytes, str]:
        if ":generateContent" in path:  # the model router: its JSON schema filled
            answer = _answer([{"text": json.dumps({"complexity_reasoning": "mock", "complexity_score": 1})}])
            return json.dumps(answer).encode(), "application/json"
        return f"data: {json.dumps(self.reply(body))}\r\n\r\n".encode(), "text/event-stream"

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
