"""The reference gateway's features (tools, structured output, vision, reasoning, logprobs, prompt
caching, truncation), plain and streamed, with the openai SDK as oracle; and every feature fault."""

from __future__ import annotations

import base64
import json
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Literal

import httpx
import openai
import pytest
from gateway_probes import BODY_READING_FAULTS, broken_probes, probe_tests, read_stream
from openai.types.responses import (
    Response,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseReasoningItem,
    ResponseStreamEvent,
)
from pydantic import BaseModel, TypeAdapter

from respcheck.reference import DEFAULT_API_KEY, FAULTS, ReferenceServer
from respcheck.reference.assets import ASSETS, data_url, png
from respcheck.reference.cache import PromptCache, cached_tokens
from respcheck.reference.catalog import MODELS
from respcheck.reference.engine import DEFAULT_ANSWER, NO_IMAGE, text_chunks
from respcheck.reference.faults import FEATURE_AREAS
from respcheck.reference.logprobs import entries
from respcheck.reference.request import parse_request
from respcheck.reference.responses import build_response, resolve_model
from respcheck.reference.streaming import ARGUMENT_CHUNK, iter_stream_frames
from respcheck.reference.structured import render
from respcheck.reference.tools import build_arguments, decide
from respcheck.reference.vision import COLOURS, Picture, UnsupportedImage, colour_name, decode_png, unfilter_row

MODEL = "ref-text-1"
HEADERS = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
EVENT_ADAPTER = TypeAdapter(ResponseStreamEvent)
TERMINALS = ("response.completed", "response.incomplete", "response.failed")

WEATHER = {"type": "function", "name": "get_weather", "description": "Current weather for a city.",
           "parameters": {"type": "object", "properties": {"location": {"type": "string"},
                                                           "unit": {"type": "string", "enum": ["celsius", "f"]}},
                          "required": ["location"], "additionalProperties": False}}
TIME = {"type": "function", "name": "get_time",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
PLACE_FORMAT = {"type": "json_schema", "name": "place", "strict": True, "schema": {
    "type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"], "additionalProperties": False}}
RED = data_url("red-8x8.png")
LOGPROBS = "message.output_text.logprobs"
LONG_PROMPT = " ".join(f"rule{n} applies." for n in range(60))  # 120 tokens


def sdk(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=DEFAULT_API_KEY, max_retries=0)


def image_input(text: str, url: str = RED) -> list[dict]:
    return [{"role": "user", "content": [{"type": "input_text", "text": text},
                                         {"type": "input_image", "image_url": url, "detail": "low"}]}]


# --- reading answers (tolerant of every fault's shape) -------------------------------------------

def send(http, server, body: dict) -> httpx.Response:
    return http.post(server.base_url + "/responses", json=body, headers=HEADERS)


@dataclass
class Streamed:
    events: list[dict]
    error: str | None = None
    response: dict | None = field(init=False)  # the terminal event's response

    def __post_init__(self):
        terminals = [e for e in self.events if e.get("type") in TERMINALS]
        self.response = terminals[-1].get("response") if terminals else None

    def of_type(self, kind: str) -> list[dict]:
        return [event for event in self.events if event.get("type") == kind]


def parse_events(raw: bytes) -> list[dict]:
    events = []
    for block in raw.decode().replace("\r\n", "\n").split("\n\n"):
        data = "\n".join(line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:"))
        try:
            event = json.loads(data)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def stream(http, server, body: dict) -> Streamed:
    resp, raw, error = read_stream(http, server.base_url + "/responses", body, headers=HEADERS)
    if resp.status_code >= 400:
        return Streamed([], f"HTTP {resp.status_code}")
    return Streamed(parse_events(raw), error)


def body_of(result) -> dict:
    """The Response of a plain answer (a dict or an HTTP success), or of a stream's terminal event."""
    if isinstance(result, dict):
        return result
    if isinstance(result, Streamed):
        return result.response or {}
    try:
        body = result.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) and result.is_success else {}


def items(result, kind: str) -> list[dict]:
    return [i for i in body_of(result).get("output") or [] if isinstance(i, dict) and i.get("type") == kind]


def text_parts(result) -> list[dict]:
    return [p for m in items(result, "message") if isinstance(m.get("content"), list)
            for p in m["content"] if isinstance(p, dict) and p.get("type") == "output_text"]


def text(result) -> str:
    """The answer text like the SDK's output_text (string content tolerated)."""
    out = []
    for message in items(result, "message"):
        content = message.get("content")
        out.append(content if isinstance(content, str) else "".join(
            p.get("text", "") for p in content or [] if isinstance(p, dict) and p.get("type") == "output_text"))
    return "".join(out)


def usage(result) -> dict | None:
    found = body_of(result).get("usage")
    return found if isinstance(found, dict) else None


def loads(value):
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None


def without_ids(value):
    """Outputs of two requests compare equal once the random ids are gone."""
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k not in ("id", "call_id")}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


# --- the stream invariants of the new items -------------------------------------------------------

def assert_stream_agrees(result: Streamed) -> dict:
    """Deltas join to their .done, which equals the done item and the terminal response; returns it."""
    assert result.error is None and result.response is not None
    events = result.events
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    for event in events:
        EVENT_ADAPTER.validate_python(event)
    Response.model_validate(result.response)
    done_items: dict[int, dict] = {}
    joined: dict[tuple, str] = {}
    for event in events:
        kind = event["type"]
        key = (event.get("output_index"), event.get("content_index", event.get("summary_index")))
        if kind.endswith(".delta"):
            joined[key] = joined.get(key, "") + event["delta"]
        elif kind == "response.function_call_arguments.done":
            assert joined.get(key, "") == event["arguments"]
            assert all(len(e["delta"]) <= ARGUMENT_CHUNK for e in result.of_type(
                "response.function_call_arguments.delta") if e["output_index"] == event["output_index"])
        elif kind == "response.reasoning_summary_text.done":
            assert joined[key] == event["text"]
        elif kind == "response.output_text.done":
            assert joined[key] == event["text"]
        elif kind == "response.output_item.added":
            item = event["item"]
            if item["type"] == "function_call":
                assert item["arguments"] == "" and item["status"] == "in_progress"
            if item["type"] == "reasoning":
                assert item["summary"] == []
        elif kind == "response.output_item.done":
            done_items[event["output_index"]] = event["item"]
    assert [done_items[i] for i in sorted(done_items)] == result.response["output"]
    return result.response


