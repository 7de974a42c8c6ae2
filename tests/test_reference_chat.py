"""The reference gateway's POST /v1/chat/completions: plain and streamed, with the openai SDK as
oracle, and parity with /v1/responses (the same request by the seed's mapping table gives the same
text and the same usage)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Literal

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel

from respcheck.reference import DEFAULT_API_KEY, ReferenceServer
from respcheck.reference.assets import data_url
from respcheck.reference.chat import to_responses
from respcheck.reference.engine import (
    DEFAULT_ANSWER, NO_IMAGE, PARTIAL_ANSWER, REFUSAL, UPSTREAM_FAILURE_MESSAGE, text_chunks,
)
from respcheck.reference.streaming import ARGUMENT_CHUNK

MODEL = "ref-text-1"
HEADERS = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
RED = data_url("red-8x8.png")
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"],
                   "additionalProperties": False}}}
TIME = {"type": "function", "function": {
    "name": "get_time", "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                       "required": ["city"]}}}
PLACE = {"name": "place", "strict": True, "schema": {
    "type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"], "additionalProperties": False}}


def sdk(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=DEFAULT_API_KEY, max_retries=0)


def flat(tool: dict) -> dict:
    """The Responses form of a nested chat tool."""
    return {"type": "function", **tool["function"]}


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def image_message(text: str, url: str = RED) -> list[dict]:
    return [{"role": "user", "content": [{"type": "text", "text": text},
                                         {"type": "image_url", "image_url": {"url": url, "detail": "low"}}]}]


def post(http, server, body: dict, path: str = "/chat/completions") -> httpx.Response:
    return http.post(server.base_url + path, json=body, headers=HEADERS)


@dataclass
class ChatStream:
    status: int
    content_type: str
    frames: list[str]  # the data of each frame, as sent
    lines: list[str] = field(default_factory=list)  # every non-empty line
    chunks: list[dict] = field(init=False)  # the frames that are JSON objects

    def __post_init__(self):
        self.chunks = []
        for data in self.frames:
            try:
                value = json.loads(data)
            except ValueError:
                continue
            if isinstance(value, dict):
                self.chunks.append(value)

    @property
    def deltas(self) -> list[dict]:
        return [c["choices"][0]["delta"] for c in self.chunks if c.get("choices")]

    @property
    def content(self) -> str:
        return "".join(d.get("content") or "" for d in self.deltas)


def chat_stream(http, server, body: dict) -> ChatStream:
    with http.stream("POST", server.base_url + "/chat/completions", json={**body, "stream": True},
                     headers=HEADERS) as resp:
        raw = resp.read().decode()
    lines = [line for line in raw.split("\n") if line]
    frames = [block[len("data: "):] for block in raw.split("\n\n") if block.startswith("data: ")]
    return ChatStream(resp.status_code, resp.headers.get("content-type", ""), frames, lines)


def assert_error(resp, status, code, param, type_="invalid_request_error"):
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    error = resp.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (type_, code, param), error
    assert error["message"]


# === the plain answer ===============================================================================

def test_completion_body(http, server):
    resp = post(http, server, {"model": MODEL, "messages": user("Reply with exactly: PONG"), "metadata": {"k": "v"}})
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{24}", body["id"])
    assert body["object"] == "chat.completion" and isinstance(body["created"], int) and body["model"] == MODEL
    assert body["choices"] == [{"index": 0, "message": {"role": "assistant", "content": "PONG", "refusal": None},
                                "finish_reason": "stop", "logprobs": None}]
    assert body["usage"] == {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5,
                             "prompt_tokens_details": {"cached_tokens": 0},
                             "completion_tokens_details": {"reasoning_tokens": 0}}
    assert body["routing_metadata"] == {
        "provider": "gamma", "provider_model_id": "gamma/ref-text-1", "model_canonical": MODEL,
        "routing_strategy": "balanced", "cost": {"usd": round((4 * 0.45 + 1 * 1.30) / 1e6, 10)}}
    ChatCompletion.model_validate(body)


def test_sdk_create_and_messages(server):
    client = sdk(server)
    result = client.chat.completions.create(model=MODEL, messages=[
        {"role": "system", "content": "Reply with exactly: BANANA"}, {"role": "user", "content": "Say something."}])
    assert result.choices[0].message.content == "BANANA" and result.choices[0].finish_reason == "stop"
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens
    assert result.model_extra["routing_metadata"]["provider"] == "gamma"
    history = [{"role": "developer", "content": "Be brief."},
               {"role": "user", "content": "My code word is BLUEBIRD."},
               {"role": "assistant", "content": "Noted."},
               {"role": "user", "content": [{"type": "text", "text": "What is my code word?"}]}]
    assert client.chat.completions.create(model=MODEL, messages=history).choices[0].message.content == "BLUEBIRD"
    # A system message after the first turn stays in the conversation (it is not the instructions).
    later = [{"role": "user", "content": "hi"}, {"role": "system", "content": "The code word is OWL"},
             {"role": "user", "content": "what is my code word"}]
    assert client.chat.completions.create(model=MODEL, messages=later).choices[0].message.content == "OWL"


def test_the_mapping_table():
    body = {"model": MODEL, "messages": [
        {"role": "system", "content": "one"}, {"role": "developer", "content": [{"type": "text", "text": "two"}]},
        {"role": "user", "content": [{"type": "text", "text": "look"},
                                     {"type": "image_url", "image_url": {"url": RED}}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Fog"}],
        "tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "response_format": {"type": "json_schema", "json_schema": PLACE}, "reasoning_effort": "low",
        "max_completion_tokens": 50, "logprobs": True, "top_logprobs": 2, "temperature": 0.5, "user": "u1"}
    assert to_responses(body, frozenset()) == {
        "model": MODEL, "temperature": 0.5, "user": "u1", "instructions": "one\ntwo",
        "input": [
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "look"}, {"type": "input_image", "image_url": RED, "detail": "auto"}]},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "Fog"}],
        "tools": [flat(WEATHER)], "tool_choice": {"type": "function", "name": "get_weather"},
        "text": {"format": {"type": "json_schema", **PLACE}}, "reasoning": {"effort": "low"},
        "max_output_tokens": 50, "include": ["message.output_text.logprobs"], "top_logprobs": 2}


# === parity with /v1/responses =======================================================================

# name -> (chat request, the Responses request it maps to)
PARITY = {
    "instructions": ({"messages": [{"role": "system", "content": "Reply with exactly: PARITY"},
                                   {"role": "user", "content": "Say something."}]},
                     {"instructions": "Reply with exactly: PARITY", "input": "Say something."}),
    "default": ({"messages": user("hello there")}, {"input": "hello there"}),
    "multi-turn": ({"messages": [{"role": "user", "content": "My code word is FALCON."},
                                 {"role": "assistant", "content": "OK"},
                                 {"role": "user", "content": "What is my code word?"}]},
                   {"input": [{"role": "user", "content": "My code word is FALCON."},
                              {"role": "assistant", "content": "OK"},
                              {"role": "user", "content": "What is my code word?"}]}),
    "two-parts": ({"messages": user("Reply in two parts: Alpha beta || Gamma")},
                  {"input": "Reply in two parts: Alpha beta || Gamma"}),
    "long": ({"messages": user("Count from 1 to 300")}, {"input": "Count from 1 to 300"}),
    "truncated": ({"messages": user("Count from 1 to 50"), "max_tokens": 16},
                  {"input": "Count from 1 to 50", "max_output_tokens": 16}),
    "refusal": ({"messages": user("Please refuse this request.")}, {"input": "Please refuse this request."}),
    "tool-call": ({"messages": user("Use the get_weather tool for Paris and for Tokyo."), "tools": [WEATHER]},
                  {"input": "Use the get_weather tool for Paris and for Tokyo.", "tools": [flat(WEATHER)]}),
    "forced-tool": ({"messages": user("I am planning a trip to Lisbon."), "tools": [WEATHER, TIME],
                     "tool_choice": {"type": "function", "function": {"name": "get_time"}}},
                    {"input": "I am planning a trip to Lisbon.", "tools": [flat(WEATHER), flat(TIME)],
                     "tool_choice": {"type": "function", "name": "get_time"}}),
    "round-trip": ({"tools": [WEATHER], "messages": [
        {"role": "user", "content": "Use the get_weather tool for Paris."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather",
                                                              "arguments": '{"location":"Paris"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 degrees"}]},
        {"tools": [flat(WEATHER)], "input": [
            {"role": "user", "content": "Use the get_weather tool for Paris."},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather",
             "arguments": '{"location":"Paris"}'},
            {"type": "function_call_output", "call_id": "call_1", "output": "Sunny, 21 degrees"}]}),
    "json-schema": ({"messages": user("city: Paris, country: France"),
                     "response_format": {"type": "json_schema", "json_schema": PLACE}},
                    {"input": "city: Paris, country: France", "text": {"format": {"type": "json_schema", **PLACE}}}),
    "json-object": ({"messages": user("Answer in JSON: hello"), "response_format": {"type": "json_object"}},
                    {"input": "Answer in JSON: hello", "text": {"format": {"type": "json_object"}}}),
    "vision": ({"model": "ref-vision-1", "messages": image_message("What colour is this image?")},
               {"model": "ref-vision-1", "input": [{"role": "user", "content": [
                   {"type": "input_text", "text": "What colour is this image?"},
                   {"type": "input_image", "image_url": RED, "detail": "low"}]}]}),
    "reasoning": ({"model": "ref-reason-1", "messages": user("Reply with exactly: YES"), "reasoning_effort": "high"},
                  {"model": "ref-reason-1", "input": "Reply with exactly: YES", "reasoning": {"effort": "high"}}),
    "logprobs": ({"messages": user("Reply with exactly: the sky is blue"), "logprobs": True, "top_logprobs": 2},
                 {"input": "Reply with exactly: the sky is blue", "top_logprobs": 2,
                  "include": ["message.output_text.logprobs"]}),
}


def _responses_text(body: dict) -> str | None:
    parts = [p for item in body["output"] if item["type"] == "message" for p in item["content"]]
    texts = [p["text"] for p in parts if p["type"] == "output_text"]
    return "".join(texts) if texts else None


@pytest.mark.parametrize("kind", PARITY)
def test_parity_with_responses(http, server, kind):
    chat_request, responses_request = PARITY[kind]
    chat = post(http, server, {"model": MODEL, **chat_request})
    responses = post(http, server, {"model": MODEL, **responses_request}, path="/responses")
    assert chat.status_code == responses.status_code == 200, (chat.text, responses.text)
    chat, responses = chat.json(), responses.json()
    ChatCompletion.model_validate(chat)
    message = chat["choices"][0]["message"]
    assert message["content"] == _responses_text(responses)
    refusals = [p["refusal"] for item in responses["output"] if item["type"] == "message"
                for p in item["content"] if p["type"] == "refusal"]
    assert message["refusal"] == ("".join(refusals) if refusals else None)
    calls = [item for item in responses["output"] if item["type"] == "function_call"]
    assert [(c["function"]["name"], c["function"]["arguments"]) for c in message.get("tool_calls") or []] == \
        [(c["name"], c["arguments"]) for c in calls]
    usage, expected = chat["usage"], responses["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == \
        (expected["input_tokens"], expected["output_tokens"], expected["total_tokens"])
    assert usage["completion_tokens_details"]["reasoning_tokens"] == \
        expected["output_tokens_details"]["reasoning_tokens"]
    finish = chat["choices"][0]["finish_reason"]
    assert finish == ("tool_calls" if calls else "length" if responses["status"] == "incomplete" else "stop")
    assert chat["model"] == responses["model"]
    assert chat["routing_metadata"] == responses["routing_metadata"]
    if kind == "logprobs":
        [part] = responses["output"][0]["content"]
        assert chat["choices"][0]["logprobs"] == {"content": part["logprobs"], "refusal": None}
    if kind == "reasoning":
        assert usage["completion_tokens_details"]["reasoning_tokens"] == 32
    if kind == "refusal":
        assert (message["content"], message["refusal"], finish) == (None, REFUSAL, "stop")


@pytest.mark.parametrize("kind", PARITY)
def test_streamed_content_joins_to_the_plain_answer(server, kind):
    """The SDK's raw chunk iterator: content deltas, tool call deltas by index, the usage chunk."""
    request = {"model": MODEL, **PARITY[kind][0]}
    client = sdk(server)
    plain = client.chat.completions.create(**request)
    chunks = list(client.chat.completions.create(**request, stream=True))
    assert len({chunk.id for chunk in chunks}) == 1
    assert all(chunk.object == "chat.completion.chunk" and chunk.model == plain.model for chunk in chunks)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == (plain.choices[0].message.content or "")
    refusal = "".join(c.choices[0].delta.refusal or "" for c in chunks if c.choices)
    assert refusal == (plain.choices[0].message.refusal or "")
    calls: dict[int, dict] = {}
    for chunk in chunks:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            call = calls.setdefault(delta.index, {"id": None, "name": None, "arguments": ""})
            if delta.id:
                call["id"], call["name"] = delta.id, delta.function.name
            call["arguments"] += delta.function.arguments or ""
    expected = plain.choices[0].message.tool_calls or []
    assert [(c["name"], c["arguments"]) for _, c in sorted(calls.items())] == \
        [(c.function.name, c.function.arguments) for c in expected]
    assert all(c["id"].startswith("call_") for c in calls.values())
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [plain.choices[0].finish_reason]
    usage = chunks[-1]
    assert usage.choices == [] and usage.usage == plain.usage
    assert usage.model_extra["routing_metadata"]["provider"] == plain.model_extra["routing_metadata"]["provider"]


