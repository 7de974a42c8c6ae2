"""The reference gateway's `stream: true`: the openai SDK as oracle, stream invariants, every stream fault."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import openai
import pytest
from gateway_probes import STALL_READ_TIMEOUT, broken_probes, memoized, probe_tests, read_stream
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from respcheck.reference import DEFAULT_API_KEY, FAULTS, ReferenceServer
from respcheck.reference.engine import (
    DEFAULT_ANSWER, PARTIAL_ANSWER, REFUSAL, UPSTREAM_FAILURE_MESSAGE, answer, reply, text_chunks, truncate,
)
from respcheck.reference.request import parse_request
from respcheck.reference.responses import build_response, resolve_model
from respcheck.reference.streaming import ARGUMENT_CHUNK, iter_stream_frames

MODEL = "ref-text-1"
HEADERS = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
TERMINALS = {"response.completed", "response.incomplete", "response.failed"}
KNOWN_EVENTS = TERMINALS | {
    "response.created", "response.in_progress", "response.output_item.added", "response.output_item.done",
    "response.content_part.added", "response.content_part.done", "response.output_text.delta",
    "response.output_text.done", "response.refusal.delta", "response.refusal.done",
    "response.reasoning_summary_part.added", "response.reasoning_summary_part.done",
    "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done",
    "response.function_call_arguments.delta", "response.function_call_arguments.done", "error",
}
EVENT_ADAPTER = TypeAdapter(ResponseStreamEvent)
COUNT_2000 = " ".join(str(n) for n in range(1, 2001))
CODE_WORD_CHAT = [
    {"role": "user", "content": "My code word is BLUEBIRD."},
    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Noted."}]},
    {"role": "user", "content": [{"type": "input_text", "text": "What is my code word?"}]},
]




def sdk(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=DEFAULT_API_KEY, max_retries=0)


# --- a few lines of SSE parsing -----------------------------------------------------------------

@dataclass
class Frame:
    event: str | None  # the `event:` line, None when absent
    data: str
    json: object = None  # the parsed data, None when it is not JSON


def parse_sse(raw: bytes) -> list[Frame]:
    frames = []
    for block in raw.decode().replace("\r\n", "\n").split("\n\n"):
        lines = [line for line in block.split("\n") if line]
        if not lines:
            continue
        event = next((line[len("event:"):].strip() for line in lines if line.startswith("event:")), None)
        data = "\n".join(line[len("data:"):].removeprefix(" ") for line in lines if line.startswith("data:"))
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        frames.append(Frame(event, data, parsed))
    return frames


@dataclass
class Streamed:
    status: int
    content_type: str
    frames: list[Frame]
    error: str | None  # "timeout" (stalled), "cut" (body not finished) or None
    seconds: float
    events: list[dict] = field(init=False)  # the frames whose data is a JSON object

    def __post_init__(self):
        self.events = [frame.json for frame in self.frames if isinstance(frame.json, dict)]

    def of_type(self, kind: str) -> list[dict]:
        return [event for event in self.events if event.get("type") == kind]

    @property
    def terminals(self) -> list[dict]:
        return [event for event in self.events if event.get("type") in TERMINALS]


def stream(http: httpx.Client, server, body: dict, read_timeout: float = STALL_READ_TIMEOUT) -> Streamed:
    """POST with stream: true and read the whole body (or until it stalls or is cut)."""
    start = time.monotonic()
    resp, raw, error = read_stream(http, server.base_url + "/responses", body, headers=HEADERS,
                                   read_timeout=read_timeout)
    return Streamed(resp.status_code, resp.headers.get("content-type", ""), parse_sse(raw), error,
                    time.monotonic() - start)


def text_of(response: dict) -> str:
    """Like the SDK's output_text: every output_text part, joined."""
    return "".join(part["text"] for item in response["output"] if item["type"] == "message"
                   for part in item["content"] if part["type"] == "output_text")


# --- the invariants every clean stream keeps ------------------------------------------------------

