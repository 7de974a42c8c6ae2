"""The SSE reader, the sequence patterns and the stream rules, on hand-made
byte streams (no server): each rule is shown to pass a good stream and to
fail the broken one, naming the event."""

from __future__ import annotations

import json

import httpx
import pytest

from respcheck.exchange.sse import Frame, read_stream
from respcheck.stream import PatternError, SequenceMatcher, StreamChecker

SETTINGS = {"event_line": "required", "done_sentinel": "forbidden", "error_event_shape": "flat",
            "unknown_events": "flag"}


class Chunks(httpx.SyncByteStream):
    def __init__(self, chunks):
        self.chunks = chunks

    def __iter__(self):
        yield from self.chunks


def frames_of(raw: bytes, chunk: int = 7) -> tuple[list[Frame], str]:
    pieces = [raw[i:i + chunk] for i in range(0, len(raw), chunk)]
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Chunks(pieces))
    got: list[Frame] = []
    end = read_stream(response, 0.0, got.append, max_events=1000, deadline=1e12, max_bytes=10**9, idle_timeout=1)
    return got, end.reason


def test_reader_keeps_names_data_and_offsets_across_chunk_splits():
    raw = (b"event: a\ndata: {\"x\": 1}\n\n"
           b": a comment\n"
           b"data: line1\ndata: line2\n\n"
           b"event: b\r\ndata: caf\xc3\xa9\r\n\r\n")
    frames, reason = frames_of(raw, chunk=3)
    assert reason == "eof"
    assert [(f.event, f.data) for f in frames] == [("a", '{"x": 1}'), (None, "line1\nline2"), ("b", "café")]
    assert frames[0].offset == len(b"event: a\ndata: {\"x\": 1}\n\n")
    assert frames[-1].offset == len(raw)
    assert frames[1].raw() == "data: line1\ndata: line2\n\n"


def sse(events, *, names=True) -> bytes:
    out = b""
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event)
        name = (f"event: {event['type']}\n" if names and isinstance(event, dict) and "type" in event else "")
        out += f"{name}data: {data}\n\n".encode()
    return out