def both(http, server, body: dict) -> tuple[dict, dict]:
    """The plain answer and the streamed one; their outputs agree (ids aside)."""
    plain = send(http, server, body)
    assert plain.status_code == 200, plain.text
    streamed = assert_stream_agrees(stream(http, server, body))
    assert without_ids(streamed["output"]) == without_ids(plain.json()["output"])
    assert uncached(streamed["usage"]) == uncached(plain.json()["usage"])
    return plain.json(), streamed


def uncached(found: dict) -> dict:
    """Usage without cached_tokens (a repeated long prompt is a cache hit the second time)."""
    return {**found, "input_tokens_details": {**found["input_tokens_details"], "cached_tokens": None}}


def assert_error(resp, status, code, param, type_="invalid_request_error", message=None):
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (type_, code, param)
    if message:
        assert message in error["message"]


# === function tools =================================================================================

@pytest.mark.parametrize(("question", "choice", "parallel", "expected"), [
    ("Use the get_weather tool for Paris.", "auto", True, [("get_weather", "Paris")]),
    ("Use the get_weather tool for Paris and for Tokyo, in parallel.", "auto", True,
     [("get_weather", "Paris"), ("get_weather", "Tokyo")]),
    ("Use the get_weather tool for Paris and for Tokyo.", "auto", False, [("get_weather", "Paris")]),
    ("Call get_time for New York and get_weather for Oslo.", "auto", True,
     [("get_time", "New York"), ("get_weather", "Oslo")]),
    ("Call get_weather and get_time for Rome.", "auto", True, [("get_weather", "Rome"), ("get_time", "Rome")]),
    ("Use the get_weather tool.", "auto", True, [("get_weather", "example")]),
    ("Use the get_weather tool for Paris.", "none", True, []),
    ("Tell me about Rome.", "auto", True, []),
    ("Tell me about Rome.", "required", True, [("get_weather", "Rome")]),
    ("tell me something.", "required", True, [("get_weather", "example")]),
    ("Use the get_weather tool for Paris.", "required", True, [("get_weather", "Paris")]),
    ("I am planning a trip to Lisbon.", {"type": "function", "name": "get_time"}, True, [("get_time", "Lisbon")]),
    ("Use get_weather for Oslo.", {"type": "function", "name": "get_time"}, True, [("get_time", "Oslo")]),
    ("I mention get_weathers and my_get_weather only.", "auto", True, []),
])
def test_tool_decisions(question, choice, parallel, expected):
    body = {"tools": [WEATHER, TIME], "tool_choice": choice, "parallel_tool_calls": parallel}
    calls = decide(body, question, frozenset())
    key = {"get_weather": "location", "get_time": "city"}
    assert [(name, args[key[name]]) for name, args in calls] == expected