def assert_well_formed(result: Streamed) -> dict:
    """The contract's stream rules, checked on a clean stream; returns the terminal response."""
    assert result.status == 200 and result.error is None
    assert result.content_type.startswith("text/event-stream")
    assert all(isinstance(frame.json, dict) for frame in result.frames), "every data line is a JSON object"
    assert all(frame.event == frame.json["type"] for frame in result.frames), "event line equals data.type"
    events = result.events
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    assert events[0]["type"] == "response.created" and events[1]["type"] == "response.in_progress"
    for event in events[:2]:
        assert event["response"]["status"] == "in_progress" and event["response"]["output"] == []
    assert [event["type"] in TERMINALS for event in events].count(True) == 1
    terminal = events[-1]
    assert terminal["type"] == f"response.{terminal['response']['status']}"
    response = terminal["response"]
    assert response["usage"] is not None
    assert all(event["response"]["id"] == response["id"] for event in events if "response" in event)
    for event in events:
        if event["type"] != "response.failed":  # the SDK's ResponseError.code enum has no upstream_error
            EVENT_ADAPTER.validate_python(event)
    if response["status"] != "failed":
        Response.model_validate(response)

    # Rebuild the output from the events alone; it must equal the terminal response's output.
    items: dict[int, dict] = {}
    deltas: dict[tuple, str] = {}
    for event in events:
        kind = event["type"]
        where = (event.get("output_index"), event.get("content_index", event.get("summary_index")))
        if kind == "response.output_item.added":
            assert event["output_index"] not in items
            items[event["output_index"]] = event["item"]
        elif kind in ("response.content_part.added", "response.reasoning_summary_part.added"):
            item = items[event["output_index"]]
            assert item["id"] == event["item_id"]
            deltas[where] = ""
        elif kind.endswith(".delta"):
            assert items[event["output_index"]]["id"] == event["item_id"]
            deltas[where] = deltas.get(where, "") + event["delta"]
        elif kind == "response.output_text.done":
            assert deltas[where] == event["text"]
        elif kind == "response.refusal.done":
            assert deltas[where] == event["refusal"]
        elif kind == "response.content_part.done":
            assert deltas[where] == event["part"].get("text", event["part"].get("refusal"))
        elif kind == "response.output_item.done":
            assert items[event["output_index"]]["id"] == event["item"]["id"]
            items[event["output_index"]] = event["item"]
    if response["status"] == "failed":
        [error] = result.of_type("error")
        assert events.index(error) == len(events) - 2
        assert error["code"] == response["error"]["code"] and error["param"] is None
        [item] = items.values()  # the interrupted item: never done, its text is what the deltas said
        assert not result.of_type("response.output_item.done")
        assert response["output"][0]["status"] == "incomplete"
        assert response["output"][0]["content"][0]["text"] == deltas[(0, 0)]
    else:
        assert [items[index] for index in sorted(items)] == response["output"]
    return response


# --- the oracle: the openai SDK's own stream helper ----------------------------------------------

# name -> (request arguments, expected output_text, how the stream ends)
STREAM_KINDS = {
    "short-text": ({"input": "Reply with exactly: PONG"}, "PONG", "completed"),
    "default": ({"input": "hello there"}, DEFAULT_ANSWER, "completed"),
    "long-count": ({"input": "Count from 1 to 2000"}, COUNT_2000, "completed"),
    "two-parts": ({"input": "Reply in two parts: Alpha beta || Gamma"}, "Alpha betaGamma", "completed"),
    "instructions": ({"instructions": "Reply with exactly: PONG", "input": "hi"}, "PONG", "completed"),
    "multi-turn": ({"input": CODE_WORD_CHAT}, "BLUEBIRD", "completed"),
    "refusal": ({"input": "Please refuse this request."}, "", "completed"),
    "truncation": ({"input": "Count from 1 to 50", "max_output_tokens": 16},
                   " ".join(str(n) for n in range(1, 17)), "incomplete"),
    "upstream-failure": ({"input": "Simulate an upstream failure"}, PARTIAL_ANSWER, "failed"),
}