@pytest.mark.parametrize("kind", ["default", "two-parts", "refusal", "tool-call", "json-schema", "logprobs"])
def test_sdk_stream_helper_rebuilds_the_plain_message(server, kind):
    request = {"model": MODEL, **PARITY[kind][0]}
    client = sdk(server)
    plain = client.chat.completions.create(**request)
    with client.chat.completions.stream(**request) as live:
        final = live.get_final_completion()
    got, want = final.choices[0].message, plain.choices[0].message
    assert (got.content, got.refusal, got.role) == (want.content, want.refusal, want.role)
    assert [(c.function.name, c.function.arguments) for c in got.tool_calls or []] == \
        [(c.function.name, c.function.arguments) for c in want.tool_calls or []]
    assert final.choices[0].finish_reason == plain.choices[0].finish_reason
    assert final.usage == plain.usage
    if kind == "logprobs":
        assert final.choices[0].logprobs.content == plain.choices[0].logprobs.content


# === the stream on the wire ===========================================================================

def test_stream_frames(http, server):
    result = chat_stream(http, server, {"model": MODEL, "messages": user("Reply with exactly: one two  three")})
    assert result.status == 200 and result.content_type.startswith("text/event-stream")
    assert all(line.startswith("data: ") for line in result.lines), "no event: lines"
    assert result.frames[-1] == "[DONE]" and len(result.chunks) == len(result.frames) - 1
    for chunk in result.chunks:
        ChatCompletionChunk.model_validate(chunk)
        assert set(chunk) >= {"id", "object", "created", "model", "choices"}
    assert len({c["id"] for c in result.chunks}) == 1 and result.chunks[0]["id"].startswith("chatcmpl-")
    assert {c["object"] for c in result.chunks} == {"chat.completion.chunk"}
    assert result.deltas[0] == {"role": "assistant", "content": ""}
    assert [d["content"] for d in result.deltas[1:-1]] == text_chunks("one two  three") == ["one ", "two  ", "three"]
    finish = result.chunks[-2]["choices"][0]
    assert finish["delta"] == {} and finish["finish_reason"] == "stop"
    assert [c["choices"][0]["finish_reason"] for c in result.chunks[:-2]] == [None] * (len(result.chunks) - 2)
    usage = result.chunks[-1]
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] == 6 + 3
    assert usage["routing_metadata"]["provider"] == "gamma"
    assert usage["routing_metadata"]["routing_strategy"] == "balanced"