def test_arguments_follow_the_parameters_schema():
    schema = {"type": "object", "required": ["n", "label", "x", "ok", "kind", "size", "tags", "opt", "inner"],
              "properties": {"n": {"type": "integer"}, "label": {"type": ["string", "null"]}, "x": {"type": "number"},
                             "ok": {"type": "boolean"}, "kind": {"enum": ["a", "b"]}, "size": {"type": "string"},
                             "tags": {"type": "array"}, "opt": {"const": 3}, "skip": {"type": "string"},
                             "inner": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}
    assert build_arguments(schema, "Paris") == {"n": 1, "label": "Paris", "x": 1.0, "ok": True, "kind": "a",
                                                "size": "example", "tags": [], "opt": 3, "inner": {"q": "example"}}
    assert build_arguments({"type": "object", "properties": {"a": {"type": "string"}}}, "Paris") == {}
    assert build_arguments({}, "Paris") == {}


def test_tool_call_through_the_sdk(server):
    client = sdk(server)
    result = client.responses.create(model=MODEL, input="Use the get_weather tool for Paris.", tools=[WEATHER])
    [call] = result.output
    assert isinstance(call, ResponseFunctionToolCall)
    assert call.id.startswith("fc_") and call.call_id.startswith("call_") and call.call_id[5:] != call.id[3:]
    assert (call.name, call.status) == ("get_weather", "completed")
    assert call.arguments == '{"location":"Paris"}'
    assert result.output_text == "" and result.status == "completed"
    assert result.usage.output_tokens == 1 and result.tools[0].name == "get_weather"


def test_parallel_calls_and_their_stream(http, server):
    body = {"model": MODEL, "input": "Use the get_weather tool for Paris and for Tokyo, in parallel.",
            "tools": [WEATHER]}
    plain, streamed = both(http, server, body)
    assert [loads(c["arguments"]) for c in plain["output"]] == [{"location": "Paris"}, {"location": "Tokyo"}]
    assert len({c["call_id"] for c in plain["output"]}) == 2
    assert [e["type"] for e in stream(http, server, body).events][2:8] == [
        "response.output_item.added", "response.function_call_arguments.delta",
        "response.function_call_arguments.delta", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.output_item.done"]
    one = send(http, server, {**body, "parallel_tool_calls": False}).json()
    assert [loads(c["arguments"]) for c in one["output"]] == [{"location": "Paris"}]
    assert one["parallel_tool_calls"] is False


class GetWeather(BaseModel):
    location: str
    unit: Literal["celsius", "fahrenheit"]
    days: int


def test_sdk_stream_and_parse_with_a_pydantic_tool(server):
    client = sdk(server)
    tool = openai.pydantic_function_tool(GetWeather)
    parsed = client.responses.parse(model=MODEL, input="Use GetWeather for Berlin.", tools=[tool])
    [call] = parsed.output
    assert call.parsed_arguments == GetWeather(location="Berlin", unit="celsius", days=1)
    with client.responses.stream(model=MODEL, input="Use GetWeather for Berlin.", tools=[tool]) as live:
        events = list(live)
        final = live.get_final_response()
    deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert "".join(deltas) == final.output[0].arguments == call.arguments and len(deltas) > 1
    assert final.output[0].parsed_arguments == call.parsed_arguments


def test_tool_choice_variants(http, server):
    tools = [WEATHER, TIME]
    none = send(http, server, {"model": MODEL, "input": "Use the get_weather tool for Paris.", "tools": tools,
                               "tool_choice": "none"}).json()
    assert text(none) == DEFAULT_ANSWER and not items(none, "function_call")
    forced = {"model": MODEL, "input": "I am planning a trip to Lisbon.", "tools": tools,
              "tool_choice": {"type": "function", "name": "get_time"}}
    plain, _ = both(http, server, forced)
    assert [(c["name"], loads(c["arguments"])) for c in plain["output"]] == [("get_time", {"city": "Lisbon"})]
    assert plain["tool_choice"] == forced["tool_choice"]
    required = {"model": MODEL, "input": "Tell me about Rome.", "tools": tools, "tool_choice": "required"}
    assert [c["name"] for c in send(http, server, required).json()["output"]] == ["get_weather"]
    auto = send(http, server, {**required, "tool_choice": "auto"})
    assert text(auto) == DEFAULT_ANSWER and not items(auto, "function_call")


def test_round_trip_through_the_sdk(server):
    client = sdk(server)
    first = client.responses.create(model=MODEL, input="Use the get_weather tool for Paris.", tools=[WEATHER])
    call = first.output[0]
    history = [{"role": "user", "content": "Use the get_weather tool for Paris."},
               call.model_dump(exclude_none=True)]
    for output in ("Sunny, 21 degrees", '{"temp": 21, "sky": "clear"}'):
        answer = client.responses.create(model=MODEL, tools=[WEATHER], input=history + [
            {"type": "function_call_output", "call_id": call.call_id, "output": output}])
        assert isinstance(answer.output[0], ResponseOutputMessage)
        assert answer.output_text == f"The tool returned: {output}"
    with client.responses.stream(model=MODEL, tools=[WEATHER], input=history + [
            {"type": "function_call_output", "call_id": call.call_id, "output": "Rain"}]) as live:
        assert live.get_final_response().output_text == "The tool returned: Rain"


def test_tool_output_as_parts_and_later_turns(http, server):
    call = {"type": "function_call", "call_id": "c9", "name": "get_weather", "arguments": '{"location":"Oslo"}'}
    output = {"type": "function_call_output", "call_id": "c9", "output": [{"type": "input_text", "text": "Snow"}]}
    resp = send(http, server, {"model": MODEL, "tools": [WEATHER], "input": [call, output]})
    assert text(resp) == "The tool returned: Snow"
    later = send(http, server, {"model": MODEL, "tools": [WEATHER], "input": [
        call, output, {"role": "user", "content": "Use the get_weather tool for Bergen."}]})
    assert [loads(c["arguments"]) for c in items(later, "function_call")] == [{"location": "Bergen"}]


@pytest.mark.parametrize(("body", "code", "param"), [
    ({"tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]},
     "invalid_parameter_value", "tools"),
    ({"tools": [{"type": "web_search"}]}, "invalid_parameter_value", "tools"),
    ({"tools": [{"type": "function", "name": "bad name"}]}, "invalid_parameter_value", "tools"),
    ({"tools": [WEATHER, WEATHER]}, "invalid_parameter_value", "tools"),
    ({"tools": [WEATHER], "tool_choice": {"type": "function", "name": "get_time"}},
     "invalid_parameter_value", "tool_choice"),
    ({"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
     "invalid_parameter_value", "tool_choice"),
    ({"tool_choice": "required"}, "invalid_parameter_value", "tool_choice"),
    ({"input": [{"type": "function_call_output", "call_id": "nope", "output": "x"}]},
     "invalid_parameter_value", "input"),
    ({"input": [{"type": "function_call_output", "call_id": "c1", "output": "x"},
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}]},
     "invalid_parameter_value", "input"),
    ({"input": [{"type": "function_call", "call_id": "c1", "name": "f", "arguments": {}}]},
     "invalid_parameter_value", "input"),
])
def test_tool_errors(http, server, body, code, param):
    assert_error(send(http, server, {"model": MODEL, "input": "hi", **body}), 400, code, param)


# === structured output ==============================================================================

class Address(BaseModel):
    street: str
    zip_code: int


class Person(BaseModel):
    name: str
    age: int
    height: float
    member: bool
    role: Literal["admin", "user"]
    nicknames: list[str]
    address: Address
    note: str | None


def test_structured_output_parses_into_pydantic(server):
    client = sdk(server)
    question = "Extract: name: Ada Lovelace, age is 36; street: Main Road. Zip code: 12345"
    parsed = client.responses.parse(model=MODEL, input=question, text_format=Person)
    expected = Person(name="Ada Lovelace", age=36, height=1.5, member=True, role="admin", nicknames=["example"],
                      address=Address(street="Main Road", zip_code=12345), note="example")
    assert parsed.output_parsed == expected
    assert parsed.text.format.type == "json_schema" and parsed.text.format.name == "Person"
    with client.responses.stream(model=MODEL, input=question, text_format=Person) as live:
        final = live.get_final_response()
    assert final.output_parsed == expected and final.output_text == parsed.output_text


def test_json_schema_plain_and_streamed(http, server):
    body = {"model": MODEL, "input": "Extract the city and its country. city: Paris, country: France",
            "text": {"format": PLACE_FORMAT}}
    plain, _ = both(http, server, body)
    assert text(plain) == '{"city":"Paris","country":"France"}'
    assert plain["text"] == {"format": PLACE_FORMAT}


@pytest.mark.parametrize(("schema", "question", "expected"), [
    ({"type": "object", "properties": {"city": {"type": "string"}}}, "The city is Rome.", {"city": "Rome"}),
    ({"type": "object", "properties": {"count": {"type": "integer"}}}, "COUNT: -4 apples", {"count": -4}),
    ({"type": "object", "properties": {"first_name": {"type": "string"}}}, "first name is Ada!", {"first_name": "Ada"}),
    ({"type": "object", "properties": {"c": {"const": "x"}, "e": {"enum": [2, 3]}}}, "", {"c": "x", "e": 2}),
    ({"type": "array", "items": {"type": "number"}}, "", [1.5]),
    ({"$defs": {"P": {"type": "object", "properties": {"b": {"type": "boolean"}}}},
      "type": "object", "properties": {"p": {"$ref": "#/$defs/P"}, "n": {"type": "null"}}}, "",
     {"p": {"b": True}, "n": None}),
    ({"type": "string"}, "", "example"),
])
def test_schema_documents(schema, question, expected):
    fmt = {"type": "json_schema", "name": "x", "schema": schema}
    assert json.loads(render(fmt, question, "unused", frozenset())) == expected


def test_json_object(http, server):
    body = {"model": MODEL, "instructions": "Answer in JSON.", "input": "hello",
            "text": {"format": {"type": "json_object"}}}
    plain, _ = both(http, server, body)
    assert json.loads(text(plain)) == {"answer": DEFAULT_ANSWER}
    client = sdk(server)
    result = client.responses.create(model=MODEL, input="Reply in json: Reply with exactly: PONG",
                                     text={"format": {"type": "json_object"}})
    assert json.loads(result.output_text) == {"answer": "PONG"}


@pytest.mark.parametrize(("fmt", "code", "param"), [
    ({"type": "json_object"}, "invalid_parameter_value", "text.format"),
    ({"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}, "invalid_parameter_value", "text.format"),
    ({"type": "json_schema", "schema": {}}, "missing_required_parameter", "text.format.name"),
    ({"type": "json_schema", "name": "x"}, "missing_required_parameter", "text.format.schema"),
    ({"type": "json_schema", "name": "x y", "schema": {}}, "invalid_parameter_value", "text.format.name"),
    ({"type": "yaml"}, "invalid_parameter_value", "text.format"),
])
def test_text_format_errors(http, server, fmt, code, param):
    assert_error(send(http, server, {"model": MODEL, "input": "hi", "text": {"format": fmt}}), 400, code, param)


# === vision =========================================================================================

def test_assets_are_valid_pngs():
    assert decode_png(ASSETS["red-8x8.png"]) == Picture(8, 8, (255, 0, 0))
    assert decode_png(ASSETS["blue-16x8.png"]) == Picture(16, 8, (0, 0, 255))
    assert decode_png(ASSETS["red-8x8.png"]).describe() == "The image is a red square, 8x8 pixels."
    assert decode_png(ASSETS["blue-16x8.png"]).describe() == "The image is a blue rectangle, 16x8 pixels."
    assert data_url("red-8x8.png") == "data:image/png;base64," + base64.b64encode(ASSETS["red-8x8.png"]).decode()


@pytest.mark.parametrize("name", sorted(COLOURS))
def test_colour_names(name):
    assert decode_png(png(3, 3, COLOURS[name])).describe() == f"The image is a {name} square, 3x3 pixels."
    assert colour_name(tuple(max(0, min(255, c + 20)) for c in COLOURS[name])) == name


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width, height, rows: bytes, depth=8, colour_type=6, interlace=0) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows))
            + _chunk(b"IEND", b""))


def test_filters_and_rgba():
    # RGBA, first row Sub-filtered: pixel 0 is (10, 200, 30, 255), pixel 1 adds (5, 5, 5, 0).
    assert decode_png(_png(2, 1, bytes([1, 10, 200, 30, 255, 5, 5, 5, 0]))).first_pixel == (10, 200, 30)
    previous = bytes([100, 100, 100, 50, 50, 50])
    row = bytes([1, 2, 3, 4, 5, 6])
    assert unfilter_row(0, row, previous, 3) == row
    assert unfilter_row(1, row, previous, 3) == bytes([1, 2, 3, 5, 7, 9])
    assert unfilter_row(2, row, previous, 3) == bytes([101, 102, 103, 54, 55, 56])
    assert unfilter_row(3, row, previous, 3) == bytes([51, 52, 53, 4 + 50, 5 + 51, 6 + 51])
    assert unfilter_row(4, row, previous, 3) == bytes([101, 102, 103, 54, 55, 56])
    with pytest.raises(UnsupportedImage):
        unfilter_row(5, row, previous, 3)


@pytest.mark.parametrize("data", [
    b"GIF89a....",
    _png(1, 1, bytes([0, 1, 2, 3, 4]), depth=16),
    _png(1, 1, bytes([0, 1]), colour_type=3),
    _png(1, 1, bytes([0, 1, 2, 3, 4]), interlace=1),
    _png(1, 1, bytes([7, 1, 2, 3, 4])),
    _png(2, 2, bytes([0, 1, 2, 3, 4])),
    ASSETS["red-8x8.png"][:-6],
    ASSETS["red-8x8.png"][:40] + b"\x00" + ASSETS["red-8x8.png"][41:],
])
def test_unsupported_images(data):
    with pytest.raises(UnsupportedImage):
        decode_png(data)


def test_vision_through_the_sdk(server):
    client = sdk(server)
    question = "What colour is this image? Answer with the colour name."
    for model in ("ref-vision-1", "ref-text-1", "ref-reason-1", "ref-pro-1"):
        result = client.responses.create(model=model, input=image_input(question))
        assert result.output_text == "The image is a red square, 8x8 pixels.", model
    blue = server.base_url + "/assets/blue-16x8.png"
    with client.responses.stream(model="ref-vision-1", input=image_input(question, blue)) as live:
        assert live.get_final_response().output_text == "The image is a blue rectangle, 16x8 pixels."


def test_vision_urls_and_questions(http, server):
    question = "Describe the picture."
    body = {"model": "ref-vision-1", "input": image_input(question)}
    both(http, server, body)
    elsewhere = "https://cdn.example.invalid/v1/assets/blue-16x8.png?x=1"
    assert text(send(http, server, {**body, "input": image_input(question, elsewhere)})) == \
        "The image is a blue rectangle, 16x8 pixels."
    two = [{"role": "user", "content": [{"type": "input_image", "image_url": RED}]},
           {"role": "user", "content": [{"type": "input_text", "text": "And this image?"},
                                        {"type": "input_image", "image_url": elsewhere}]}]
    assert text(send(http, server, {**body, "input": two})) == "The image is a blue rectangle, 16x8 pixels."
    assert text(send(http, server, {**body, "input": image_input("Reply with exactly: OK")})) == "OK"
    assert text(send(http, server, {**body, "input": "What colour is the image?"})) == NO_IMAGE


def test_assets_are_served_without_auth(http, server):
    for name, data in ASSETS.items():
        resp = http.get(server.base_url + "/assets/" + name)
        assert resp.status_code == 200 and resp.content == data
        assert resp.headers["content-type"] == "image/png"
    assert_error(http.get(server.base_url + "/assets/nope.png"), 404, "resource_not_found", None, "not_found_error")


@pytest.mark.parametrize(("model", "url", "status", "code", "message"), [
    ("ref-text-2", RED, 400, "vision_not_supported", None),
    ("ref-vision-1", "https://example.com/cat.png", 400, "invalid_parameter_value", "cannot fetch image URL"),
    ("ref-vision-1", "http://127.0.0.1:1/v1/assets/missing.png", 400, "invalid_parameter_value",
     "cannot fetch image URL"),
    ("ref-vision-1", "ftp://example.com/a.png", 400, "invalid_parameter_value", None),
    ("ref-vision-1", "data:image/png;base64,iVBORw0KGgo=", 400, "invalid_parameter_value", "unsupported image"),
    ("ref-vision-1", "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0").decode(), 400,
     "invalid_parameter_value", "unsupported image"),
    ("ref-vision-1", "data:image/png,notbase64", 400, "invalid_parameter_value", None),
    ("ref-vision-1", "data:text/plain;base64,aGk=", 400, "invalid_parameter_value", None),
])
def test_vision_errors(http, server, model, url, status, code, message):
    resp = send(http, server, {"model": model, "input": image_input("What colour?", url)})
    assert_error(resp, status, code, "input", message=message)


