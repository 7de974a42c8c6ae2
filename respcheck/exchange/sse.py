"""Reading a Server-Sent Events body incrementally, with httpx-sse.

httpx-sse does the framing (lines, fields, blank-line dispatch). Around it
this module keeps what a transcript needs — each event's `event:` name, its
raw `data:` text, the byte offset where it ended and when it arrived — and
turns a misbehaving stream (stall, cut connection, too many events, too many
bytes, one event too big) into a finding instead of an exception. Each frame
is handed to a consumer as it arrives, so the checks run in the same single
pass, and nothing but the event being framed is buffered.

A body served with the wrong Content-Type can still be SSE: `looks_like_sse`
says whether it is, and `read_body` frames a complete body exactly as
`read_stream` frames a live one.
"""

from __future__ import annotations

import codecs
import re
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import httpx
from httpx_sse import EventSource

# One event is one JSON document: bounded like a non-stream body (--max-body-bytes).
DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024
_BODY_CHUNK = 64 * 1024
_SSE_HEADERS = {"content-type": "text/event-stream"}  # what EventSource insists on
_FIRST_FIELD = re.compile(rb"^(?:data|event|id|retry)?:")  # a field line, or ":" for a comment
_DATA_LINE = re.compile(rb"(?:^|[\r\n])data:")


@dataclass(slots=True)
class Frame:
    index: int
    event: str | None  # the `event:` line; None when the frame had none
    data: str  # the `data:` lines joined with "\n", as the spec says
    offset: int  # byte offset just past the frame's blank line
    t: float  # seconds since the request was sent, when the frame was complete
    clipped: int = 0  # characters cut off the end of `data` when a finished case keeps the frame

    def raw(self) -> str:
        head = f"event: {self.event}\n" if self.event is not None else ""
        # A comment line: the text stays valid SSE while saying what is missing.
        note = f": [{self.clipped} more characters of data not kept]\n" if self.clipped else ""
        return head + "".join(f"data: {line}\n" for line in self.data.split("\n")) + note + "\n"


@dataclass
class StreamEnd:
    """How reading stopped: `reason` is "eof" for a clean end, else the rule
    that the way it stopped breaks (stream.stall, stream.cut, ...)."""

    reason: str = "eof"
    message: str = ""


class _TooLarge(Exception):
    pass


class _EventTooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