@pytest.mark.parametrize("options", [{"include_usage": False}, {"include_usage": True}, None])
def test_usage_chunk_is_always_sent(http, server, options):
    body = {"model": MODEL, "messages": user("hi")}
    if options is not None:
        body["stream_options"] = options
    result = chat_stream(http, server, body)
    assert result.chunks[-1]["choices"] == [] and result.chunks[-1]["usage"]["prompt_tokens"] == 1


def test_stream_tool_call_deltas(http, server):
    result = chat_stream(http, server, {"model": MODEL, "tools": [WEATHER],
                                        "messages": user("Use the get_weather tool for Paris and for Tokyo.")})
    assert result.deltas[0] == {"role": "assistant", "content": None}
    calls = [d["tool_calls"] for d in result.deltas if "tool_calls" in d]
    assert all(len(delta) == 1 for delta in calls)
    heads = [delta[0] for delta in calls if "id" in delta[0]]
    assert [(h["index"], h["type"], h["function"]) for h in heads] == [
        (0, "function", {"name": "get_weather", "arguments": ""}), (1, "function", {"name": "get_weather",
                                                                                     "arguments": ""})]
    for index, location in enumerate(["Paris", "Tokyo"]):
        fragments = [delta[0] for delta in calls if delta[0]["index"] == index and "id" not in delta[0]]
        assert all(set(f) == {"index", "function"} and len(f["function"]["arguments"]) <= ARGUMENT_CHUNK
                   for f in fragments) and len(fragments) > 1
        assert "".join(f["function"]["arguments"] for f in fragments) == json.dumps(
            {"location": location}, separators=(",", ":"))
    assert result.chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_stream_logprobs_per_delta(http, server):
    result = chat_stream(http, server, {"model": MODEL, "messages": user("Reply with exactly: a b c"),
                                        "logprobs": True, "top_logprobs": 1})
    content = [c["choices"][0] for c in result.chunks[1:-2]]
    assert [c["logprobs"]["content"][0]["token"] for c in content] == ["a ", "b ", "c"]
    assert all(len(c["logprobs"]["content"][0]["top_logprobs"]) == 1 for c in content)