def test_vision_capability_is_listed(http, server):
    directory = http.get(server.base_url + "/directory/models", headers=HEADERS).json()["models"]
    vision = {model_id: entry["providers"][0]["capabilities"]["vision"] for model_id, entry in directory.items()}
    assert {m for m, has in vision.items() if has} == {"ref-text-1", "ref-vision-1", "ref-reason-1", "ref-pro-1"}
    assert directory["ref-text-2"]["providers"][0]["input_modalities"] == ["text"]


# === reasoning ======================================================================================

def test_reasoning_through_the_sdk(server):
    client = sdk(server)
    question = "Is 17 a prime number? Think it over and then Reply with exactly: YES"
    result = client.responses.create(model="ref-reason-1", input=question,
                                     reasoning={"effort": "low", "summary": "auto"})
    reasoning, message = result.output
    assert isinstance(reasoning, ResponseReasoningItem) and reasoning.id.startswith("rs_")
    assert [s.text for s in reasoning.summary] == ["Considered the request: Is 17 a prime number? Think it over"]
    assert reasoning.status == "completed" and result.output_text == "YES"
    assert result.usage.output_tokens_details.reasoning_tokens == 8
    assert result.usage.output_tokens == 1 + 8
    assert result.reasoning.effort == "low" and result.reasoning.summary == "auto"
    with client.responses.stream(model="ref-reason-1", input=question,
                                 reasoning={"effort": "low", "summary": "auto"}) as live:
        events = list(live)
        final = live.get_final_response()
    kinds = [e.type for e in events]
    assert kinds[2:5] == ["response.output_item.added", "response.reasoning_summary_part.added",
                          "response.reasoning_summary_text.delta"]
    summary = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")
    assert summary == final.output[0].summary[0].text == reasoning.summary[0].text
    assert final.usage.output_tokens_details.reasoning_tokens == 8


