"""What the stream rules say: one line per kind of problem (with its count),
never the same broken thing under two rules, sequence divergences that name
what was owed or which field differed, strict JSON, schema messages that are
never empty, and a reader and frame log that stay bounded. Hand-made byte
streams, no server."""

from __future__ import annotations

import json

import httpx
import pytest

from respcheck.schemastore import default_store
from respcheck.exchange.sse import Frame, StreamEnd, looks_like_sse, read_body, read_stream
from respcheck.stream import SequenceMatcher, StreamChecker
from respcheck.stream.chat import ChatStreamChecker
from respcheck.stream.findings import shape
from respcheck.stream.framelog import KEEP_LAST, FrameLog
from tests.test_stream_rules import SETTINGS, Chunks, check, frames_of, rules, sse, text_stream


def _renumber(events):
    for n, event in enumerate(e for e in events if isinstance(e, dict)):
        event["sequence_number"] = n
    return events


# -- one line per kind of problem (issue 9, items 11 and 12) -------------------

def test_a_problem_on_every_event_is_one_line_with_its_count():
    events = text_stream(text_deltas=["x"] * 20, final_text="x" * 20)
    for event in events:
        event.pop("sequence_number")
    failures, _ = check(events)
    assert [f.render() for f in failures] == [
        "[stream.sequence_number] sequence_number is missing on 28 of 28 events, first at event #0 "
        "response.created"]


def test_a_missing_sequence_number_is_not_also_a_schema_failure():
    events = text_stream()
    events[4].pop("sequence_number")
    failures, _ = check(events)
    assert rules(failures) == {"stream.sequence_number"}
    # A wrong type is the sequence_number rule's too; another schema problem on that event is still shown.
    events = text_stream()
    events[4]["sequence_number"] = "4"
    events[4]["delta"] = 7
    failures, _ = check(events)
    assert [f.render() for f in failures if f.rule == "stream.event_schema"] == [
        "[stream.event_schema] event #4 response.output_text.delta (sequence_number 4): "
        "$.delta: 7 is not of type 'string'"]
    assert all("sequence_number" not in f.message.split("): ", 1)[1] for f in failures
               if f.rule == "stream.event_schema")


def test_a_different_problem_under_the_same_rule_gets_its_own_line():
    events = text_stream(text_deltas=["x"] * 10, final_text="x" * 10)
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    for event in deltas[:6]:
        event["delta"] = 1  # six of one problem ...
    deltas[8]["item_id"] = 5  # ... then another under the same rule
    failures, _ = check(events)
    schema = [f.message for f in failures if f.rule == "stream.event_schema"]
    assert len(schema) == 2, schema
    assert schema[0].startswith("$.delta: 1 is not of type 'string' on 6 of 18 events, first at event #4")
    assert schema[1] == ("event #12 response.output_text.delta (sequence_number 12): "
                         "$.item_id: 5 is not of type 'string'")


def test_the_same_problem_with_other_values_is_counted_with_the_first():
    events = _renumber(text_stream(text_deltas=["a", "b", "c", "d"], final_text="abcd"))
    events[5]["sequence_number"] = 1
    events[7]["sequence_number"] = 2  # does not increase either, with other numbers
    failures, _ = check(events)
    lines = [f.message for f in failures if f.rule == "stream.sequence_number"]
    assert lines == ["event #5 response.output_text.delta (sequence_number 1): sequence_number 1 does not "
                     "increase (previous 4); the same problem on 2 of 12 events"]


def test_shapes_fold_ids_numbers_and_quoted_values_but_keep_field_names():
    assert shape("names item_id 'msg_2', but output_index 0 is item 'msg_1'") == \
        shape("names item_id 'msg_9', but output_index 3 is item 'msg_4'")
    assert shape("sequence_number 5 does not increase") != shape("output_index 5 does not increase")


def test_chat_chunks_are_grouped_too():
    chunks = [{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
               "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": None}]} for _ in range(5)]
    chunks[-1]["choices"][0]["finish_reason"] = "stop"
    for chunk in chunks:
        chunk["created"] = "soon"
    checker = _chat(sse(chunks) + b"data: [DONE]\n\n")
    lines = [f.message for f in checker.failures if f.rule == "chat.stream.chunk_schema"]
    assert len(lines) == 1 and "on 5 of 6 chunks, first at chunk #0" in lines[0], lines


# -- stream.sequence says what was owed (issue 9, item 10) ---------------------

FAILED = ["response.created", "response.in_progress?", "any*", "error",
          {"response.failed": {"response": {"status": "failed"}}}]