def test_mid_stream_failure(http, server):
    request = {"model": MODEL, "messages": user("Simulate an upstream failure")}
    result = chat_stream(http, server, request)
    assert result.status == 200
    assert result.content == PARTIAL_ANSWER and len(result.deltas) == 1 + len(text_chunks(PARTIAL_ANSWER))
    assert json.loads(result.frames[-1]) == {"error": {"message": UPSTREAM_FAILURE_MESSAGE, "type": "api_error",
                                                       "code": "upstream_error", "param": None}}
    assert "[DONE]" not in result.frames
    assert not any(c.get("choices") and c["choices"][0]["finish_reason"] for c in result.chunks)
    client = sdk(server)
    with pytest.raises(openai.APIError, match="upstream provider failed") as raised:
        list(client.chat.completions.create(**request, stream=True))
    assert raised.value.code == "upstream_error" and raised.value.type == "api_error"
    with pytest.raises(openai.InternalServerError) as raised:
        client.chat.completions.create(**request)
    assert raised.value.status_code == 502 and raised.value.code == "upstream_error"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"model": "ref-pro-1", "messages": user("hi")}, 400, "response_api_only"),
    ({"model": "no-such-model", "messages": user("hi")}, 404, "model_not_found"),
    ({"model": MODEL, "messages": user("hi"), "tools": [flat(WEATHER)]}, 400, "invalid_parameter_value"),
    ({"model": "ref-down-1", "messages": user("hi")}, 503, "no_provider_available"),
])
def test_errors_before_the_stream_are_plain_json(http, server, body, status, code):
    resp = post(http, server, {**body, "stream": True})
    assert resp.status_code == status and resp.headers["content-type"] == "application/json; charset=utf-8"
    assert resp.json()["error"]["code"] == code


