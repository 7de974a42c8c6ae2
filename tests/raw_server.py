"""A tiny HTTP server whose POST /v1/responses answer is given as raw bytes
(status, headers, body or SSE events) — for answers that echo the key in odd
spellings, compress it, carry terminal control bytes or are huge — and whose
GET /v1/models is an empty list."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def response_json(text: str, **extra) -> dict:
    """A valid non-stream Response whose output text is `text`."""
    body = {"id": "resp_raw", "object": "response", "created_at": 1, "status": "completed", "model": "m",
            "output": [{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                        "content": [{"type": "output_text", "text": text, "annotations": []}]}],
            "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}, "error": None,
            "incomplete_details": None}
    body.update(extra)
    return body


def sse(events: list[tuple[str, str]]) -> bytes:
    """(event name, data text) pairs as an SSE body."""
    return b"".join(f"event: {name}\ndata: {data}\n\n".encode() for name, data in events)


class RawServer:
    def __init__(self, body: bytes, headers: dict | None = None, status: int = 200, stream_body: bytes | None = None):
        self.body, self.headers, self.status, self.stream_body = body, dict(headers or {}), status, stream_body
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, headers: dict, data: bytes) -> None:
                self.send_response(status)
                headers = {"Content-Type": "application/json", **headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._send(200, {}, json.dumps({"object": "list", "data": []}).encode())

            def do_POST(self):
                request = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    streamed = json.loads(request).get("stream") is True
                except (ValueError, AttributeError):
                    streamed = False
                if streamed and outer.stream_body is not None:
                    self._send(200, {"Content-Type": "text/event-stream"}, outer.stream_body)
                else:
                    self._send(outer.status, outer.headers, outer.body)

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
