"""A tiny HTTP server whose POST /v1/responses answer is given as raw bytes
(status, headers, body or SSE events) — for answers that echo the key in odd
spellings, compress it, carry terminal control bytes or are huge — and whose
GET /v1/models is an empty list."""

from __future__ import annotations

import json

from local_server import LocalServer, QuietHandler, response_body


def response_json(text: str, **extra) -> dict:
    """A valid non-stream Response whose output text is `text`."""
    return response_body(text, **{"id": "resp_raw", **extra})


def sse(events: list[tuple[str, str]]) -> bytes:
    """(event name, data text) pairs as an SSE body."""
    return b"".join(f"event: {name}\ndata: {data}\n\n".encode() for name, data in events)


class RawServer(LocalServer):
    def __init__(self, body: bytes, headers: dict | None = None, status: int = 200, stream_body: bytes | None = None):
        self.body, self.headers, self.status, self.stream_body = body, dict(headers or {}), status, stream_body
        outer = self

        class Handler(QuietHandler):
            def do_POST(self):
                request = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    streamed = json.loads(request).get("stream") is True
                except (ValueError, AttributeError):
                    streamed = False
                if streamed and outer.stream_body is not None:
                    self.send_bytes(200, {"Content-Type": "text/event-stream"}, outer.stream_body)
                else:
                    self.send_bytes(outer.status, outer.headers, outer.body)

        super().__init__(Handler)