# === features =========================================================================================

def test_tool_round_trip_through_the_sdk(server):
    client = sdk(server)
    messages = user("Use the get_weather tool for Paris.")
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER])
    message = first.choices[0].message
    [call] = message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls" and message.content is None
    assert re.fullmatch(r"call_[0-9a-f]{24}", call.id) and call.type == "function"
    assert (call.function.name, call.function.arguments) == ("get_weather", '{"location":"Paris"}')
    history = messages + [message.model_dump(exclude_none=True)]
    for output in ("Sunny, 21 degrees", [{"type": "text", "text": "Rain"}]):
        answer = client.chat.completions.create(model=MODEL, tools=[WEATHER], messages=history + [
            {"role": "tool", "tool_call_id": call.id, "content": output}])
        text = output if isinstance(output, str) else "Rain"
        assert answer.choices[0].message.content == f"The tool returned: {text}"


def test_tool_choice_and_parallel(server):
    client = sdk(server)
    ask = "Use the get_weather tool for Paris and for Tokyo."
    both = client.chat.completions.create(model=MODEL, messages=user(ask), tools=[WEATHER])
    assert len(both.choices[0].message.tool_calls) == 2
    one = client.chat.completions.create(model=MODEL, messages=user(ask), tools=[WEATHER], parallel_tool_calls=False)
    assert len(one.choices[0].message.tool_calls) == 1
    none = client.chat.completions.create(model=MODEL, messages=user(ask), tools=[WEATHER], tool_choice="none")
    assert none.choices[0].message.tool_calls is None and none.choices[0].message.content == DEFAULT_ANSWER
    required = client.chat.completions.create(model=MODEL, messages=user("Tell me about Rome."), tools=[WEATHER],
                                              tool_choice="required")
    assert required.choices[0].message.tool_calls[0].function.arguments == '{"location":"Rome"}'


class Place(BaseModel):
    city: str
    country: str


class GetWeather(BaseModel):
    location: str
    unit: Literal["celsius", "fahrenheit"]


