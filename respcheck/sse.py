"""Reading a Server-Sent Events body incrementally, with httpx-sse.

httpx-sse does the framing (lines, fields, blank-line dispatch). Around it
this module keeps what a transcript needs — each event's `event:` name, its
raw `data:` text, the byte offset where it ended and when it arrived — and
turns a misbehaving stream (stall, cut connection, too many events, too long)
into a finding instead of an exception. Each frame is handed to a consumer as
it arrives, so the checks run in the same single pass.
"""

from __future__ import annotations

import codecs
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import httpx
from httpx_sse import EventSource


@dataclass(slots=True)
class Frame:
    index: int
    event: str | None  # the `event:` line; None when the frame had none
    data: str  # the `data:` lines joined with "\n", as the spec says
    offset: int  # byte offset just past the frame's blank line
    t: float  # seconds since the request was sent, when the frame was complete

    def raw(self) -> str:
        head = f"event: {self.event}\n" if self.event is not None else ""
        return head + "".join(f"data: {line}\n" for line in self.data.split("\n")) + "\n"


@dataclass
class StreamEnd:
    """How reading stopped: `reason` is "eof" for a clean end, else the rule
    that the way it stopped breaks (stream.stall, stream.cut, ...)."""

    reason: str = "eof"
    message: str = ""


class _CountingBody:
    """What httpx-sse's EventSource reads: decoded text, handed over one
    event at a time so that each event's end offset and arrival are exact
    (for LF-framed streams; a CRLF-framed one is exact to the chunk)."""

    def __init__(self, response: httpx.Response, deadline: float, limit_bytes: int):
        self.headers = response.headers
        self._response = response
        self._deadline = deadline
        self._limit = limit_bytes
        self.offset = 0
        self.received = 0
        self._ended_with_newline = False

    def iter_text(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for chunk in self._response.iter_bytes():
            self.received += len(chunk)
            if self.received > self._limit:
                raise _TooLarge()
            if time.monotonic() > self._deadline:
                raise _TooSlow()
            text = decoder.decode(chunk)
            # Hand the text over an event at a time: httpx-sse dispatches an
            # event on its blank line, so the offset is then exact. A blank line
            # split across two chunks starts this chunk with its second "\n".
            if text.startswith("\n") and self._ended_with_newline:
                self.offset += 1
                yield "\n"
                text = text[1:]
            if text:
                self._ended_with_newline = text.endswith("\n")
            pieces = text.split("\n\n")
            for piece in pieces[:-1]:
                piece += "\n\n"
                self.offset += len(piece) if piece.isascii() else len(piece.encode())
                yield piece
            if pieces[-1]:
                last = pieces[-1]
                self.offset += len(last) if last.isascii() else len(last.encode())
                yield last
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


def read_stream(response: httpx.Response, started: float, on_frame: Callable[[Frame], None], *,
                max_events: int, deadline: float, max_bytes: int, idle_timeout: float) -> StreamEnd:
    """Feed every frame of `response` to `on_frame`; say how the stream ended."""
    body = _CountingBody(response, deadline, max_bytes)
    source = EventSource(body)  # type: ignore[arg-type]  # duck-typed: headers + iter_text
    index = 0
    try:
        for sse in source.iter_sse():
            if index >= max_events:
                return StreamEnd("stream.too_long", f"the stream went past {max_events} events "
                                                    "(--max-stream-events); stopped reading")
            # httpx-sse names a frame without an `event:` line "message"; no
            # Responses event has that name, so it means "no event line".
            name = sse.event if sse.event != "message" else None
            on_frame(Frame(index, name, sse.data, body.offset, time.monotonic() - started))
            index += 1
    except httpx.ReadTimeout:
        if time.monotonic() >= deadline:
            return StreamEnd("stream.too_long", f"the stream was still running after "
                                                f"{deadline - started:g}s (--stream-timeout); stopped reading")
        return StreamEnd("stream.stall", f"no bytes for {idle_timeout:g}s after {index} event(s) "
                                         "(--stream-idle-timeout)")
    except _TooSlow:
        return StreamEnd("stream.too_long", f"the stream was still running after "
                                            f"{deadline - started:g}s (--stream-timeout); stopped reading")
    except _TooLarge:
        return StreamEnd("stream.too_long", f"the stream exceeds {max_bytes} bytes (--max-body-bytes)")
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        reason = (str(exc) or type(exc).__name__).splitlines()[0][:160]
        return StreamEnd("stream.cut", f"the connection was cut after {index} event(s): {reason}")
    return StreamEnd()
