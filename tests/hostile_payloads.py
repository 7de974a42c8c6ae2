"""The bodies tests/hostile_server.py sends: pure functions returning bytes.

Kept apart from the server so the socket code stays readable. Each builder
makes exactly the hostile property its mode is named for and is otherwise
a valid Responses answer (ids, fields and event order as the reference
gateway's), so a failure the suite reports is about that property alone.
"""

from __future__ import annotations

import base64
import gzip
import json
import urllib.parse

RESPONSE_TEXT = "ECHO"  # what the valid answers say (the hostile tests' case expects it)
RESPONSE_ID = "resp_0123456789abcdef01234567"
ITEM_ID = "msg_0123456789abcdef01234567"
CREATED_AT = 1796154800
PAD = "\x00PAD\x00"  # a marker json.dumps escapes to a unique token, replaced by raw text afterwards
PAD_JSON = json.dumps(PAD)[1:-1]

GIB = 1024 ** 3
BIG_EVENT_BYTES = 50 * 1000 * 1000  # the `data:` line of big_event's first event
DEEP_LEVELS = 100_000


def response(text: str = RESPONSE_TEXT, **changes) -> dict:
    """A completed Response with one message whose output text is `text`."""
    body = {"id": RESPONSE_ID, "object": "response", "created_at": CREATED_AT, "status": "completed",
            "completed_at": CREATED_AT, "model": "hostile-model",
            "output": [{"id": ITEM_ID, "type": "message", "role": "assistant", "status": "completed",
                        "content": [_part(text)]}],
            "usage": {"input_tokens": 4, "output_tokens": 1, "total_tokens": 5},
            "error": None, "incomplete_details": None, "instructions": None, "metadata": {},
            "routing_metadata": {"provider": "hostile", "provider_model_id": "hostile/hostile-model",
                                 "model_canonical": "hostile-model", "routing_strategy": "cost-focus",
                                 "cost": {"usd": 2.8e-06}}}
    body.update(changes)
    return body


def _part(text: str) -> dict:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def dumps(value) -> bytes:
    return json.dumps(value).encode()


def error_envelope(message: str, kind: str = "invalid_request_error") -> bytes:
    return dumps({"error": {"message": message, "type": kind, "code": None, "param": None}})


# --- streams --------------------------------------------------------------------------------

def frame(payload: dict) -> bytes:
    data = json.dumps(payload, separators=(",", ":"))
    return f"event: {payload['type']}\ndata: {data}\n\n".encode()


def _in_progress(**changes) -> dict:
    snapshot = response(status="in_progress", completed_at=None, output=[], usage=None, **changes)
    del snapshot["routing_metadata"]  # known only at the end, as the reference gateway does it
    return snapshot


def stream_opening(first_sequence: int = 0) -> list[bytes]:
    """created and in_progress are left to the caller; these open the one message item."""
    where = {"item_id": ITEM_ID, "output_index": 0, "content_index": 0}
    item = {"id": ITEM_ID, "type": "message", "role": "assistant", "status": "in_progress", "content": []}
    return [frame({"type": "response.output_item.added", "sequence_number": first_sequence, "output_index": 0,
                   "item": item}),
            frame({"type": "response.content_part.added", "sequence_number": first_sequence + 1, **where,
                   "part": _part("")})]