def _events(*types):
    return [{"type": t, "sequence_number": n, "response": {"status": "failed"}} for n, t in enumerate(types)]


def _match(pattern, events):
    m = SequenceMatcher(pattern)
    for n, event in enumerate(events):
        m.feed(n, event["sequence_number"], event)
    return m.failure_text(ended=True)


def test_a_skipped_event_is_named_not_an_early_end():
    text = _match(FAILED, _events("response.created", "response.output_text.delta", "response.failed"))
    assert text == "expected `error` before `response.failed`, got `response.failed` at #2"


def test_falling_back_after_the_closest_point_is_named():
    events = _events("response.created", "error", "response.completed")
    assert _match(FAILED, events) == ("after `error` at #1 the sequence expected "
                                      "`response.failed {response: {status: failed}}`, got `response.completed` at #2")


def test_events_after_a_complete_sequence_are_named():
    events = _events("response.created", "error", "response.failed", "response.failed")
    assert _match(FAILED, events) == ("the sequence was complete after `response.failed` at #2, but "
                                      "`response.failed` followed at #3")


def test_a_structural_mismatch_names_the_field():
    pattern = ["response.created", {"response.content_part.added": {"part": {"type": "refusal"}}}]
    events = [{"type": "response.created"}, {"type": "response.content_part.added", "part": {"type": "output_text"}}]
    text = _match(pattern, [{**e, "sequence_number": n} for n, e in enumerate(events)])
    assert text.startswith("event #1 (sequence_number 1) `response.content_part.added`: "
                           "part.type: expected refusal, got output_text")
    events[1]["part"] = {}
    text = _match(pattern, [{**e, "sequence_number": n} for n, e in enumerate(events)])
    assert "part.type: expected refusal, got nothing (the field is missing)" in text


def test_a_loop_that_comes_back_is_not_a_fall_back():
    pattern = ["a", {"group": ["b", "c"], "repeat": "+"}, "d"]
    assert _match(pattern, [{"type": t, "sequence_number": n} for n, t in enumerate("abcbcd")]) is None
    text = _match(pattern, [{"type": t, "sequence_number": n} for n, t in enumerate("abcb")])
    assert text == "the stream ended after event #3 `b` with the sequence unfinished: expected `c`, then `d`"


def test_the_checker_reports_the_owed_event_on_the_reference_shape():
    events = text_stream(status="failed")
    failures, _ = check(_renumber(events), sequence=FAILED)
    assert [f.message for f in failures if f.rule == "stream.sequence"] == [
        "expected `error` before `response.failed`, got `response.failed` at #9"]


# -- strict JSON in data: lines and schema messages (issue 10, item 6) ---------

@pytest.mark.parametrize("data,words", [
    ('{"type": "response.created", "type": "x"}', "appears twice"),
    ('{"type": "response.output_text.delta", "delta": NaN}', "NaN is not a JSON number"),
    ('{"type": "response.created", "n": 1e999}', "does not fit a double"),
    ("[" * 100_000 + "]" * 100_000, "nested deeper"),
])
def test_data_is_parsed_strictly(data, words):
    for checker in (StreamChecker(SETTINGS), ChatStreamChecker({})):
        checker.feed(Frame(0, None, data, 10, 0.0))
        failures = checker.finish(StreamEnd())
        found = [f.message for f in failures if f.rule == "stream.json"]
        assert len(found) == 1 and words in found[0] and "\n" not in found[0], found


def test_schema_messages_are_never_empty():
    store = default_store()
    ref = "stream-event.schema.json#/$defs/response.created"
    event = {"type": "response.created", "sequence_number": 0, "response": {
        "id": "resp_1", "object": "response", "created_at": float("inf"), "status": "in_progress",
        "model": "m", "output": []}}
    assert not store.is_valid(ref, event)
    assert [str(i) for i in store.issues(ref, event)] == ["$.response.created_at: inf is not a JSON number (not finite)"]
    assert [str(i) for i in store.issues({"type": "number"}, float("nan"))] == ["$: nan is not a JSON number (not finite)"]


def test_every_event_schema_failure_says_something():
    events = text_stream()
    events[0]["response"]["created_at"] = "yesterday"
    events[1].pop("response")
    events[4]["delta"] = None
    events[8]["item"] = []
    checker = StreamChecker(SETTINGS)
    for n, event in enumerate(events):
        checker.feed(Frame(n, event["type"], json.dumps(event), 0, 0.0))
    failures = checker.finish(StreamEnd())
    schema = [f.message for f in failures if f.rule == "stream.event_schema"]
    assert len(schema) == 4 and all(m.split("): ", 1)[1].strip() for m in schema), schema