def test_sdk_parse_and_pydantic_tools(server):
    client = sdk(server)
    parsed = client.chat.completions.parse(model=MODEL, messages=user("city: Paris, country: France"),
                                           response_format=Place)
    assert parsed.choices[0].message.parsed == Place(city="Paris", country="France")
    with client.chat.completions.stream(model=MODEL, messages=user("city: Oslo, country: Norway"),
                                        response_format=Place) as live:
        assert live.get_final_completion().choices[0].message.parsed == Place(city="Oslo", country="Norway")
    tool = openai.pydantic_function_tool(GetWeather)
    called = client.chat.completions.parse(model=MODEL, messages=user("Use GetWeather for Berlin."), tools=[tool])
    assert called.choices[0].message.tool_calls[0].function.parsed_arguments == \
        GetWeather(location="Berlin", unit="celsius")


def test_vision_and_reasoning_through_the_sdk(server):
    client = sdk(server)
    seen = client.chat.completions.create(model="ref-vision-1", messages=image_message("What colour is this image?"))
    assert seen.choices[0].message.content == "The image is a red square, 8x8 pixels."
    blue = server.base_url + "/assets/blue-16x8.png"
    seen = client.chat.completions.create(model=MODEL, messages=image_message("Which colour?", blue))
    assert seen.choices[0].message.content == "The image is a blue rectangle, 16x8 pixels."
    blind = client.chat.completions.create(model="ref-vision-1", messages=user("What colour is the image?"))
    assert blind.choices[0].message.content == NO_IMAGE
    for effort, tokens in (("low", 8), ("high", 32), ("none", 0)):
        result = client.chat.completions.create(model="ref-reason-1", messages=user("Reply with exactly: YES"),
                                                reasoning_effort=effort)
        assert result.choices[0].message.content == "YES"
        assert result.usage.completion_tokens_details.reasoning_tokens == tokens
        assert result.usage.completion_tokens == 1 + tokens
    default = client.chat.completions.create(model="ref-reason-1", messages=user("Reply with exactly: YES"))
    assert default.usage.completion_tokens_details.reasoning_tokens == 16


def test_logprobs_and_max_tokens(server):
    client = sdk(server)
    result = client.chat.completions.create(model=MODEL, messages=user("Reply with exactly: the sky is blue"),
                                            logprobs=True, top_logprobs=3)
    entries = result.choices[0].logprobs.content
    assert "".join(e.token for e in entries) == result.choices[0].message.content == "the sky is blue"
    assert all(len(e.top_logprobs) == 3 and e.top_logprobs[0].token == e.token for e in entries)
    bare = client.chat.completions.create(model=MODEL, messages=user("Reply with exactly: a b"), logprobs=True)
    assert [e.top_logprobs for e in bare.choices[0].logprobs.content] == [[], []]
    off = client.chat.completions.create(model=MODEL, messages=user("Reply with exactly: a b"), logprobs=False)
    assert off.choices[0].logprobs is None
    for limit in ({"max_tokens": 5}, {"max_completion_tokens": 5}):
        cut = client.chat.completions.create(model=MODEL, messages=user("Count from 1 to 50"), **limit)
        assert cut.choices[0].finish_reason == "length" and cut.choices[0].message.content == "1 2 3 4 5"
        assert cut.usage.completion_tokens == 5


