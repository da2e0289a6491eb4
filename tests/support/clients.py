"""Test support for the real clients: a local model API that records every request, and running a
client with its output in files (the drivers run inside ``unshare -n``, one per client)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class RecordingAPI:
    """A model API on 127.0.0.1: each POST's body is appended to *log* (JSON lines) and answered by
    :meth:`respond`, one request at a time; anything else is 404."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def respond(self, path: str, body: dict[str, Any]) -> tuple[bytes, str]:
        """(the answer's bytes, its content type) for a POST to *path*."""
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                with api._lock:
                    with api.log.open("a") as f:
                        f.write(json.dumps({"path": self.path, "body": body}) + "\n")
                    data, ctype = api.respond(self.path, body)
                self.send_response(200)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self.send_response(404)
                self.send_header("content-length", "0")
                self.end_headers()

        return Handler

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


def run_client(
    cmd: list[str], *, cwd: Path, env: dict[str, str], out: Path, stdout: str, stderr: str | None, timeout: float
) -> int:
    """Run a client to the end with its stdout in ``out/stdout`` and its stderr in ``out/stderr``
    (None: with stdout); its exit code (124: timed out) also goes to ``out/rc``."""
    with contextlib.ExitStack() as files:
        so = files.enter_context((out / stdout).open("w"))
        se = files.enter_context((out / stderr).open("w")) if stderr is not None else subprocess.STDOUT
        try:
            rc = subprocess.run(
                cmd, cwd=cwd, env=env, stdout=so, stderr=se, stdin=subprocess.DEVNULL, timeout=timeout, check=False
            ).returncode
        except subprocess.TimeoutExpired:
            rc = 124
    (out / "rc").write_text(str(rc))
    return rc
