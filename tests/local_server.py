"""What the small test servers share: a threaded HTTP server on a free
loopback port, run for the length of a `with` block, whose handlers answer
GET /v1/models with an empty list; and one valid Response to answer with."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def response_body(text: str, **extra) -> dict:
    """A valid non-stream Response whose output text is `text`."""
    body = {"id": "resp_scripted", "object": "response", "created_at": 1, "status": "completed", "model": "m",
            "output": [{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                        "content": [{"type": "output_text", "text": text, "annotations": []}]}],
            "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}, "error": None,
            "incomplete_details": None}
    body.update(extra)
    return body


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def send_bytes(self, status: int, headers: dict, data: bytes) -> None:
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.send_bytes(200, {}, json.dumps({"object": "list", "data": []}).encode())


class LocalServer:
    """`with Sub(...) as server: server.base_url` for a handler class."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
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