def stream_closing(first_sequence: int, text: str) -> list[bytes]:
    """Deltas of `text` (one) and every done event through response.completed."""
    where = {"item_id": ITEM_ID, "output_index": 0, "content_index": 0}
    final = response(text)
    events = [
        {"type": "response.output_text.delta", **where, "delta": text, "logprobs": []},
        {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": _part(text)},
        {"type": "response.output_item.done", "output_index": 0, "item": final["output"][0]},
        {"type": "response.completed", "response": final},
    ]
    return [frame({"type": event.pop("type"), "sequence_number": first_sequence + n, **event})
            for n, event in enumerate(events)]


def endless_stream_head() -> bytes:
    """response.created, response.in_progress and the item openings: sequence numbers 0-3."""
    return (frame({"type": "response.created", "sequence_number": 0, "response": _in_progress()})
            + frame({"type": "response.in_progress", "sequence_number": 1, "response": _in_progress()})
            + b"".join(stream_opening(2)))


def endless_deltas(first_sequence: int, count: int) -> bytes:
    """`count` output_text.delta frames numbered from `first_sequence`."""
    template = ('event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
                f'"sequence_number":%d,"item_id":"{ITEM_ID}","output_index":0,"content_index":0,'
                '"delta":"more ","logprobs":[]}\n\n')
    return "".join(template % n for n in range(first_sequence, first_sequence + count)).encode()


def big_event_parts(size: int = BIG_EVENT_BYTES) -> tuple[bytes, int, bytes]:
    """response.created whose `data:` line is `size` bytes of valid JSON: (prefix, filler length, suffix).

    The filler is that many `x` inside the snapshot's `instructions` string; the
    caller sends it in pieces so the server never holds 50 MB."""
    text = frame({"type": "response.created", "sequence_number": 0, "response": _in_progress(instructions=PAD)})
    prefix, suffix = text.split(PAD_JSON.encode())
    line_overhead = len(prefix) + len(suffix) - len(b"event: response.created\n") - len(b"\n\n")
    return prefix, max(0, size - line_overhead), suffix


def big_event_rest() -> bytes:
    """What follows big_event's first event: in_progress, the item, the text, completed."""
    return (frame({"type": "response.in_progress", "sequence_number": 1, "response": _in_progress()})
            + b"".join(stream_opening(2)) + b"".join(stream_closing(4, RESPONSE_TEXT)))


# --- bodies that bend JSON ------------------------------------------------------------------

def gigabyte_parts(total: int = GIB) -> tuple[bytes, int, bytes]:
    """A JSON object of exactly `total` bytes: (prefix, filler length, suffix); the filler is `x`s."""
    prefix, suffix = b'{"object": "response", "pad": "', b'"}'
    return prefix, total - len(prefix) - len(suffix), suffix


def deep_json(levels: int = DEEP_LEVELS) -> bytes:
    """A Response-looking object whose `metadata` nests `levels` arrays deep."""
    head = dumps(response(metadata=PAD)).split(b'"' + PAD_JSON.encode() + b'"')
    return head[0] + b"[" * levels + b"]" * levels + head[1]


def non_finite() -> bytes:
    """A valid Response except `created_at` is 1e999 (infinity to a lax parser)."""
    marker = 987654321
    return dumps(response(created_at=marker)).replace(f'"created_at": {marker}'.encode(), b'"created_at": 1e999')


def dup_keys() -> bytes:
    """A valid Response with `status` twice: a last-wins parser sees "completed"."""
    body = dumps(response())
    return b'{"status": "in_progress", ' + body[1:]


# --- control bytes --------------------------------------------------------------------------

# A title change, a screen clear, an OSC 52 clipboard write ("pwned" in base64) and a NUL.
CONTROL_TEXT = "before \x1b]0;pwned\x07 title \x1b[2J clear \x1b]52;c;cHduZWQ=\x07 clipboard \x00 nul"
C1_CSI = "\u009b31m"  # the one-byte CSI (C1): JSON allows it raw, as UTF-8


def control_bytes_json() -> bytes:
    """A 400 envelope: the C0 controls \\u-escaped (JSON forbids them raw), the C1 CSI and DEL raw."""
    body = error_envelope(PAD).replace(PAD_JSON.encode(), b"%s")
    escaped = json.dumps(CONTROL_TEXT)[1:-1]  # \u001b, \u0007, \u0000
    raw = (" c1 " + C1_CSI + " del \x7f").encode()
    return body % (escaped.encode() + raw)


def control_bytes_plain() -> bytes:
    """A text/plain 400 body with the controls as raw bytes."""
    return ("error: " + CONTROL_TEXT + " c1 " + C1_CSI + "\n").encode()


# --- echoed secrets -------------------------------------------------------------------------

def json_escaped(text: str) -> str:
    """`text` as the inside of a JSON string, with `-` as \\u002d and `/` as \\/ (both legal)."""
    return json.dumps(text)[1:-1].replace("-", "\\u002d").replace("/", "\\/")


def echo_key(authorization: str) -> bytes:
    """A valid Response whose output text repeats the Authorization value in several encodings."""
    token = authorization.split(" ", 1)[-1]
    forms = [
        "plain=" + json.dumps(authorization)[1:-1],
        "json=" + json_escaped(authorization),
        "url=" + urllib.parse.quote(authorization, safe=""),
        "b64=" + base64.b64encode(authorization.encode()).decode(),
        "b64token=" + base64.b64encode(token.encode()).decode(),
    ]
    body = dumps(response(PAD))
    return body.replace(PAD_JSON.encode(), " ".join(forms).encode())


def echo_key_gzip(authorization: str) -> bytes:
    return gzip.compress(echo_key(authorization))
