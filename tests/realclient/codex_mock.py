"""A local stand-in for the OpenAI Responses API (``POST /v1/responses``, server-sent events), for
driving the real Codex CLI (facts: ../shared/OTHER-CLIENTS-NOTES.md, 1.1).

A turn's answer is read from the first user text of the request's ``input``:
- ``AGENTTUI-BASH <base64>``: the shell tool once with that command, then "done";
- ``AGENTTUI-SPAWN <base64>``: ``spawn_agent`` with that message (a sub-agent's prompt), then
  ``wait_agent`` on the agent it names, then "done";
- anything else, and any request without tools (the TUI's title request): "done".
Every request is logged to a JSON-lines file; every tool call it issued to ``issued.jsonl`` beside it.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

from tests.support.clients import RecordingAPI

BASH = "AGENTTUI-BASH "
SPAWN = "AGENTTUI-SPAWN "


def _sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def _response(n: int, item: dict[str, Any]) -> bytes:
    usage = {
        "input_tokens": 10,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 5,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 15,
    }
    created = {"type": "response.created", "response": {"id": f"resp_{n}", "status": "in_progress"}}
    events: list[dict[str, Any]] = [created]
    if item["type"] == "message":
        added = dict(item, content=[])
        events += [
            {"type": "response.output_item.added", "output_index": 0, "item": added},
            {
                "type": "response.output_text.delta",
                "output_index": 0,
                "content_index": 0,
                "item_id": item["id"],
                "delta": item["content"][0]["text"],
            },
        ]
    else:
        events.append({"type": "response.output_item.added", "output_index": 0, "item": item})
    events += [
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": {"id": f"resp_{n}", "status": "completed", "usage": usage}},
    ]
    return _sse(events)


def _texts(items: list[Any]) -> list[str]:
    out = []
    for it in items:
        if isinstance(it, dict) and it.get("role") == "user":
            for c in it.get("content") or []:
                if isinstance(c, dict) and isinstance(c.get("text"), str):
                    out.append(c["text"])
    return out


class CodexMock(RecordingAPI):
    def __init__(self, log: Path) -> None:
        self.n = 0
        super().__init__(log)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def respond(self, path: str, body: dict[str, Any]) -> tuple[bytes, str]:
        item = self.reply(body)
        return _response(self.n, item), "text/event-stream"

    def _issue(self, name: str, args: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
        self.n += 1
        item = {
            "type": "function_call",
            "id": f"fc_{self.n}",
            "call_id": f"call_{self.n}",
            "name": name,
            "arguments": json.dumps(args),
            "status": "completed",
        }
        if namespace:
            item["namespace"] = namespace
        with self.log.with_name("issued.jsonl").open("a") as f:
            f.write(json.dumps({"name": name, "args": args}) + "\n")
        return item

    def reply(self, body: dict[str, Any]) -> dict[str, Any]:
        items = body.get("input") or []
        done = {
            "type": "message",
            "id": f"msg_{self.n}",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "done", "annotations": []}],
        }
        if not body.get("tools"):
            return done
        texts = _texts(items)
        prompt = next((t for t in reversed(texts) if BASH in t or SPAWN in t), "")
        calls = [it for it in items if isinstance(it, dict) and it.get("type") == "function_call"]
        outputs = [it for it in items if isinstance(it, dict) and it.get("type") == "function_call_output"]
        tool_names = {t.get("name") for t in body.get("tools") or [] if isinstance(t, dict)}
        if BASH in prompt and not calls:
            command = base64.b64decode(prompt.split(BASH, 1)[1].split()[0]).decode()
            if "exec_command" in tool_names or not tool_names & {"shell_command", "shell"}:
                return self._issue("exec_command", {"cmd": command})
            if "shell_command" in tool_names:
                return self._issue("shell_command", {"command": command})
            return self._issue("shell", {"command": ["bash", "-lc", command]})
        if SPAWN in prompt:
            message = base64.b64decode(prompt.split(SPAWN, 1)[1].split()[0]).decode()
            if not calls:
                return self._issue("spawn_agent", {"message": message}, "multi_agent_v1")
            if len(calls) == 1 and outputs:
                text = str(outputs[-1].get("output") or "")
                m = re.search(r'"?agent_id"?\s*[:=]\s*"?([0-9a-f-]{8,})', text)
                if m and "blocked" not in text.lower():
                    return self._issue("wait_agent", {"targets": [m.group(1)], "timeout_ms": 30000}, "multi_agent_v1")
        return done