@pytest.mark.parametrize(("effort", "tokens"), [
    (None, 16), ("none", 0), ("minimal", 4), ("low", 8), ("medium", 16), ("high", 32), ("xhigh", 64)])
def test_reasoning_tokens_per_effort(http, server, effort, tokens):
    body = {"model": "ref-reason-1", "input": "Reply with exactly: THOUGHT"}
    if effort is not None:
        body["reasoning"] = {"effort": effort}
    plain, _ = both(http, server, body)
    assert plain["usage"]["output_tokens_details"]["reasoning_tokens"] == tokens
    assert plain["usage"]["output_tokens"] == 1 + tokens
    assert [i["type"] for i in plain["output"]] == (["message"] if tokens == 0 else ["reasoning", "message"])
    assert all(i["summary"] == [] for i in items(plain, "reasoning"))  # no summary asked for
    assert plain["reasoning"] == {"effort": effort or "medium", "summary": None}


def test_reasoning_with_tools_and_truncation(http, server):
    plain, _ = both(http, server, {"model": "ref-reason-1", "input": "Use the get_weather tool for Paris.",
                                   "tools": [WEATHER], "reasoning": {"effort": "high", "summary": "concise"}})
    assert [i["type"] for i in plain["output"]] == ["reasoning", "function_call"]
    assert plain["usage"]["output_tokens"] == 1 + 32
    cut = send(http, server, {"model": "ref-reason-1", "input": "Count from 1 to 50", "max_output_tokens": 20,
                              "reasoning": {"effort": "medium"}}).json()
    assert cut["status"] == "incomplete" and text(cut) == "1 2 3 4"  # the reasoning spent 16 of the 20
    assert cut["usage"]["output_tokens"] == 20 and cut["output"][0]["type"] == "reasoning"


@pytest.mark.parametrize(("model", "reasoning", "code", "param"), [
    ("ref-reason-1", {"effort": "extreme"}, "invalid_parameter_value", "reasoning.effort"),
    ("ref-reason-1", {"effort": "low", "summary": "long"}, "invalid_parameter_value", "reasoning.summary"),
    ("ref-text-1", {"effort": "low"}, "reasoning_not_supported", "reasoning"),
    ("ref-pro-1", {"effort": "minimal"}, "reasoning_not_supported", "reasoning"),
    ("ref-text-1", {"effort": "bogus"}, "invalid_parameter_value", "reasoning.effort"),
])
def test_reasoning_errors(http, server, model, reasoning, code, param):
    assert_error(send(http, server, {"model": model, "input": "hi", "reasoning": reasoning}), 400, code, param)


def test_reasoning_none_or_summary_alone_is_fine_on_text_models(http, server):
    for reasoning in ({"effort": "none"}, {"summary": "auto"}, {}):
        body = send(http, server, {"model": MODEL, "input": "hi", "reasoning": reasoning}).json()
        assert [i["type"] for i in body["output"]] == ["message"]
        assert body["usage"]["output_tokens_details"]["reasoning_tokens"] == 0


# === token logprobs =================================================================================

def test_logprob_entries():
    got = entries("the sky  is blue", 3, frozenset())
    assert [e["token"] for e in got] == text_chunks("the sky  is blue") == ["the ", "sky  ", "is ", "blue"]
    assert [e["logprob"] for e in got] == [-0.05, -0.1, -0.15, -0.2]
    assert got[1]["bytes"] == list(b"sky  ")
    assert got[1]["top_logprobs"] == [{"token": "sky  ", "logprob": -0.1, "bytes": list(b"sky  ")},
                                      {"token": "alt1", "logprob": -0.6, "bytes": list(b"alt1")},
                                      {"token": "alt2", "logprob": -1.1, "bytes": list(b"alt2")}]
    assert [e["logprob"] for e in entries(" ".join(["w"] * 9), 0, frozenset())][6:] == [-0.35, -0.05, -0.1]
    assert entries("é", 1, frozenset())[0]["bytes"] == [195, 169]
    assert all(e["top_logprobs"] == [] for e in entries("a b", 0, frozenset())) and entries("", 2, frozenset()) == []