@pytest.mark.parametrize("kind", STREAM_KINDS)
def test_sdk_stream_helper_accepts_every_clean_stream(server, kind):
    request, expected, ending = STREAM_KINDS[kind]
    client = sdk(server)
    with client.responses.stream(model=MODEL, **request) as live:
        events = list(live)
        if ending == "completed":
            final = live.get_final_response()
        else:
            # openai 3.x only records `response.completed`; on response.incomplete and
            # response.failed get_final_response raises, after every event was delivered.
            with pytest.raises(RuntimeError, match="response.completed"):
                live.get_final_response()
            final = events[-1].response
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].type == f"response.{ending}"
    assert final.status == ending and final.output_text == expected
    streamed_deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert streamed_deltas == expected

    if kind == "refusal":
        [part] = final.output[0].content
        assert part.type == "refusal" and part.refusal == REFUSAL
        assert "".join(e.delta for e in events if e.type == "response.refusal.delta") == REFUSAL
    if kind == "two-parts":
        assert [part.text for part in final.output[0].content] == ["Alpha beta", "Gamma"]
    if ending == "incomplete":
        assert final.incomplete_details.reason == "max_output_tokens"
        assert final.usage.output_tokens == 16 and final.output[0].status == "incomplete"
    if ending == "failed":
        # The flat error event is delivered as an ordinary event (no exception), then response.failed.
        error = events[-2]
        assert error.type == "error" and error.code == "upstream_error" and error.param is None
        assert error.message == UPSTREAM_FAILURE_MESSAGE
        assert final.error.code == "upstream_error" and final.usage is not None
        assert final.output[0].status == "incomplete"

    # The same request without streaming gives the same text (or the same failure, as HTTP 502).
    if ending == "failed":
        with pytest.raises(openai.InternalServerError) as raised:
            client.responses.create(model=MODEL, **request)
        assert raised.value.status_code == 502 and raised.value.code == "upstream_error"
    else:
        plain = client.responses.create(model=MODEL, **request)
        assert plain.output_text == final.output_text and plain.status == final.status
        assert plain.usage.output_tokens == final.usage.output_tokens


@pytest.mark.parametrize("kind", STREAM_KINDS)
def test_clean_streams_keep_every_stream_rule(http, server, kind):
    request, expected, ending = STREAM_KINDS[kind]
    response = assert_well_formed(stream(http, server, {"model": MODEL, **request}))
    assert response["status"] == ending and text_of(response) == expected


def test_sdk_raises_on_a_chat_style_error_frame():
    """What a client sees when a gateway sends Chat Completions error frames inside a Responses stream."""
    with ReferenceServer(faults=["stream_chat_error_frame"]) as faulty:
        with sdk(faulty).responses.stream(model=MODEL, input="Simulate an upstream failure") as live:
            with pytest.raises(openai.APIError, match="upstream provider failed"):
                list(live)


def test_stream_framing_details(http, server):
    result = stream(http, server, {"model": MODEL, "input": "Reply with exactly: one two  three"})
    assert result.content_type == "text/event-stream; charset=utf-8"
    deltas = [event["delta"] for event in result.of_type("response.output_text.delta")]
    assert deltas == ["one ", "two  ", "three"]  # one per word, with the whitespace after it
    assert all(event["logprobs"] == [] for event in result.of_type("response.output_text.delta"))
    assert not any(frame.data == "[DONE]" for frame in result.frames)
    with http.stream("POST", server.base_url + "/responses", headers=HEADERS,
                     json={"model": MODEL, "input": "hi", "stream": True}) as resp:
        raw = resp.read()
        assert resp.headers["x-request-id"].startswith("req_")
        assert resp.headers["cache-control"] == "no-cache"
    assert raw.startswith(b"event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,")
    assert raw.endswith(b"}\n\n")
    for line in raw.decode().split("\n"):
        if line.startswith("data: "):  # compact JSON, one line per frame
            assert json.dumps(json.loads(line[6:]), separators=(",", ":"), ensure_ascii=False) == line[6:]


