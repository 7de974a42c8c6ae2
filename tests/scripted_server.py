"""A tiny HTTP server that answers POST /v1/responses from a script of
(status, headers, body) and GET /v1/models with an empty list — to put the
suite in front of answers no well-behaved gateway would give on purpose
(a wrong text first and a right one second, a 429 with Retry-After)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def response_body(text: str) -> dict:
    return {"id": "resp_scripted", "object": "response", "created_at": 1, "status": "completed", "model": "m",
            "output": [{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                        "content": [{"type": "output_text", "text": text, "annotations": []}]}],
            "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}, "error": None,
            "incomplete_details": None}


class ScriptedServer:
    def __init__(self, script: list[tuple[int, dict, dict]]):
        self.script = list(script)
        self.calls = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, headers: dict, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._send(200, {}, {"object": "list", "data": []})

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                index = min(outer.calls, len(outer.script) - 1)
                outer.calls += 1
                self._send(*outer.script[index])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
