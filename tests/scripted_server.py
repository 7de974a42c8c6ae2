"""A tiny HTTP server that answers POST /v1/responses from a script of
(status, headers, body) and GET /v1/models with an empty list — to put the
suite in front of answers no well-behaved gateway would give on purpose
(a wrong text first and a right one second, a 429 with Retry-After)."""

from __future__ import annotations

import json

from local_server import LocalServer, QuietHandler, response_body

__all__ = ["ScriptedServer", "response_body"]


class ScriptedServer(LocalServer):
    def __init__(self, script: list[tuple[int, dict, object]]):
        self.script = list(script)
        self.calls = 0
        outer = self

        class Handler(QuietHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                index = min(outer.calls, len(outer.script) - 1)
                outer.calls += 1
                status, headers, body = outer.script[index]
                self.send_bytes(status, headers, json.dumps(body).encode())

        super().__init__(Handler)