# -- bounded memory: the reader and the frame log (issue 10, item 3) -----------

def _read(raw: bytes, chunk: int = 64, **limits):
    pieces = [raw[i:i + chunk] for i in range(0, len(raw), chunk)]
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Chunks(pieces))
    got: list[Frame] = []
    args = {"max_events": 10**6, "deadline": 1e12, "max_bytes": 10**9, "idle_timeout": 1, **limits}
    end = read_stream(response, 0.0, got.append, **args)
    return got, end


class Endless(httpx.SyncByteStream):
    """A valid stream that never ends."""

    def __iter__(self):
        n = 0
        while True:
            yield f'event: response.output_text.delta\ndata: {{"n": {n}}}\n\n'.encode()
            n += 1


def test_one_event_past_the_event_limit_stops_the_reader():
    huge = b"data: " + b"x" * 300_000 + b"\n\n"
    frames, end = _read(b"data: {}\n\n" + huge + b"data: {}\n\n", chunk=4096, max_event_bytes=100_000)
    assert len(frames) == 1
    assert end.reason == "stream.too_long"
    assert end.message.startswith("event #1 exceeds 100000 bytes without ending")


def test_the_byte_limit_stops_an_endless_stream():
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Endless())
    log = FrameLog()
    end = read_stream(response, 0.0, log.add, max_events=10**9, deadline=1e12, max_bytes=2_000_000,
                      idle_timeout=1)
    assert end.reason == "stream.too_long" and "(--max-stream-bytes)" in end.message
    assert log.received > 10_000 and len(log) < 3000


@pytest.mark.parametrize("name,raw", [
    ("lf", b"event: a\ndata: 1\n\n" * 400),
    ("crlf", b"event: a\r\ndata: 1\r\n\r\n" * 400),
    ("cr", b"event: a\rdata: 1\r\r" * 400),
    ("comments and ids", b": keep-alive\n\nid: 7\nevent: a\ndata: 1\n\n" * 400),
    ("comment-only keep-alives", b": ping\n\n" * 2000 + b"data: 1\n\n"),
])
@pytest.mark.parametrize("chunk", [1, 5, 4096])
def test_legal_framing_stays_under_a_small_event_limit(name, raw, chunk):
    frames, end = _read(raw, chunk=chunk, max_event_bytes=64)
    assert end.reason == "eof", (name, end.message)
    assert frames and all(f.data == "1" for f in frames)


def test_the_frame_log_keeps_head_tail_and_counts():
    log = FrameLog(head_bytes=2000, tail_bytes=2000)
    for n in range(10_000):
        log.add(Frame(n, "e", f"payload {n}", n * 30, 0.0))
    kept = list(log)
    assert log.received == 10_000 and len(kept) == len(log) < 100
    assert kept[0].index == 0 and kept[-1].index == 9_999
    first, last = log.gap()
    assert log.dropped == last - first + 1 == 10_000 - len(kept)
    assert [f.index for f in kept] == sorted(f.index for f in kept)
    assert [f.index for f in log[-KEEP_LAST:]] == list(range(10_000 - KEEP_LAST, 10_000))


def test_a_huge_frame_is_clipped_and_its_raw_text_says_so():
    log = FrameLog(frame_chars=100)
    log.add(Frame(0, "big", "y" * 1000, 1010, 0.0))
    (kept,) = list(log)
    assert kept.data == "y" * 100 and kept.clipped == 900
    assert kept.raw() == "event: big\ndata: " + "y" * 100 + "\n: [900 more characters of data not kept]\n\n"
    again: list[Frame] = []
    read_body(kept.raw().encode(), again.append, t=0.0, max_events=10)
    assert [(f.event, f.data) for f in again] == [("big", "y" * 100)]  # still valid SSE


def test_a_checker_keeps_a_bounded_sample_but_checks_every_event():
    events = text_stream(text_deltas=["ab"] * 20_000, final_text="ab" * 20_000)
    events[15_000]["delta"] = 3
    checker = StreamChecker(SETTINGS)
    for n, event in enumerate(events):
        checker.feed(Frame(n, event["type"], json.dumps(event), 0, 0.0))
    failures = checker.finish(StreamEnd())
    assert any(f.rule == "stream.event_schema" and "event #15000" in f.message for f in failures)
    assert checker.frames.received == len(events) and len(checker.frames) < 2000
    assert checker.terminal["status"] == "completed"