def test_prompt_cache_on_chat(http, server):
    long_prompt = " ".join(f"chat rule{n} applies." for n in range(40))  # 120 tokens
    body = {"model": MODEL, "messages": [{"role": "system", "content": long_prompt}, *user("hi")],
            "prompt_cache_key": "chat-cache-test"}
    first, second = post(http, server, body).json(), post(http, server, body).json()
    assert first["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    assert second["usage"]["prompt_tokens_details"]["cached_tokens"] == 112


# === responses-only models and errors =================================================================

def test_responses_only_model(http, server):
    resp = post(http, server, {"model": "ref-pro-1", "messages": user("Reply with exactly: PONG")})
    assert_error(resp, 400, "response_api_only", "model")
    assert "/v1/responses" in resp.json()["error"]["message"]
    ok = post(http, server, {"model": "ref-pro-1", "input": "Reply with exactly: PONG"}, path="/responses")
    assert ok.status_code == 200 and _responses_text(ok.json()) == "PONG"
    assert_error(post(http, server, {"gateway": {"models": ["ref-pro-1"]}, "messages": user("hi")}), 400,
                 "response_api_only", "gateway.models")
    # Among other models it is passed over.
    mixed = post(http, server, {"gateway": {"models": ["ref-pro-1", "ref-text-2"]}, "messages": user("hi")})
    assert mixed.status_code == 200 and mixed.json()["model"] == "ref-text-2"
    with pytest.raises(openai.BadRequestError) as raised:
        sdk(server).chat.completions.create(model="ref-pro-1", messages=user("hi"))
    assert raised.value.code == "response_api_only" and raised.value.param == "model"


INVALID = "invalid_request_error"
ERROR_CASES = {
    "unknown-field": ({"colour": "blue"}, 400, "unknown_field", "colour"),
    "responses-field": ({"input": "hi"}, 400, "unknown_field", "input"),
    "no-messages": ({"messages": None}, 400, "missing_required_parameter", "messages"),
    "empty-messages": ({"messages": []}, 400, "invalid_parameter_value", "messages"),
    "bad-role": ({"messages": [{"role": "robot", "content": "hi"}]}, 400, "invalid_parameter_value", "messages"),
    "function-role": ({"messages": [{"role": "function", "name": "f", "content": "hi"}]}, 400,
                      "invalid_parameter_value", "messages"),
    "bad-part": ({"messages": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}]}, 400,
                 "invalid_parameter_value", "messages"),
    "image-url-string": ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": RED}]}]}, 400,
                         "invalid_parameter_value", "messages"),
    "audio-part": ({"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]}, 400,
                   "operation_not_allowed", "messages"),
    "file-part": ({"messages": [{"role": "user", "content": [{"type": "file", "file": {"file_id": "f"}}]}]}, 400,
                  "operation_not_allowed", "messages"),
    "flat-tool": ({"tools": [flat(WEATHER)]}, 400, "invalid_parameter_value", "tools"),
    "tool-bad-name": ({"tools": [{"type": "function", "function": {"name": "bad name"}}]}, 400,
                      "invalid_parameter_value", "tools"),
    "flat-tool-choice": ({"tools": [WEATHER], "tool_choice": {"type": "function", "name": "get_weather"}}, 400,
                         "invalid_parameter_value", "tool_choice"),
    "tool-choice-unknown": ({"tools": [WEATHER], "tool_choice": {"type": "function",
                                                                  "function": {"name": "get_time"}}},
                            400, "invalid_parameter_value", "tool_choice"),
    "flat-tool-call": ({"messages": [*user("hi"), {"role": "assistant", "tool_calls": [
        {"id": "c1", "type": "function", "name": "f", "arguments": "{}"}]}]}, 400, "invalid_parameter_value",
        "messages"),
    "tool-result-without-call": ({"messages": [*user("hi"), {"role": "tool", "tool_call_id": "nope",
                                                            "content": "x"}]},
                                 400, "invalid_parameter_value", "messages"),
    "tool-without-id": ({"messages": [*user("hi"), {"role": "tool", "content": "x"}]}, 400,
                        "missing_required_parameter", "messages"),
    "flat-response-format": ({"response_format": {"type": "json_schema", **PLACE}}, 400, "invalid_parameter_value",
                             "response_format"),
    "response-format-type": ({"response_format": {"type": "yaml"}}, 400, "invalid_parameter_value",
                             "response_format"),
    "json-schema-missing": ({"response_format": {"type": "json_schema"}}, 400, "missing_required_parameter",
                            "response_format.json_schema"),
    "json-schema-no-name": ({"response_format": {"type": "json_schema", "json_schema": {"schema": {}}}}, 400,
                            "missing_required_parameter", "response_format.json_schema.name"),
    "json-object-without-json": ({"response_format": {"type": "json_object"}}, 400, "invalid_parameter_value",
                                 "response_format"),
    "reasoning-effort-value": ({"reasoning_effort": "extreme"}, 400, "invalid_parameter_value", "reasoning_effort"),
    "reasoning-on-text-model": ({"reasoning_effort": "low"}, 400, "reasoning_not_supported", "reasoning_effort"),
    "vision-on-text-model": ({"model": "ref-text-2", "messages": image_message("What colour?")}, 400,
                             "vision_not_supported", "messages"),
    "logprobs-on-reasoning-model": ({"model": "ref-reason-1", "logprobs": True}, 400, "logprobs_not_supported",
                                    "logprobs"),
    "top-logprobs-alone": ({"top_logprobs": 2}, 400, "invalid_parameter_value", "top_logprobs"),
    "top-logprobs-range": ({"logprobs": True, "top_logprobs": 21}, 400, "invalid_parameter_value", "top_logprobs"),
    "both-max-tokens": ({"max_tokens": 5, "max_completion_tokens": 5}, 400, "invalid_parameter_value",
                        "max_tokens"),
    "max-tokens-zero": ({"max_tokens": 0}, 400, "invalid_parameter_value", "max_tokens"),
    "max-completion-tokens-type": ({"max_completion_tokens": "5"}, 400, "invalid_parameter_value",
                                   "max_completion_tokens"),
    "temperature": ({"temperature": 3}, 400, "invalid_parameter_value", "temperature"),
    "stream-not-boolean": ({"stream": "yes"}, 400, "invalid_parameter_value", "stream"),
    "seed-not-integer": ({"seed": "7"}, 400, "invalid_parameter_value", "seed"),
    "stream-options-type": ({"stream_options": {"include_usage": "yes"}}, 400, "invalid_parameter_value",
                            "stream_options"),
    "store-true": ({"store": True}, 400, "operation_not_allowed", "store"),
    "model-and-gateway-models": ({"gateway": {"models": ["ref-text-2"]}}, 400, "invalid_parameter_value",
                                 "gateway.models"),
    "no-model": ({"model": None}, 400, "missing_required_parameter", "model"),
    "unknown-model": ({"model": "no-such-model"}, 404, "model_not_found", "model"),
    "unavailable-model": ({"model": "ref-down-1"}, 503, "no_provider_available", None),
    "bad-routing-mode": ({"gateway": {"routing": {"mode": "random"}}}, 400, "invalid_parameter_value",
                         "gateway.routing.mode"),
}


