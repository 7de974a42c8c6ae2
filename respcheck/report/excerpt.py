"""Bounded views of what a gateway sent, for transcripts and attachments: a
body's first and last KiB with "… N bytes omitted …" between them, and a
stream's first and last events with the events left out counted.

A finished case may keep only part of a stream (the stream checker caps the
frames it holds): gaps are found from the frames' own indexes, so this works
with whatever is kept."""

from __future__ import annotations

import json

from .printable import one_line

BODY_HEAD = 48 * 1024  # bytes of a body kept from its start
BODY_TAIL = 16 * 1024  # and from its end
FRAMES_HEAD = 200  # events kept from a stream's start
FRAMES_TAIL = 50  # and from its end
FRAME_DATA = 4096  # characters of one event's data


def omitted_marker(count: int, unit: str = "bytes") -> str:
    return f"… {count} {unit} omitted …"


def body_text(raw: bytes | None, head: int = BODY_HEAD, tail: int = BODY_TAIL) -> str:
    """The body as text: pretty JSON when it is JSON and small enough to show
    whole, else its first `head` and last `tail` bytes around a marker."""
    if not raw:
        return "(empty)"
    if len(raw) <= head + tail:
        text = raw.decode("utf-8", "replace")
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except (ValueError, RecursionError):
            return text
    omitted = len(raw) - head - tail
    return (raw[:head].decode("utf-8", "replace") + f"\n[{omitted_marker(omitted)} of {len(raw)} in all]\n"
            + raw[len(raw) - tail:].decode("utf-8", "replace"))


def clip_text(text: str, limit: int = FRAME_DATA) -> str:
    """At most `limit` characters: three quarters from the start, the rest from the end."""
    if len(text) <= limit:
        return text
    head = limit * 3 // 4
    tail = limit - head
    return text[:head] + f"[{omitted_marker(len(text) - limit, 'characters')}]" + text[len(text) - tail:]


def received_count(frames) -> int:
    """How many events the stream had, even when only some were kept."""
    frames = list(frames or ())
    if not frames:
        return 0
    last = getattr(frames[-1], "index", None)
    return max(len(frames), last + 1) if isinstance(last, int) else len(frames)


def frame_view(frames, head: int = FRAMES_HEAD, tail: int = FRAMES_TAIL) -> list:
    """The frames to show, in order, with an int in place of each run of
    events not shown (the number left out, by the transcript's cap or
    because the stream checker did not keep them)."""
    frames = list(frames or ())
    shown = frames if len(frames) <= head + tail else frames[:head] + [None] + frames[len(frames) - tail:]
    out: list = []
    expected = 0
    for frame in shown:
        if frame is None:
            continue
        index = getattr(frame, "index", None)
        if isinstance(index, int):
            if index > expected:
                out.append(index - expected)
            expected = index + 1
        out.append(frame)
    total = received_count(frames)
    if expected < total:  # kept frames without indexes; count from the list's length
        out.append(total - expected)
    return out


def frame_data(frame, limit: int = FRAME_DATA, mask=None) -> str:
    """An event's data, clipped (masked first by `mask`, so a cut cannot leave half
    a secret); says when the stream checker kept only part of it."""
    data = str(getattr(frame, "data", ""))
    data = clip_text(mask(data) if mask is not None else data, limit)
    clipped = getattr(frame, "clipped", 0)
    if isinstance(clipped, int) and clipped > 0:
        data += f"[{omitted_marker(clipped, 'characters')}: not kept]"
    return data


def frame_summary(frame, limit: int, mask=None) -> str:
    """An event's data for one row of an event table: masked, on one line, cut to `limit` characters."""
    data = str(getattr(frame, "data", ""))
    data = one_line(mask(data) if mask is not None else data)
    return data if len(data) <= limit else data[:limit] + "…"