def text_stream(text_deltas=("Hel", "lo"), final_text="Hello", status="completed"):
    response = {"id": "resp_1", "object": "response", "created_at": 1, "status": "in_progress",
                "model": "m", "output": [], "usage": None}
    item = {"id": "msg_1", "type": "message", "role": "assistant", "status": "in_progress", "content": []}
    part = {"type": "output_text", "text": "", "annotations": []}
    done_part = {**part, "text": final_text}
    done_item = {**item, "status": "completed", "content": [done_part]}
    events = [
        {"type": "response.created", "response": response},
        {"type": "response.in_progress", "response": response},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        {"type": "response.content_part.added", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "part": part},
        *[{"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0,
           "delta": d, "logprobs": []} for d in text_deltas],
        {"type": "response.output_text.done", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "text": final_text, "logprobs": []},
        {"type": "response.content_part.done", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "part": done_part},
        {"type": "response.output_item.done", "output_index": 0, "item": done_item},
        {"type": f"response.{status}", "response": {
            **response, "status": status, "output": [done_item],
            "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}}},
    ]
    for n, event in enumerate(events):
        event["sequence_number"] = n
    return events


def check(events, settings=SETTINGS, sequence=None, names=True):
    frames, reason = frames_of(sse(events, names=names), chunk=64)
    checker = StreamChecker(settings, sequence)
    for frame in frames:
        checker.feed(frame)
    from respcheck.exchange.sse import StreamEnd
    return checker.finish(StreamEnd(reason)), checker


def rules(failures):
    return {f.rule for f in failures}


def test_clean_stream_passes_every_rule():
    failures, checker = check(text_stream())
    assert failures == []
    assert checker.terminal["status"] == "completed"


def _mutate(fn):
    events = text_stream()
    fn(events)
    return events


@pytest.mark.parametrize("rule,mutation", [
    ("stream.sequence_number", lambda e: e[4].pop("sequence_number")),
    ("stream.sequence_number", lambda e: e[5].__setitem__("sequence_number", 4)),
    ("stream.sequence_contiguous", lambda e: [ev.__setitem__("sequence_number", ev["sequence_number"] + 1)
                                              for ev in e[5:]]),
    ("stream.first_event", lambda e: e.pop(0)),
    ("stream.delta_join", lambda e: e.pop(4)),
    ("stream.item_order", lambda e: e.pop(2)),
    ("stream.item_order", lambda e: e.pop(8)),
    ("stream.indexes", lambda e: e[4].__setitem__("item_id", "msg_other")),
    ("stream.indexes", lambda e: e[4].__setitem__("content_index", 3)),
    ("stream.done_matches_item", lambda e: e[8]["item"]["content"][0].__setitem__("text", "Goodbye")),
    ("stream.reconstruct", lambda e: e[9]["response"].__setitem__("output", [])),
    ("stream.terminal", lambda e: e.pop()),
    ("stream.terminal", lambda e: e.append({**e[-1], "sequence_number": 10})),
    ("stream.terminal", lambda e: e.append({**e[4], "sequence_number": 10})),
    ("stream.event_schema", lambda e: e[4].__setitem__("delta", 5)),
    ("stream.unknown_event", lambda e: e.insert(5, {"type": "response.keepalive", "sequence_number": 5})),
    ("stream.lifecycle", lambda e: e[9]["response"].__setitem__("status", "incomplete")),
    ("stream.error_event", lambda e: e.insert(5, {"error": {"message": "boom"}})),
])
def test_each_rule_fails_on_its_mutation(rule, mutation):
    failures, _ = check(_mutate(mutation))
    assert rule in rules(failures), [f.render() for f in failures]


def test_event_line_rules():
    failures, _ = check(text_stream(), names=False)
    assert rules(failures) == {"stream.event_line"}
    failures, _ = check(text_stream(), settings={**SETTINGS, "event_line": "optional"}, names=False)
    assert failures == []


def test_done_sentinel_policies():
    events = text_stream() + ["[DONE]"]
    assert rules(check(events)[0]) == {"stream.done_sentinel"}
    assert check(events, settings={**SETTINGS, "done_sentinel": "optional"})[0] == []
    assert rules(check(text_stream(), settings={**SETTINGS, "done_sentinel": "required"})[0]) == {"stream.done_sentinel"}


def test_error_event_must_be_followed_by_failed():
    events = text_stream()
    events.insert(5, {"type": "error", "code": "upstream_error", "message": "boom", "param": None,
                      "sequence_number": 5})
    for n, event in enumerate(e for e in events if isinstance(e, dict)):
        event["sequence_number"] = n
    assert "stream.error_event" in rules(check(events)[0])


def test_many_broken_events_are_counted_not_listed():
    events = text_stream(text_deltas=["x"] * 50, final_text="x" * 50)
    for event in events:
        if event["type"] == "response.output_text.delta":
            event["delta"] = 1
    failures, _ = check(events)
    schema = [f for f in failures if f.rule == "stream.event_schema"]
    assert [f.message for f in schema] == [
        "$.delta: 1 is not of type 'string' on 50 of 58 events, first at event #4 response.output_text.delta "
        "(sequence_number 4)"]


SEQ = ["response.created", "response.in_progress?",
       {"response.output_item.added": {"item": {"type": "message"}}},
       "response.content_part.added", "response.output_text.delta+", "response.output_text.done",
       "response.content_part.done", "response.output_item.done",
       {"response.completed": {"response": {"status": "completed"}}}]


def test_sequence_pattern_accepts_and_reports_divergence():
    assert check(text_stream(), sequence=SEQ)[0] == []
    failures, _ = check(text_stream(status="incomplete"), sequence=SEQ)
    seq = [f for f in failures if f.rule == "stream.sequence"]
    assert seq and "event #9 (sequence_number 9) is 'response.incomplete'" in seq[0].message
    assert "response.completed {response: {status: completed}}" in seq[0].message
    failures, _ = check(text_stream(text_deltas=(), final_text=""), sequence=SEQ)
    assert "expected `response.output_text.delta` before `response.output_text.done`, got " \
        "`response.output_text.done` at #4" in [f for f in failures if f.rule == "stream.sequence"][0].message


def test_sequence_pattern_groups_alternatives_and_early_end():
    m = SequenceMatcher(["a", {"group": ["b", "c?"], "repeat": "+"}, {"one_of": [["d"], ["e", "f"]]}, "any*"])
    for n, t in enumerate(["a", "b", "b", "c", "e", "f", "zz"]):
        m.feed(n, n, {"type": t})
    assert m.failure_text(ended=True) is None
    m = SequenceMatcher(["a", "b+"])
    m.feed(0, 0, {"type": "a"})
    assert m.failure_text(ended=True) == "the stream ended after event #0 `a` with the sequence unfinished: " \
        "expected `b`"
    with pytest.raises(PatternError):
        SequenceMatcher([{"a": "not a mapping"}])