def test_logprobs_through_the_sdk(server):
    client = sdk(server)
    kwargs = {"model": MODEL, "input": "Reply with exactly: the sky is blue", "top_logprobs": 3, "include": [LOGPROBS]}
    result = client.responses.create(**kwargs)
    part = result.output[0].content[0]
    assert "".join(lp.token for lp in part.logprobs) == part.text == "the sky is blue"
    assert all(len(lp.top_logprobs) == 3 and lp.top_logprobs[0].token == lp.token for lp in part.logprobs)
    assert result.top_logprobs == 3
    with client.responses.stream(**kwargs) as live:
        events = list(live)
        final = live.get_final_response()
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert [[lp.token for lp in e.logprobs] for e in deltas] == [["the "], ["sky "], ["is "], ["blue"]]
    [done] = [e for e in events if e.type == "response.output_text.done"]
    assert [lp.token for lp in done.logprobs] == [lp.token for lp in part.logprobs]
    assert final.output[0].content[0].logprobs == part.logprobs


def test_logprobs_plain_and_streamed(http, server):
    body = {"model": MODEL, "input": "Reply in two parts: one two || three", "top_logprobs": 2, "include": [LOGPROBS]}
    plain, _ = both(http, server, body)
    for part in plain["output"][0]["content"]:
        assert part["logprobs"] == entries(part["text"], 2, frozenset())
    result = stream(http, server, body)
    added = result.of_type("response.content_part.added")
    assert [p["part"]["logprobs"] for p in added] == [[], []]
    assert [d["logprobs"][0]["token"] for d in result.of_type("response.output_text.delta")] == ["one ", "two", "three"]


@pytest.mark.parametrize(("extra", "expected"), [
    ({"top_logprobs": 3}, "none"),
    ({}, "none"),
    ({"include": [LOGPROBS]}, "bare"),
    ({"include": [LOGPROBS], "top_logprobs": 0}, "bare"),
    ({"include": ["reasoning.encrypted_content"], "top_logprobs": 5}, "none"),
])
def test_logprobs_need_the_include(http, server, extra, expected):
    body = send(http, server, {"model": MODEL, "input": "Reply with exactly: a b", **extra}).json()
    [part] = body["output"][0]["content"]
    if expected == "none":
        assert part["logprobs"] == []
    else:
        assert [(e["token"], e["top_logprobs"]) for e in part["logprobs"]] == [("a ", []), ("b", [])]
    assert body["top_logprobs"] == extra.get("top_logprobs", 0)


def test_include_must_be_strings(http, server):
    assert_error(send(http, server, {"model": MODEL, "input": "hi", "include": [1]}), 400,
                 "invalid_parameter_value", "include")


# === prompt caching =================================================================================

def test_prompt_cache(http, server):
    key = f"k-{uuid.uuid4().hex}"
    body = {"model": MODEL, "instructions": LONG_PROMPT, "input": "Reply with exactly: WARM", "prompt_cache_key": key}
    first, second = send(http, server, body).json(), send(http, server, body).json()
    assert first["usage"]["input_tokens"] == 124 and first["prompt_cache_key"] == key
    assert first["usage"]["input_tokens_details"]["cached_tokens"] == 0
    assert second["usage"]["input_tokens_details"]["cached_tokens"] == 112
    streamed = assert_stream_agrees(stream(http, server, body))
    assert streamed["usage"]["input_tokens_details"]["cached_tokens"] == 112
    client = sdk(server)
    assert client.responses.create(**body).usage.input_tokens_details.cached_tokens == 112
    # Another key, another model or another prompt starts cold; a short prompt never reports cached tokens.
    for changed in ({"prompt_cache_key": key + "x"}, {"model": "ref-text-2"}, {"input": "Reply with exactly: COLD"}):
        assert send(http, server, {**body, **changed}).json()["usage"]["input_tokens_details"]["cached_tokens"] == 0
    short = {"model": MODEL, "input": "hello " * 63, "prompt_cache_key": key}
    assert [send(http, server, short).json()["usage"]["input_tokens_details"]["cached_tokens"]
            for _ in range(2)] == [0, 0]
    no_key = {"model": MODEL, "input": f"{uuid.uuid4().hex} " + "hello " * 64}
    assert [send(http, server, no_key).json()["usage"]["input_tokens_details"]["cached_tokens"]
            for _ in range(2)] == [0, 64]


def test_prompt_cache_is_bounded_and_per_server(http):
    cache = PromptCache(max_entries=3)
    assert [cache.visit("k", "m", [str(n)]) for n in range(4)] == [False] * 4
    assert len(cache) == 3 and not cache.visit("k", "m", ["0"])  # the oldest was evicted
    assert cache.visit("k", "m", ["3"]) and not cache.visit(None, "m", ["3"])
    assert cached_tokens(True, 100, frozenset()) == 96 and cached_tokens(True, 63, frozenset()) == 0
    assert cached_tokens(False, 100, frozenset()) == 0
    body = {"model": MODEL, "input": LONG_PROMPT}
    for _ in range(2):
        with ReferenceServer() as fresh:
            assert send(http, fresh, body).json()["usage"]["input_tokens_details"]["cached_tokens"] == 0


# === truncation with the features ===================================================================

def test_truncation_cuts_only_message_text(http, server):
    calls = send(http, server, {"model": MODEL, "input": "Use the get_weather tool for Paris and for Tokyo.",
                                "tools": [WEATHER], "max_output_tokens": 16}).json()
    assert calls["status"] == "completed" and len(calls["output"]) == 2
    body = {"model": MODEL, "input": "Count from 1 to 50", "max_output_tokens": 16, "top_logprobs": 1,
            "include": [LOGPROBS]}
    plain = send(http, server, body).json()
    assert plain["status"] == "incomplete" and plain["usage"]["output_tokens"] == 16
    part = plain["output"][0]["content"][0]
    assert "".join(e["token"] for e in part["logprobs"]) == part["text"] == " ".join(map(str, range(1, 17)))
    result = stream(http, server, body)
    assert result.response["status"] == "incomplete" and result.events[-1]["type"] == "response.incomplete"