class _CountingBody:
    """What httpx-sse's EventSource reads: decoded text, handed over one
    event at a time so that each event's end offset and arrival are exact
    (for LF-framed streams; a CRLF-framed one is exact to the chunk).

    It also counts the bytes since the last blank line, so one endless event
    fails once it passes the per-event limit instead of being buffered."""

    def __init__(self, chunks: Iterable[bytes], deadline: float, limit_bytes: int, event_limit: int):
        self.headers = _SSE_HEADERS
        self._chunks = chunks
        self._deadline = deadline
        self._limit = limit_bytes
        self._event_limit = event_limit
        self.offset = 0
        self.received = 0
        self.pending = 0  # bytes since the last blank line: the event being framed
        self.events = 0  # frames handed on so far
        self._ended_with_newline = False
        self._tail = ""  # the previous chunk's last characters (a CRLF blank line may straddle chunks)

    def _hand_over(self, piece: str, ends_event: bool) -> str:
        size = len(piece) if piece.isascii() else len(piece.encode())
        self.offset += size
        self.pending = 0 if ends_event else self.pending + size
        if self.pending > self._event_limit:
            raise _EventTooLarge()
        return piece

    def iter_text(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for chunk in self._chunks:
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
                yield self._hand_over("\n", True)
                text = text[1:]
            if not text:
                continue
            self._ended_with_newline = text.endswith("\n")
            if "\r" in text or self._tail.endswith("\r"):  # CR or CRLF framing: hand the chunk over whole
                window, self._tail = self._tail + text, text[-3:]
                yield self._hand_over(text, _has_blank_line(window))
                continue
            self._tail = text[-3:]
            pieces = text.split("\n\n")
            for piece in pieces[:-1]:
                yield self._hand_over(piece + "\n\n", True)
            if pieces[-1]:
                yield self._hand_over(pieces[-1], False)
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail


def _has_blank_line(text: str) -> bool:
    """Whether CR/CRLF-framed text (a chunk, after the last bytes of the one
    before: a blank line may straddle them) holds a blank line, so an event
    ended in it. Lenient by up to one chunk: the per-event count restarts."""
    normal = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n\n" in normal


def read_stream(response: httpx.Response, started: float, on_frame: Callable[[Frame], None], *,
                max_events: int, deadline: float, max_bytes: int, idle_timeout: float,
                max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES, chunks: Iterable[bytes] | None = None) -> StreamEnd:
    """Feed every frame of `response` to `on_frame`; say how the stream ended.

    `chunks`: the body's bytes when the caller taps them (else the response's own).

    `max_bytes` bounds the whole stream (--max-stream-bytes), `max_event_bytes`
    one event, `max_events` the number of events, `deadline` the time."""
    body = _CountingBody(response.iter_bytes() if chunks is None else chunks, deadline, max_bytes, max_event_bytes)
    clock = lambda: time.monotonic() - started  # noqa: E731
    try:
        return _frames(body, on_frame, clock, max_events=max_events, max_bytes=max_bytes,
                       max_event_bytes=max_event_bytes, seconds=deadline - started)
    except httpx.ReadTimeout:
        if time.monotonic() >= deadline:
            return StreamEnd("stream.too_long", f"the stream was still running after "
                                                f"{deadline - started:g}s (--stream-timeout); stopped reading")
        return StreamEnd("stream.stall", f"no bytes for {idle_timeout:g}s after {body.events} event(s) "
                                         "(--stream-idle-timeout)")
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        reason = (str(exc) or type(exc).__name__).splitlines()[0][:160]
        return StreamEnd("stream.cut", f"the connection was cut after {body.events} event(s): {reason}")


def read_body(body: bytes, on_frame: Callable[[Frame], None], *, t: float, max_events: int,
              max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> StreamEnd:
    """Frame a complete body (already read, e.g. a stream served with the
    wrong Content-Type) exactly as `read_stream` frames a live one: the same
    `Frame`s, offsets and limits; every frame arrives at `t`."""
    chunks = (body[i:i + _BODY_CHUNK] for i in range(0, len(body), _BODY_CHUNK))
    source = _CountingBody(chunks, float("inf"), len(body), max_event_bytes)
    return _frames(source, on_frame, lambda: t, max_events=max_events, max_bytes=len(body),
                   max_event_bytes=max_event_bytes, seconds=float("inf"))


def looks_like_sse(body: bytes) -> bool:
    """Whether a body served without text/event-stream is an SSE stream all
    the same: it opens with an SSE field or comment line and has a `data:`
    line early on. A JSON document, an HTML page or plain text does not."""
    head = body[:_BODY_CHUNK]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    head = head.lstrip(b"\r\n")
    return bool(_FIRST_FIELD.match(head)) and bool(_DATA_LINE.search(head))


def _frames(body: _CountingBody, on_frame: Callable[[Frame], None], clock: Callable[[], float], *,
            max_events: int, max_bytes: int, max_event_bytes: int, seconds: float) -> StreamEnd:
    source = EventSource(body)  # type: ignore[arg-type]  # duck-typed: headers + iter_text
    try:
        for sse in source.iter_sse():
            data = sse.data
            if not data:
                # httpx-sse dispatches on a blank line once an id:, retry: or event:
                # line was seen; the spec dispatches nothing without data (keep-alives).
                continue
            index = body.events
            if index >= max_events:
                return StreamEnd("stream.too_long", f"the stream went past {max_events} events "
                                                    "(--max-stream-events); stopped reading")
            # httpx-sse names a frame without an `event:` line "message"; no
            # Responses event has that name, so it means "no event line".
            name = sse.event
            on_frame(Frame(index, name if name != "message" else None, data, body.offset, clock()))
            body.events = index + 1
    except _TooSlow:
        return StreamEnd("stream.too_long", f"the stream was still running after {seconds:g}s "
                                            "(--stream-timeout); stopped reading")
    except _TooLarge:
        return StreamEnd("stream.too_long", f"the stream exceeds {max_bytes} bytes after {body.events} "
                                            "event(s) (--max-stream-bytes); stopped reading")
    except _EventTooLarge:
        return StreamEnd("stream.too_long", f"event #{body.events} exceeds {max_event_bytes} bytes without "
                                            f"ending (the limit of one event); stopped reading at byte "
                                            f"{body.offset}")
    return StreamEnd()