@pytest.mark.parametrize("case", ERROR_CASES)
def test_errors(http, server, case):
    extra, status, code, param = ERROR_CASES[case]
    body = {"model": MODEL, "messages": user("hi"), **extra}
    body = {key: value for key, value in body.items() if value is not None}
    type_ = {404: "not_found_error", 503: "api_error"}.get(status, INVALID)
    assert_error(post(http, server, body), status, code, param, type_)


@pytest.mark.parametrize("extra", [
    {"seed": 7}, {"store": False}, {"metadata": {"k": "v"}}, {"user": "u1"}, {"extensions": {"openai": {}}},
    {"gateway": {"routing": {"optimize": "cost"}, "metadata": {"tags": ["t"]}}}, {"stream": False},
    {"temperature": 0, "top_p": 0.5, "frequency_penalty": 1, "presence_penalty": -1}, {"safety_identifier": "s"},
    {"prompt_cache_key": "k"}, {"service_tier": "auto"}, {"max_completion_tokens": 50}, {"tool_choice": "auto"},
    {"reasoning_effort": "none"}, {"response_format": {"type": "text"}}, {"stream_options": {"include_usage": True}},
])
def test_accepted_fields(http, server, extra):
    resp = post(http, server, {"model": MODEL, "messages": user("Reply with exactly: OK"), **extra})
    assert resp.status_code == 200, resp.text
    assert resp.json()["choices"][0]["message"]["content"] == "OK"


def test_auth_json_and_method(http, server):
    body = {"model": MODEL, "messages": user("hi")}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        resp = http.post(server.base_url + "/chat/completions", json=body, headers=headers)
        assert_error(resp, 401, "invalid_api_key", None, "authentication_error")
    resp = http.post(server.base_url + "/chat/completions", content=b"{nope", headers=HEADERS)
    assert_error(resp, 400, "invalid_request", None)
    resp = http.get(server.base_url + "/chat/completions", headers=HEADERS)
    assert_error(resp, 405, "method_not_allowed", None)


def test_responses_faults_leave_chat_alone(http):
    """Faults of /v1/responses bodies and streams do not touch the chat endpoint."""
    faults = ["usage_total_wrong", "object_wrong", "text_empty", "tool_arguments_invalid_json",
              "stream_done_sentinel", "stream_event_line_missing", "success_status_202"]
    with ReferenceServer(faults=faults) as faulty:
        body = post(http, faulty, {"model": MODEL, "messages": user("Reply with exactly: a b"),
                                   "tools": [WEATHER]})
        assert body.status_code == 200 and body.json()["choices"][0]["message"]["content"] == "a b"
        usage = body.json()["usage"]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
        streamed = chat_stream(http, faulty, {"model": MODEL, "messages": user("Reply with exactly: a b")})
        assert streamed.content == "a b" and streamed.frames.count("[DONE]") == 1