# === engine-free frames: the SDK's accumulator rebuilds every feature stream ========================

FEATURE_STREAMS = {
    "tools": {"input": "Use the get_weather tool for Paris and for Tokyo.", "tools": [WEATHER]},
    "round-trip": {"tools": [WEATHER], "input": [
        {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "Fog"}]},
    "structured": {"input": "city: Paris, country: France", "text": {"format": PLACE_FORMAT}},
    "vision": {"input": image_input("Which colour?")},
    "reasoning": {"model": "ref-reason-1", "input": "Reply with exactly: A B C",
                  "reasoning": {"effort": "xhigh", "summary": "detailed"}},
    "logprobs": {"input": "Reply with exactly: x y z", "include": [LOGPROBS], "top_logprobs": 20},
}


@pytest.mark.parametrize("kind", FEATURE_STREAMS)
def test_sdk_accumulates_every_feature_stream(http, server, kind):
    request = {"model": MODEL, **FEATURE_STREAMS[kind]}
    plain, streamed = both(http, server, request)
    with sdk(server).responses.stream(**request) as live:
        final = live.get_final_response()
    assert without_ids(final.model_dump(exclude_none=True)["output"]) == \
        without_ids(Response.model_validate(streamed).model_dump(exclude_none=True)["output"])
    Response.model_validate(plain)


# === fault switches =================================================================================

def _calls(r) -> list[dict]:
    return items(r, "function_call")


def _call_args(r) -> list:
    return [c["arguments"] for c in _calls(r) if isinstance(c.get("arguments"), str)]


def _call_name(call: dict):
    return call.get("name") or (call.get("function") or {}).get("name")


def _joined_arguments(r: Streamed) -> tuple[str, str] | None:
    done = r.of_type("response.function_call_arguments.done")
    if not done:
        return None
    return "".join(e["delta"] for e in r.of_type("response.function_call_arguments.delta")), done[0]["arguments"]


def _has_logprobs(r) -> bool:
    return any(p.get("logprobs") for p in text_parts(r))


def _cached(r) -> int | None:
    found = usage(r)
    return (found.get("input_tokens_details") or {}).get("cached_tokens") if found else None


TOOL_AUTO = {"model": MODEL, "input": "Use the get_weather tool for Paris.", "tools": [WEATHER]}
TOOL_PAIR = {"model": MODEL, "input": "Use the get_weather tool for Paris and for Tokyo.", "tools": [WEATHER],
             "parallel_tool_calls": False}
ROUND_TRIP = {"model": MODEL, "tools": [WEATHER], "input": [
    {"role": "user", "content": "Use the get_weather tool for Paris."},
    {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"location":"Paris"}'},
    {"type": "function_call_output", "call_id": "call_1", "output": "Sunny, 21 degrees"}]}
SCHEMA = {"model": MODEL, "input": "city: Paris, country: France", "text": {"format": PLACE_FORMAT}}
JSON_OBJECT = {"model": MODEL, "input": "Answer in JSON: hello", "text": {"format": {"type": "json_object"}}}
IMAGE = {"model": "ref-vision-1", "input": image_input("What colour is this image?")}
REASON = {"model": "ref-reason-1", "input": "Reply with exactly: YES",
          "reasoning": {"effort": "low", "summary": "auto"}}
LOGPROB = {"model": MODEL, "input": "Reply with exactly: the sky is blue", "top_logprobs": 2, "include": [LOGPROBS]}
CACHED = {"model": MODEL, "instructions": LONG_PROMPT, "input": "hi", "prompt_cache_key": "{run}"}
TRUNCATED = {"model": MODEL, "input": "Count from 1 to 50", "max_output_tokens": 16}
STREAMED = {"stream": True}