@pytest.mark.parametrize(("body", "key", "status", "code"), [
    ({"model": "no-such-model", "input": "hi"}, DEFAULT_API_KEY, 404, "model_not_found"),
    ({"model": MODEL, "input": "hi"}, "wrong-key", 401, "invalid_api_key"),
    ({"model": MODEL, "input": {"a": 1}}, DEFAULT_API_KEY, 400, "invalid_parameter_value"),
    ({"model": MODEL, "input": "hi", "store": True}, DEFAULT_API_KEY, 400, "operation_not_allowed"),
])
def test_errors_before_the_stream_are_plain_json(http, server, body, key, status, code):
    resp = http.post(server.base_url + "/responses", json={**body, "stream": True},
                     headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == status
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    assert resp.json()["error"]["code"] == code


# --- the pure frame generator -----------------------------------------------------------------------

def _response(output: list[dict], status: str = "completed") -> dict:
    return {"id": "resp_" + "a" * 24, "object": "response", "created_at": 1, "status": status,
            "completed_at": 1, "model": MODEL, "output": output, "error": None, "incomplete_details": None,
            "usage": {"input_tokens": 1, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                      "output_tokens": 2, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 3},
            "tools": [], "tool_choice": "auto", "parallel_tool_calls": True, "metadata": {}}


def _message(text: str) -> dict:
    return {"id": "msg_" + "b" * 24, "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def test_iter_stream_frames_is_lazy():
    words = 100_000
    frames = iter_stream_frames(_response([_message(" ".join(["w"] * words))]))
    assert isinstance(frames, Iterator)
    assert next(frames).startswith(b"event: response.created\n")
    count = 1 + sum(1 for _ in frames)
    assert count == 2 + 1 + 1 + words + 1 + 1 + 1 + 1  # created, in_progress, item/part added, deltas, dones, terminal


def test_function_call_and_reasoning_items_stream_in_contract_order():
    reasoning = {"id": "rs_" + "c" * 24, "type": "reasoning", "status": "completed",
                 "summary": [{"type": "summary_text", "text": "First I think."},
                             {"type": "summary_text", "text": "Then I call."}]}
    call = {"id": "fc_" + "d" * 24, "type": "function_call", "call_id": "call_1", "name": "get_weather",
            "arguments": json.dumps({"city": "Paris", "unit": "celsius", "days": 3}), "status": "completed"}
    response = _response([reasoning, call, _message("Done.")])
    result = Streamed(200, "text/event-stream", parse_sse(b"".join(iter_stream_frames(response))), None, 0)
    assert assert_well_formed(result) == response
    kinds = [event["type"] for event in result.events]
    assert kinds[:12] == [
        "response.created", "response.in_progress", "response.output_item.added",
        "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
        "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
    ]
    call_events = [event for event in result.events if event.get("output_index") == 1]
    assert call_events[0]["item"]["arguments"] == "" and call_events[0]["item"]["status"] == "in_progress"
    chunks = -(-len(call["arguments"]) // ARGUMENT_CHUNK)
    assert chunks > 1
    assert [event["type"] for event in call_events[1:-2]] == ["response.function_call_arguments.delta"] * chunks
    assert "".join(event["delta"] for event in call_events[1:-2]) == call["arguments"]
    assert call_events[-2]["type"] == "response.function_call_arguments.done"
    assert (call_events[-2]["arguments"], call_events[-2]["name"]) == (call["arguments"], "get_weather")
    assert call_events[-1]["type"] == "response.output_item.done"
    assert (call_events[-1]["output_index"], call_events[-1]["item"]) == (1, call)

    # The SDK's own accumulator rebuilds the same response from these events.
    state = ResponseStreamState(input_tools=[{"type": "function", "name": "get_weather", "parameters": {},
                                              "strict": False}], text_format=openai.omit)
    for event in result.events:
        state.handle_event(EVENT_ADAPTER.validate_python(event))
    final = state._completed_response
    assert final.output_text == "Done."
    assert final.output[1].arguments == call["arguments"]
    assert [part.text for part in final.output[0].summary] == ["First I think.", "Then I call."]


# --- engine additions ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "expected"), [
    ("count from 1 to 5, please", "1 2 3 4 5"),
    ("Count from 1 to 200000", " ".join(str(n) for n in range(1, 200_001))),
    ("Count from 1 to 200001", DEFAULT_ANSWER),
    ("Count from 1 to 0", DEFAULT_ANSWER),
    ("Please refuse this request.", REFUSAL),
    ("I was refused once.", DEFAULT_ANSWER),  # the word "refuse" itself, not words containing it
    ("Reply in two parts: 'Left side' || Right", "Left sideRight"),
    ("Reply with exactly: refuse", "refuse"),
])
def test_engine_rules(question, expected):
    assert answer(None, [("user", question)]) == expected


def test_engine_reply_shapes():
    assert reply(None, [("user", "please REFUSE")]).parts == (("refusal", REFUSAL),)
    assert reply(None, [("user", "Reply in two parts: A || B")]).parts == (("output_text", "A"), ("output_text", "B"))
    failing = reply(None, [("user", "Simulate an upstream failure now")])
    assert failing.failed and failing.parts == (("output_text", PARTIAL_ANSWER),)
    assert not reply(None, [("user", "hi")]).failed


def test_text_chunks_and_truncate():
    for text in ("a b", " lead", "tail  ", "x\n\ny z", "", "   "):
        assert "".join(text_chunks(text)) == text
    parts = (("output_text", "one two three"), ("output_text", "four five"))
    assert truncate(parts, 10) == (parts, False)
    assert truncate(parts, 5) == (parts, False)
    assert truncate(parts, 2) == ((("output_text", "one two"),), True)
    assert truncate(parts, 4) == ((("output_text", "one two three"), ("output_text", "four")), True)
    assert truncate(parts, None) == (parts, False)


def test_non_streaming_truncation_and_refusal(http, server):
    body = http.post(server.base_url + "/responses", headers=HEADERS,
                     json={"model": MODEL, "input": "Count from 1 to 100", "max_output_tokens": 20}).json()
    assert body["status"] == "incomplete" and body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert body["completed_at"] is None and body["output"][0]["status"] == "incomplete"
    assert text_of(body) == " ".join(str(n) for n in range(1, 21)) and body["usage"]["output_tokens"] == 20
    Response.model_validate(body)
    body = http.post(server.base_url + "/responses", headers=HEADERS,
                     json={"model": MODEL, "input": "Please refuse this request."}).json()
    assert body["output"][0]["content"] == [{"type": "refusal", "refusal": REFUSAL}]
    assert body["status"] == "completed"


# --- every stream fault -----------------------------------------------------------------------------

TEXT = {"model": MODEL, "input": "hello there"}  # six words, six deltas
FAIL = {"model": MODEL, "input": "Simulate an upstream failure"}
TRUNC = {"model": MODEL, "input": "Count from 1 to 50", "max_output_tokens": 16}
DELTA = "response.output_text.delta"


def _numbers(r: Streamed) -> list[int]:
    return [event["sequence_number"] for event in r.events if "sequence_number" in event]


def _steps(r: Streamed) -> list[int]:
    numbers = _numbers(r)
    return [b - a for a, b in zip(numbers, numbers[1:])]


def _joined_deltas(r: Streamed) -> str | None:
    deltas = [event["delta"] for event in r.of_type(DELTA)]
    return "".join(deltas) if all(isinstance(delta, str) for delta in deltas) else None


def _text_done(r: Streamed) -> str | None:
    done = r.of_type("response.output_text.done")
    return done[0]["text"] if done else None


def _item_done_text(r: Streamed) -> str | None:
    done = r.of_type("response.output_item.done")
    return done[0]["item"]["content"][0]["text"] if done else None


def _after_terminal(r: Streamed) -> list[dict]:
    kinds = [event.get("type") for event in r.events]
    first = next((i for i, kind in enumerate(kinds) if kind in TERMINALS), len(kinds))
    return [event for event in r.events[first + 1:] if event.get("type") not in TERMINALS]


def _ends(r: Streamed, kind: str) -> bool:
    return bool(r.terminals) and r.terminals[-1]["type"] == kind


# fault -> (probe request, "is broken" predicate on the stream). Each predicate is narrow: on a
# gateway with any other single stream fault it stays False (test_stream_fault_breaks_only_its_own_probe).
STREAM_PROBES = {
    "stream_error_code_wrong": (FAIL, lambda r: any(e.get("code") == "server_error" for e in r.of_type("error"))),
    "stream_seq_missing": (TEXT, lambda r: any("sequence_number" not in e for e in r.of_type(DELTA))),
    "stream_seq_duplicate": (TEXT, lambda r: any(step <= 0 for step in _steps(r))),
    "stream_seq_gap": (TEXT, lambda r: any(step > 1 for step in _steps(r))),
    "stream_event_line_mismatch": (TEXT, lambda r: any(f.event is not None and isinstance(f.json, dict)
                                                       and f.event != f.json.get("type") for f in r.frames)),
    "stream_event_line_missing": (TEXT, lambda r: bool(r.frames) and all(f.event is None for f in r.frames)),
    "stream_delta_dropped": (TEXT, lambda r: None not in (_joined_deltas(r), _text_done(r))
                             and _joined_deltas(r) != _text_done(r)),
    "stream_done_text_differs": (TEXT, lambda r: None not in (_item_done_text(r), _text_done(r))
                                 and _item_done_text(r) != _text_done(r)),
    "stream_completed_empty_output": (TEXT, lambda r: bool(r.terminals)
                                      and r.terminals[-1]["response"]["output"] == []),
    "stream_item_added_missing": (TEXT, lambda r: r.error is None and not r.of_type("response.output_item.added")),
    "stream_part_added_missing": (TEXT, lambda r: r.error is None and bool(r.of_type("response.output_text.delta"))
                                  and not r.of_type("response.content_part.added")),
    "stream_item_done_missing": (TEXT, lambda r: r.error is None and not r.of_type("response.output_item.done")),
    "stream_two_terminals": (TEXT, lambda r: len(r.terminals) > 1),
    "stream_event_after_terminal": (TEXT, lambda r: bool(_after_terminal(r))),
    "stream_no_terminal": (TEXT, lambda r: r.error is None and not r.terminals),
    "stream_done_sentinel": (TEXT, lambda r: any(f.data == "[DONE]" for f in r.frames)),
    "stream_chat_error_frame": (FAIL, lambda r: any("error" in e and "type" not in e for e in r.events)),
    "stream_error_not_failed": (FAIL, lambda r: bool(r.of_type("error")) and _ends(r, "response.completed")),
    "stream_truncation_completed": (TRUNC, lambda r: _ends(r, "response.completed")),
    "stream_usage_missing": (TEXT, lambda r: bool(r.terminals)
                             and r.terminals[-1]["response"].get("usage") is None),
    "stream_first_event_wrong": (TEXT, lambda r: bool(r.events) and r.events[0].get("type") != "response.created"),
    "stream_wrong_content_type": (TEXT, lambda r: not r.content_type.startswith("text/event-stream")),
    "stream_stall": (TEXT, lambda r: r.error == "timeout"),
    "stream_cut": (TEXT, lambda r: r.error == "cut"),
    "stream_index_mismatch": (TEXT, lambda r: any(e["output_index"] != 0 for e in r.of_type(DELTA))),
    "stream_item_id_mismatch": (TEXT, lambda r: any(e["item_id"] != d["item_id"] for e in r.of_type(DELTA)
                                                    for d in r.of_type("response.output_text.done"))),
    "stream_bad_json": (TEXT, lambda r: any(f.json is None and f.data != "[DONE]" for f in r.frames)),
    "stream_event_schema": (TEXT, lambda r: any(not isinstance(e["delta"], str) for e in r.of_type(DELTA))),
    "stream_unknown_event": (TEXT, lambda r: any(e.get("type", "error") not in KNOWN_EVENTS for e in r.events)),
    "stream_created_usage": (TEXT, lambda r: any(e["response"]["status"] != "in_progress"
                                                 for e in r.of_type("response.created"))),
}


def _broken_stream_probes(http, server) -> set[str]:
    streamed = memoized(lambda request: stream(http, server, request))

    def answer(name: str, request: dict) -> Streamed:
        result = streamed(request)
        assert result.seconds < STALL_READ_TIMEOUT + 7, f"{name}: the probe took {result.seconds:.1f} s"
        return result

    return broken_probes(STREAM_PROBES, answer)


def test_stream_fault_table_covers_every_stream_fault():
    stream_faults = {name for name, fault in FAULTS.items() if fault.area == "streaming"}
    assert set(STREAM_PROBES) == stream_faults and len(stream_faults) == 30
    for name in stream_faults:
        assert FAULTS[name].rule.startswith("stream.") or FAULTS[name].rule == "usage.present"


test_clean_gateway_breaks_no_stream_probe, test_stream_fault_breaks_only_its_own_probe = probe_tests(
    STREAM_PROBES, _broken_stream_probes, faults=STREAM_PROBES)


@pytest.mark.parametrize(("fault", "numbers"), [
    ("stream_seq_duplicate", [0, 1, 1, 2, 3]),
    ("stream_seq_gap", [0, 1, 2, 3, 5, 6]),
])
def test_sequence_faults_exactly(http, fault, numbers):
    with ReferenceServer(faults=[fault]) as faulty:
        got = _numbers(stream(http, faulty, TEXT))
    assert got[:len(numbers)] == numbers
    assert got[len(numbers):] == list(range(numbers[-1] + 1, numbers[-1] + 1 + len(got) - len(numbers)))


@pytest.mark.parametrize(("fault", "error"), [("stream_stall", "timeout"), ("stream_cut", "cut")])
def test_stall_and_cut_after_three_events(http, fault, error):
    with ReferenceServer(faults=[fault]) as faulty:
        result = stream(http, faulty, TEXT)
    assert result.error == error and result.seconds < STALL_READ_TIMEOUT + 7  # the stall ends with the client
    assert [event["type"] for event in result.events] == [
        "response.created", "response.in_progress", "response.output_item.added"]


def test_stop_returns_promptly_while_a_stream_is_stalled():
    faulty = ReferenceServer(faults=["stream_stall"]).start()
    started, outcome = threading.Event(), {}

    def read():
        try:
            with httpx.stream("POST", faulty.base_url + "/responses", json={**TEXT, "stream": True},
                              headers=HEADERS, timeout=30) as resp:
                for _ in resp.iter_bytes():
                    started.set()
            outcome["end"] = "clean"
        except httpx.HTTPError as exc:
            outcome["end"] = type(exc).__name__

    reader = threading.Thread(target=read)
    reader.start()
    try:
        assert started.wait(5)
        time.sleep(0.2)
        begin = time.monotonic()
        faulty.stop()
        assert time.monotonic() - begin < 2
    finally:
        faulty.stop()
    reader.join(5)
    assert not reader.is_alive() and outcome["end"] == "RemoteProtocolError"  # the body was never finished


def test_transport_faults_do_not_touch_the_pure_frames():
    response = _response([_message("a b c")])
    clean = parse_sse(b"".join(iter_stream_frames(response)))
    for fault in ("stream_stall", "stream_cut", "stream_wrong_content_type"):
        assert parse_sse(b"".join(iter_stream_frames(response, [fault]))) == clean


def _fault_stream(question: str, *faults: str) -> Streamed:
    """The stream of a faulty gateway for one question, made without HTTP."""
    parsed = parse_request({"model": MODEL, "input": question}, frozenset())
    response = build_response(parsed, resolve_model(parsed, frozenset()), frozenset())
    return Streamed(200, "text/event-stream", parse_sse(b"".join(iter_stream_frames(response, faults))), None, 0)


REFUSAL_DELTA = "response.refusal.delta"
REFUSAL_PROBES = {
    "stream_seq_missing": lambda r: any("sequence_number" not in e for e in r.of_type(REFUSAL_DELTA)),
    "stream_index_mismatch": lambda r: any(e["output_index"] == 1 for e in r.of_type(REFUSAL_DELTA)),
    "stream_item_id_mismatch": lambda r: any(e["item_id"] != r.of_type("response.refusal.done")[0]["item_id"]
                                             for e in r.of_type(REFUSAL_DELTA)),
    "stream_event_schema": lambda r: any(not isinstance(e["delta"], str) for e in r.of_type(REFUSAL_DELTA)),
    "stream_delta_dropped": lambda r: "".join(e["delta"] for e in r.of_type(REFUSAL_DELTA)) != REFUSAL,
    "stream_bad_json": lambda r: any(f.json is None for f in r.frames),
}


@pytest.mark.parametrize("fault", sorted(REFUSAL_PROBES))
def test_delta_faults_touch_refusal_deltas_too(fault):
    assert not REFUSAL_PROBES[fault](_fault_stream("Please refuse this request."))
    assert REFUSAL_PROBES[fault](_fault_stream("Please refuse this request.", fault))


def test_done_text_differs_changes_only_output_item_done():
    result = _fault_stream("Reply with exactly: PONG", "stream_done_text_differs")
    assert _text_done(result) == "PONG" and _joined_deltas(result) == "PONG"
    [done] = result.of_type("response.output_item.done")
    assert done["item"]["content"][0]["text"] == "PONG (revised)"
    assert text_of(result.terminals[0]["response"]) == "PONG"


def test_delta_dropped_still_sends_a_delta_of_a_one_word_answer():
    result = _fault_stream("Reply with exactly: PONG", "stream_delta_dropped")
    assert [event["delta"] for event in result.of_type(DELTA)] == ["PO"] and _text_done(result) == "PONG"


def test_error_not_failed_finishes_the_item_and_completes():
    result = _fault_stream("Simulate an upstream failure", "stream_error_not_failed")
    assert [event["type"] for event in result.events][-4:] == [
        "response.content_part.done", "response.output_item.done", "error", "response.completed"]
    terminal = result.terminals[0]["response"]
    assert (terminal["status"], terminal["error"]) == ("completed", None)


def test_unknown_event_comes_right_after_in_progress():
    kinds = [event["type"] for event in _fault_stream("hi", "stream_unknown_event").events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.keepalive", "response.output_item.added"]


def test_success_status_202_applies_to_streams_too(http):
    with ReferenceServer(faults=["success_status_202"]) as faulty:
        result = stream(http, faulty, TEXT)
    assert result.status == 202 and result.terminals[0]["type"] == "response.completed"