# -- a stream served with the wrong Content-Type (issue 9, item 9) -------------

def _chat_chunks():
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    return [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"},
                                  "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": None}]},
            {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}]


def _chat(raw: bytes) -> ChatStreamChecker:
    checker = ChatStreamChecker({})
    end = read_body(raw, checker.feed, t=0.5, max_events=1000)
    checker.finish(end)
    return checker


@pytest.mark.parametrize("body,is_sse", [
    (b"data: {}\n\n", True),
    (b"\xef\xbb\xbf\r\nevent: response.created\r\ndata: {}\r\n\r\n", True),
    (b": hello\nid: 1\ndata: {}\n\n", True),
    (b'{"object": "chat.completion"}', False),
    (b"<html><body>data: no</body></html>", False),
    (b"Bad Gateway", False),
    (b"", False),
    (b": only a comment\n\n", False),
])
def test_looks_like_sse(body, is_sse):
    assert looks_like_sse(body) is is_sse


def test_a_complete_body_gives_the_frames_the_live_reader_gives():
    raw = sse(text_stream()) + b": comment\nid: 3\ndata: tail\n\n"
    for body in (raw, raw.replace(b"\n", b"\r\n")):
        live, reason = frames_of(body, chunk=7)
        whole: list[Frame] = []
        end = read_body(body, whole.append, t=1.25, max_events=1000)
        assert reason == end.reason == "eof"
        assert [(f.index, f.event, f.data) for f in whole] == [(f.index, f.event, f.data) for f in live]
        assert whole[-1].offset == live[-1].offset == len(body) and {f.t for f in whole} == {1.25}
    live, _ = frames_of(raw, chunk=7)
    whole = []
    read_body(raw, whole.append, t=0.0, max_events=1000)
    assert [f.offset for f in whole] == [f.offset for f in live]  # LF framing: exact per event
    assert read_body(raw, lambda f: None, t=0, max_events=3).reason == "stream.too_long"


def test_a_mislabelled_chat_stream_is_checked_as_a_stream():
    raw = sse(_chat_chunks()) + b"data: [DONE]\n\n"
    checker = _chat(raw)
    assert checker.failures == []
    assert checker.terminal["choices"][0]["finish_reason"] == "stop"
    assert checker.terminal["choices"][0]["message"]["content"] == "Hello"
    checker = ChatStreamChecker({})
    checker.served_as("application/json")
    read_body(raw, checker.feed, t=0.0, max_events=1000)
    assert [f.render() for f in checker.finish(StreamEnd())] == [
        "[stream.content_type] the stream is served as 'application/json', not text/event-stream (its body is "
        "SSE: the stream rules were applied)"]


def test_a_mislabelled_responses_stream_is_checked_as_a_stream():
    checker = StreamChecker(SETTINGS, ["response.created", "any*", "response.completed"])
    end = read_body(sse(text_stream()), checker.feed, t=0.0, max_events=1000)
    assert checker.finish(end) == []
    assert checker.terminal["output"][0]["content"][0]["text"] == "Hello"


PATTERNS = [FAILED, ["a", {"group": ["b", "c?"], "repeat": "+"}, {"one_of": [["d"], ["e", "f"]]}, "any*"],
            ["a", "b*", {"c": {"x": {"y": 1}}}], ["any*"], ["a?", "any", "b+"]]


def test_no_event_order_makes_the_matcher_raise():
    import random

    rng = random.Random(9)
    types = ["a", "b", "c", "d", "e", "f", "error", "response.created", "response.failed", "response.completed"]
    for _ in range(3000):
        pattern = rng.choice(PATTERNS)
        m = SequenceMatcher(pattern)
        for n in range(rng.randrange(0, 8)):
            event = {"type": rng.choice(types), "x": rng.choice([{"y": 1}, {"y": 2}, 3, None]),
                     "response": {"status": rng.choice(["failed", "completed"])}}
            m.feed(n, n, event)
            m.failure_text(ended=False)
        text = m.failure_text(ended=True)
        assert text is None or (text and "\n" not in text)


def test_deltas_join_exactly_across_compaction():
    deltas = [f"{n % 7}" for n in range(5000)]

    def failures_of(final_text):
        checker = StreamChecker(SETTINGS)
        for n, event in enumerate(text_stream(text_deltas=deltas, final_text=final_text)):
            checker.feed(Frame(n, event["type"], json.dumps(event), 0, 0.0))
        return checker.finish(StreamEnd())

    assert failures_of("".join(deltas)) == []
    assert "stream.delta_join" in rules(failures_of("".join(deltas[:-1])))