# fault -> (requests, "is broken" predicate over their answers). A request with "stream": true is
# read as a stream. Each predicate is narrow: any other single fault leaves it False.
FEATURE_PROBES = {
    "tool_name_unoffered": ([TOOL_AUTO], lambda r: any(_call_name(c) != "get_weather" for c in _calls(r[0]))),
    "logprobs_positive": ([LOGPROB], lambda r: any(e["logprob"] > 0 for p in text_parts(r[0])
                                                   for e in p.get("logprobs") or [])),
    "tools_dropped": ([TOOL_AUTO], lambda r: not _calls(r[0]) and bool(items(r[0], "message"))),
    "tool_choice_none_ignored": ([{**TOOL_AUTO, "tool_choice": "none"}], lambda r: bool(_calls(r[0]))),
    "tool_choice_forced_ignored": (
        [{**TOOL_AUTO, "input": "I am planning a trip to Lisbon.", "tools": [WEATHER, TIME],
          "tool_choice": {"type": "function", "name": "get_time"}}],
        lambda r: any(_call_name(c) == "get_weather" for c in _calls(r[0]))),
    "tool_required_ignored": (
        [TOOL_AUTO, {**TOOL_AUTO, "input": "Tell me about Rome.", "tool_choice": "required"}],
        lambda r: bool(_calls(r[0])) and not _calls(r[1]) and bool(items(r[1], "message"))),
    "tool_parallel_ignored": ([TOOL_PAIR], lambda r: len(_calls(r[0])) > 1),
    "tool_arguments_invalid_json": ([TOOL_AUTO], lambda r: any(loads(a) is None for a in _call_args(r[0]))),
    "tool_arguments_schema_violation": (
        [TOOL_AUTO], lambda r: any(isinstance(loads(a), dict) and "location" not in loads(a)
                                   for a in _call_args(r[0]))),
    "tool_call_chat_shape": ([TOOL_AUTO], lambda r: any("function" in c for c in _calls(r[0]))),
    "tool_output_ignored": ([ROUND_TRIP], lambda r: text(r[0]) != "" and "Sunny" not in text(r[0])),
    "stream_tool_arguments_mismatch": (
        [{**TOOL_AUTO, **STREAMED}], lambda r: _joined_arguments(r[0]) is not None
        and len(set(_joined_arguments(r[0]))) == 2),
    "structured_output_ignored": ([SCHEMA], lambda r: text(r[0]) != "" and loads(text(r[0])) is None),
    "structured_schema_violated": (
        [SCHEMA], lambda r: isinstance(loads(text(r[0])), dict) and set(loads(text(r[0]))) != {"city", "country"}),
    "json_object_ignored": ([JSON_OBJECT], lambda r: text(r[0]) != "" and loads(text(r[0])) is None),
    "vision_image_dropped": ([IMAGE], lambda r: text(r[0]) == NO_IMAGE),
    "vision_text_model_accepts": ([{**IMAGE, "model": "ref-text-2"}], lambda r: r[0].is_success),
    "reasoning_dropped": ([REASON], lambda r: not items(r[0], "reasoning") and bool(items(r[0], "message"))),
    "reasoning_effort_minimal_rejected": ([{**REASON, "reasoning": {"effort": "minimal"}}],
                                          lambda r: r[0].status_code == 400),
    "reasoning_tokens_missing": (
        [REASON], lambda r: bool(items(r[0], "reasoning")) and usage(r[0]) is not None
        and usage(r[0])["output_tokens_details"]["reasoning_tokens"] == 0),
    "stream_reasoning_summary_missing": (
        [{**REASON, **STREAMED}], lambda r: not r[0].of_type("response.reasoning_summary_text.delta")
        and any(e["item"]["type"] == "reasoning" and e["item"]["summary"]
                for e in r[0].of_type("response.output_item.done"))),
    "logprobs_dropped": ([LOGPROB], lambda r: any(p.get("text") and not p.get("logprobs") for p in text_parts(r[0]))),
    "logprobs_top_too_many": ([LOGPROB], lambda r: any(len(e["top_logprobs"]) > 2 for p in text_parts(r[0])
                                                       for e in p.get("logprobs") or [])),
    "logprobs_tokens_wrong": ([LOGPROB], lambda r: any(p.get("logprobs") and "".join(
        e["token"] for e in p["logprobs"]) != p["text"] for p in text_parts(r[0]))),
    "logprobs_ignore_include": ([{**LOGPROB, "include": []}], lambda r: _has_logprobs(r[0])),
    "cache_ignored": ([CACHED, CACHED], lambda r: _cached(r[1]) == 0),
    "cache_tokens_exceed": ([CACHED, CACHED], lambda r: None not in (_cached(r[1]), usage(r[1]))
                            and _cached(r[1]) > usage(r[1])["input_tokens"]),
    "truncation_reported_completed": (
        [TRUNCATED], lambda r: body_of(r[0]).get("status") == "completed" and text(r[0]) != ""),
    "echo_prompt_cache_key_missing": ([CACHED], lambda r: r[0].is_success
                                      and body_of(r[0]).get("prompt_cache_key") is None),
    "reasoning_effort_ignored": (
        [{**REASON, "reasoning": {"effort": "high"}}],
        lambda r: usage(r[0]) is not None and body_of(r[0])["reasoning"]["effort"] == "high"
        and usage(r[0])["output_tokens_details"]["reasoning_tokens"] == 16),  # medium's, not high's 32
    "truncation_usage_missing": (
        [{"model": MODEL, "input": "hello"}, TRUNCATED],
        lambda r: usage(r[0]) is not None and body_of(r[1]).get("status") == "incomplete" and usage(r[1]) is None),
}


def _broken_feature_probes(http, server) -> set[str]:
    run = uuid.uuid4().hex

    def answer(_name: str, requests: list[dict]) -> list:
        return [stream(http, server, request) if request.get("stream") else send(http, server, request)
                for request in json.loads(json.dumps(requests).replace("{run}", run))]

    return broken_probes(FEATURE_PROBES, answer)


def test_feature_fault_table_covers_every_feature_fault():
    assert set(FEATURE_PROBES) == {name for name, fault in FAULTS.items() if fault.area in FEATURE_AREAS}
    assert len(FEATURE_PROBES) == 31


test_clean_gateway_breaks_no_feature_probe, test_fault_breaks_only_its_own_feature_probe = probe_tests(
    FEATURE_PROBES, _broken_feature_probes, BODY_READING_FAULTS)


def _frames(body: dict, *faults: str) -> Streamed:
    parsed = parse_request({"model": MODEL, **body}, frozenset(faults))
    response = build_response(parsed, resolve_model(parsed, frozenset()), frozenset(faults))
    return Streamed(parse_events(b"".join(iter_stream_frames(response, faults))))


def test_fault_details():
    # Arguments cut short / emptied; the chat shape nests name and arguments and still streams them.
    assert _call_args(_frames(TOOL_AUTO, "tool_arguments_invalid_json")) == ['{"location":"Paris"']
    assert _call_args(_frames(TOOL_AUTO, "tool_arguments_schema_violation")) == ["{}"]
    [chat] = _calls(_frames(TOOL_AUTO, "tool_call_chat_shape"))
    assert set(chat) == {"type", "id", "call_id", "function", "status"}
    assert chat["function"] == {"name": "get_weather", "arguments": '{"location":"Paris"}'}
    joined = _joined_arguments(_frames(TOOL_AUTO, "tool_call_chat_shape"))
    assert joined == ('{"location":"Paris"}',) * 2
    assert _joined_arguments(_frames(TOOL_AUTO, "stream_tool_arguments_mismatch")) == (
        '{"location":"Par', '{"location":"Paris"}')
    # The reasoning item still streams its added/done pair; only the summary events are gone.
    result = _frames(REASON, "stream_reasoning_summary_missing")
    assert [e["type"] for e in result.events][2:4] == ["response.output_item.added", "response.output_item.done"]
    # The truncated response claims completion only in its non-streaming form.
    with ReferenceServer(faults=["truncation_reported_completed"]) as faulty, httpx.Client(timeout=10) as client:
        body = send(client, faulty, TRUNCATED).json()
        assert (body["status"], body["incomplete_details"]) == ("completed", None)
        assert stream(client, faulty, TRUNCATED).response["status"] == "incomplete"
    logprobs = text_parts(_frames(LOGPROB, "logprobs_tokens_wrong"))[0]["logprobs"]
    assert logprobs[-1]["token"] == "blue~" and logprobs[-1]["bytes"] == list(b"blue~")


def test_every_feature_model_is_in_the_catalog():
    assert MODELS["ref-reason-1"].capabilities["reasoning"]
    assert [m for m in MODELS.values() if m.capabilities["reasoning"]] == [MODELS["ref-reason-1"]]
