"""The JSON Schemas of the Chat Completions contract.

chat-request, chat-completion, chat-chunk, chat-usage and chat-stream-error
(schemas/chat-*.schema.json). Objects built and serialised by the openai and
auriko SDKs (or sent and read by them over a mock transport) must pass;
broken ones must fail with an issue whose path points at the broken field.
"""

from __future__ import annotations

import copy
import inspect
import json
from urllib.parse import urljoin

import httpx
import pytest
from schema_helpers import assert_fast_path_agrees, mutate

from respcheck.model import jsonpath
from respcheck.schemastore import SCHEMA_BASE, SchemaIssue, SchemaStore, iter_refs

auriko = pytest.importorskip("auriko")
openai = pytest.importorskip("openai")
from auriko.errors.types import AurikoAPIError  # noqa: E402
from auriko.models import chat as auriko_chat  # noqa: E402
from auriko.route_types import GatewayOptions, RoutingOptions  # noqa: E402
from openai.types import CompletionUsage  # noqa: E402
from openai.types.chat import (  # noqa: E402
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    ChatCompletionTokenLogprob,
    completion_create_params,
)

REQUEST_SCHEMA = "chat-request.schema.json"
COMPLETION = "chat-completion.schema.json"
CHUNK = "chat-chunk.schema.json"
USAGE_SCHEMA = "chat-usage.schema.json"
STREAM_ERROR = "chat-stream-error.schema.json"
CHAT_FILES = [REQUEST_SCHEMA, COMPLETION, CHUNK, USAGE_SCHEMA, STREAM_ERROR]


@pytest.fixture(scope="module")
def store() -> SchemaStore:
    return SchemaStore()


def paths(issues: list[SchemaIssue]) -> list[str]:
    return [issue.path for issue in issues]


# -- realistic answers ---------------------------------------------------------------

USAGE = {
    "prompt_tokens": 42, "completion_tokens": 18, "total_tokens": 60,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                  "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
}
TOOL_CALL = {"id": "call_01", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}
LOGPROB = {"token": "P", "logprob": -0.01, "bytes": [80],
           "top_logprobs": [{"token": "P", "logprob": -0.01, "bytes": [80]}, {"token": "p", "logprob": -4.6, "bytes": None}]}
CITATION = {"type": "url_citation",
            "url_citation": {"url": "https://example.com/", "title": "Example", "start_index": 0, "end_index": 4}}
ROUTING = {
    "provider": "openai", "provider_model_id": "gpt-4o-mini-2024-07-18", "model_canonical": "gpt-4o-mini",
    "routing_strategy": "cost-focus", "cost": {"usd": 0.000021}, "ttft_ms": 212.5, "throughput_tps": 80.1,
    "warnings": [{"type": "unsupported_parameter", "code": "top_k_dropped", "message": "top_k was dropped"}],
}


def message(**changes) -> dict:
    body = {"role": "assistant", "content": "PONG", "refusal": None, "annotations": []}
    body.update(changes)
    return body


def completion(*choices: dict, **changes) -> dict:
    body = {
        "id": "chatcmpl-0123", "object": "chat.completion", "created": 1735689600, "model": "gpt-4o-mini-2024-07-18",
        "choices": list(choices) or [{"index": 0, "message": message(), "finish_reason": "stop", "logprobs": None}],
        "usage": copy.deepcopy(USAGE), "system_fingerprint": "fp_44709d6fcb", "service_tier": "default",
    }
    body.update(changes)
    return body


def choice(index: int = 0, finish_reason: str = "stop", logprobs=None, **message_changes) -> dict:
    return {"index": index, "message": message(**message_changes), "finish_reason": finish_reason, "logprobs": logprobs}


OPENAI_COMPLETIONS = {
    "text": completion(),
    "tool_calls": completion(choice(finish_reason="tool_calls", content=None, tool_calls=[
        TOOL_CALL, {"id": "call_02", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}])),
    "custom_tool_call": completion(choice(finish_reason="tool_calls", content=None, tool_calls=[
        {"id": "call_03", "type": "custom", "custom": {"name": "sql", "input": "SELECT 1"}}])),
    "refusal": completion(choice(content=None, refusal="I can't help with that.")),
    "length": completion(choice(finish_reason="length", content="PO")),
    "content_filter": completion(choice(finish_reason="content_filter", content=None)),
    "logprobs": completion(choice(logprobs={"content": [LOGPROB], "refusal": None})),
    "annotations": completion(choice(annotations=[CITATION])),
    "n2": completion(choice(0), choice(1, content="PONG!")),
    "reasoning_usage": completion(usage={**USAGE, "completion_tokens_details": {"reasoning_tokens": 12}}),
    "no_usage": completion(usage=None, system_fingerprint=None, service_tier=None),
}


@pytest.mark.parametrize("exclude_none", [False, True], ids=["with-nulls", "without-nulls"])
@pytest.mark.parametrize("name", sorted(OPENAI_COMPLETIONS))
def test_openai_sdk_completions_pass(store, name, exclude_none):
    wire = ChatCompletion.model_validate(OPENAI_COMPLETIONS[name]).model_dump(mode="json", exclude_none=exclude_none)
    assert store.issues(COMPLETION, wire) == []


def test_openai_sdk_parts_pass(store):
    for exclude_none in (False, True):
        call = ChatCompletionMessageToolCall.model_validate(TOOL_CALL).model_dump(mode="json", exclude_none=exclude_none)
        assert store.issues(f"{COMPLETION}#/$defs/tool_call", call) == []
        for data in (message(), message(content=None, tool_calls=[TOOL_CALL]), message(annotations=[CITATION])):
            msg = ChatCompletionMessage.model_validate(data).model_dump(mode="json", exclude_none=exclude_none)
            assert store.issues(f"{COMPLETION}#/$defs/message", msg) == []
        usage = CompletionUsage.model_validate(USAGE).model_dump(mode="json", exclude_none=exclude_none)
        assert store.issues(USAGE_SCHEMA, usage) == []
        logprob = ChatCompletionTokenLogprob.model_validate(LOGPROB).model_dump(mode="json", exclude_none=exclude_none)
        assert store.issues("logprob.schema.json", logprob) == []
    bare = CompletionUsage.model_validate({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3})
    assert store.issues(USAGE_SCHEMA, bare.model_dump(mode="json")) == []


def chunk(*choices: dict, **changes) -> dict:
    body = {"id": "chatcmpl-0123", "object": "chat.completion.chunk", "created": 1735689600,
            "model": "gpt-4o-mini-2024-07-18", "system_fingerprint": "fp_44709d6fcb", "service_tier": "default",
            "choices": list(choices), "usage": None}
    body.update(changes)
    return body


def delta(index: int = 0, finish_reason=None, logprobs=None, **fields) -> dict:
    return {"index": index, "delta": fields, "finish_reason": finish_reason, "logprobs": logprobs}


# A text stream and a tool-call stream, chunk by chunk, as OpenAI sends them (with include_usage).
TEXT_STREAM = [
    chunk(delta(role="assistant", content="", refusal=None), obfuscation="k9"),
    chunk(delta(content="PO", logprobs={"content": [LOGPROB], "refusal": None})),
    chunk(delta(content="NG")),
    chunk(delta(finish_reason="stop")),
    chunk(usage=copy.deepcopy(USAGE)),
]
TOOL_STREAM = [
    chunk(delta(role="assistant", content=None, tool_calls=[
        {"index": 0, "id": "call_01", "type": "function", "function": {"name": "get_weather", "arguments": ""}}])),
    chunk(delta(tool_calls=[{"index": 0, "function": {"arguments": "{\"city\":"}}])),
    chunk(delta(tool_calls=[{"index": 0, "function": {"arguments": " \"Paris\"}"}}])),
    chunk(delta(tool_calls=[{"index": 1, "id": "call_02", "type": "function",
                             "function": {"name": "get_time", "arguments": "{}"}}])),
    chunk(delta(finish_reason="tool_calls")),
    chunk(usage=copy.deepcopy(USAGE)),
]
OTHER_CHUNKS = [
    chunk(delta(refusal="I can't")),
    chunk(delta(0, content="a"), delta(1, content="b")),
    chunk(delta(finish_reason="length")),
]


@pytest.mark.parametrize("exclude_none", [False, True], ids=["with-nulls", "without-nulls"])
def test_openai_sdk_chunks_pass(store, exclude_none):
    for data in TEXT_STREAM + TOOL_STREAM + OTHER_CHUNKS:
        wire = ChatCompletionChunk.model_validate(data).model_dump(mode="json", exclude_none=exclude_none)
        assert store.issues(CHUNK, wire) == [], wire


def test_usage_chunk_has_no_choices(store):
    assert TEXT_STREAM[-1]["choices"] == [] and store.issues(CHUNK, TEXT_STREAM[-1]) == []


AURIKO_COMPLETIONS = {
    "text": completion(routing_metadata=ROUTING),
    "tool_calls": completion(choice(finish_reason="tool_calls", content=None, tool_calls=[
        {**TOOL_CALL, "provider_signature": "sig_1"}]), routing_metadata=ROUTING),
    "reasoning": completion(choice(reasoning_content="Thinking about it.", reasoning=[
        {"type": "thinking", "thinking": "Thinking about it.", "signature": "sig"},
        {"type": "redacted", "data": "b64..."}], native_finish_reason="end_turn"),
        usage={**USAGE, "prompt_tokens_details": {"cached_tokens": 30, "cache_write_tokens": 0, "text_tokens": 42}}),
    "image": completion(choice(images=[{"type": "image", "mime_type": "image/png", "data": "iVBORw0KGgo="}])),
    "minimal_routing": completion(routing_metadata={k: ROUTING[k] for k in
                                                    ("provider", "provider_model_id", "model_canonical",
                                                     "routing_strategy")}),
}


@pytest.mark.parametrize("exclude_none", [False, True], ids=["with-nulls", "without-nulls"])
@pytest.mark.parametrize("name", sorted(AURIKO_COMPLETIONS))
def test_auriko_sdk_completions_pass(store, name, exclude_none):
    sdk_object = auriko_chat.ChatCompletion.model_validate(AURIKO_COMPLETIONS[name])
    wire = sdk_object.model_dump(mode="json", exclude_none=exclude_none)
    assert store.issues(COMPLETION, wire) == []


AURIKO_STREAM = [
    chunk(delta(role="assistant", content="")),
    chunk(delta(reasoning_content="Hmm", reasoning_signature="sig")),
    chunk(delta(tool_calls=[{"index": 0, "id": "call_01", "type": "function", "provider_signature": "sig_1",
                             "function": {"name": "get_weather", "arguments": "{}"}}])),
    chunk(delta(finish_reason="tool_calls", native_finish_reason="tool_use")),
    chunk(usage=copy.deepcopy(USAGE), routing_metadata=ROUTING),
]


@pytest.mark.parametrize("exclude_none", [False, True], ids=["with-nulls", "without-nulls"])
def test_auriko_sdk_chunks_pass(store, exclude_none):
    for data in AURIKO_STREAM + TEXT_STREAM + TOOL_STREAM:
        wire = auriko_chat.ChatCompletionChunk.model_validate(data).model_dump(mode="json", exclude_none=exclude_none)
        assert store.issues(CHUNK, wire) == [], wire


# -- over the wire: requests the SDKs send, answers they read -------------------------


def sse(*frames) -> bytes:
    return b"".join(b"data: " + (f if isinstance(f, str) else json.dumps(f)).encode() + b"\n\n" for f in frames)


class Recorder:
    """An httpx transport that keeps each request body; answers with a completion, or a stream when asked."""

    def __init__(self, stream_frames=None):
        self.bodies: list[dict] = []
        self.stream_frames = stream_frames or [*TEXT_STREAM, "[DONE]"]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if body.get("stream"):
            return httpx.Response(200, content=sse(*self.stream_frames), headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=completion(routing_metadata=ROUTING))


def openai_client(recorder: Recorder) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url="http://gateway.test/v1", max_retries=0,
                         http_client=httpx.Client(transport=httpx.MockTransport(recorder)))


def auriko_client(recorder: Recorder) -> auriko.Client:
    client = auriko.Client(api_key="ak_test", base_url="http://gateway.test/v1", max_retries=0)
    client._httpx = httpx.Client(base_url=client.base_url, transport=httpx.MockTransport(recorder))  # no network
    return client


WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city", "strict": True,
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                   "additionalProperties": False}}}
HISTORY = [
    {"role": "system", "content": "You are terse."},
    {"role": "developer", "content": [{"type": "text", "text": "Answer in English."}]},
    {"role": "user", "content": [
        {"type": "text", "text": "What is in this image, and the weather in Paris?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    ]},
    {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
    {"role": "tool", "tool_call_id": "call_01", "content": "{\"temp_c\": 21}"},
    {"role": "assistant", "content": [{"type": "text", "text": "A cat. 21°C."}], "refusal": None},
    {"role": "user", "content": "Thanks", "name": "alice"},
]
JSON_SCHEMA_FORMAT = {"type": "json_schema", "json_schema": {
    "name": "answer", "strict": True, "description": "The answer",
    "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}}}


def test_openai_sdk_requests_pass(store):
    recorder = Recorder()
    client = openai_client(recorder)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Reply with exactly: PONG"}])
    client.chat.completions.create(
        model="gpt-4o-mini", messages=HISTORY, tools=[WEATHER_TOOL], tool_choice="required", parallel_tool_calls=False,
        max_completion_tokens=64, max_tokens=64, temperature=0.2, top_p=0.9, n=1, stop=["END", "STOP"], seed=7,
        logprobs=True, top_logprobs=3, presence_penalty=0.1, frequency_penalty=-0.1, logit_bias={"1234": -100},
        user="u1", metadata={"case": "chat.tools"}, store=False, prompt_cache_key="suite-1",
        safety_identifier="user-1", service_tier="auto", response_format=JSON_SCHEMA_FORMAT,
        reasoning_effort="minimal", verbosity="low",
    )
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
            {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}}]}],
        tool_choice={"type": "function", "function": {"name": "get_weather"}}, tools=[WEATHER_TOOL],
        response_format={"type": "json_object"}, reasoning_effort="xhigh", stop="END",
    )
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                   response_format={"type": "text"}, reasoning_effort="none")
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert len(recorder.bodies) == 5 and len(chunks) == len(TEXT_STREAM)
    for body in recorder.bodies:
        assert store.issues(REQUEST_SCHEMA, body) == [], body
    for exclude_none in (False, True):  # what the SDK read back from the wire
        for sdk_chunk in chunks:
            assert store.issues(CHUNK, sdk_chunk.model_dump(mode="json", exclude_none=exclude_none)) == []


def test_auriko_sdk_requests_pass(store):
    recorder = Recorder(stream_frames=[*AURIKO_STREAM, "[DONE]"])
    client = auriko_client(recorder)
    answer = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "PONG?"}])
    assert answer.routing_metadata is not None
    assert store.issues(COMPLETION, answer.model_dump(mode="json")) == []
    client.chat.completions.create(
        messages=HISTORY[:1] + [{"role": "user", "content": [
            {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]},
            {"role": "assistant", "content": "Hello", "reasoning": [
                {"type": "thinking", "thinking": "Greet back.", "signature": "sig"}], "reasoning_content": "Greet back."}],
        tools=[WEATHER_TOOL], tool_choice="auto", reasoning_effort="high", reasoning={"exclude": True},
        top_k=40, min_p=0.05, top_a=0.1, repetition_penalty=1.1, frequency_penalty=0.1, presence_penalty=0.1,
        max_tokens=256, response_format=JSON_SCHEMA_FORMAT, user="u1", web_search_options={},
        prompt_cache_key="k", safety_identifier="s",
        gateway=GatewayOptions(models=["gpt-4o-mini", "claude-sonnet-4-6"],
                               routing=RoutingOptions(optimize="ttft", mode="fallback", allow_fallbacks=True,
                                                      providers=["openai", "anthropic"], max_fallback_attempts=3),
                               metadata={"tags": ["suite"], "trace_id": "t-1"}),
        extensions={"openai": {"logit_bias": {"1234": -100}}, "anthropic": {}},
    )
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert stream.routing_metadata is not None and len(chunks) == len(AURIKO_STREAM)
    assert len(recorder.bodies) == 3
    for body in recorder.bodies:
        assert store.issues(REQUEST_SCHEMA, body) == [], body
    for sdk_chunk in chunks:
        assert store.issues(CHUNK, sdk_chunk.model_dump(mode="json")) == []


def test_every_sdk_parameter_is_a_known_field(store):
    """No request field either SDK can send is refused as unknown (additionalProperties is false)."""
    known = set(store.contents(REQUEST_SCHEMA)["properties"])
    openai_fields = set(completion_create_params.CompletionCreateParamsBase.__annotations__) | {"stream"}
    assert openai_fields - known == set()
    auriko_fields = set(inspect.signature(auriko_chat_create()).parameters) - {"self", "extra_body"}
    assert auriko_fields - known == set()
    assert {"messages", "model", "gateway", "extensions", "reasoning_effort", "response_format"} <= auriko_fields


def auriko_chat_create():
    from auriko.resources.chat import Completions

    return Completions.create


STREAM_ERRORS = [
    {"error": {"message": "Provider failed mid-stream", "type": "api_error", "code": "upstream_error", "param": None,
               "doc_url": "https://docs.auriko.ai/errors/upstream_error", "provider": "openai",
               "suggestion": "Retry the request."}},
    {"error": {"message": "Stream took too long", "type": "api_error", "code": "stream_duration_exceeded"}},
    {"error": {"message": "Rate limited", "type": "rate_limit_error", "code": "rate_limit_exceeded", "param": None}},
]
NOT_STREAM_ERRORS = [
    {"error": {"message": "No code", "type": "api_error", "code": None, "param": None}},
    {"error": {"message": "Odd type", "type": "server_error", "code": "upstream_error"}},
    {"error": {"message": "", "type": "api_error", "code": "upstream_error"}},
    {"error": "upstream_error"},
]


@pytest.mark.parametrize("frame", STREAM_ERRORS + NOT_STREAM_ERRORS)
def test_stream_error_frames_agree_with_the_seed_sdk(store, frame):
    """A frame the schema accepts is one the auriko SDK maps to a typed error, not to malformed_response."""
    client = auriko_client(Recorder(stream_frames=[TEXT_STREAM[0], frame]))
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True)
    with pytest.raises(AurikoAPIError) as raised:
        list(stream)
    sdk_accepts = raised.value.code != "malformed_response"
    assert store.is_valid(STREAM_ERROR, frame) == sdk_accepts, (raised.value.code, store.issues(STREAM_ERROR, frame))
    if sdk_accepts:
        assert raised.value.code == frame["error"]["code"]


def test_stream_error_frame_is_neither_a_chunk_nor_a_responses_event(store):
    frame = STREAM_ERRORS[0]
    assert store.issues(STREAM_ERROR, frame) == []
    assert not store.is_valid(CHUNK, frame)
    assert "'error' is a required property" in str(store.issues(STREAM_ERROR, TEXT_STREAM[1]))
    responses_flat = {"type": "error", "code": "upstream_error", "message": "x", "param": None}
    assert not store.is_valid(STREAM_ERROR, responses_flat)
    responses_nested = {"type": "error", "error": frame["error"]}
    [issue] = store.issues(STREAM_ERROR, responses_nested)
    assert issue.path == "$" and "top-level `type`" in issue.message
    assert store.is_valid("error.schema.json", frame)  # the same envelope as an HTTP error body


# -- broken documents -------------------------------------------------------------------


TOOLS_ANSWER = OPENAI_COMPLETIONS["tool_calls"]
FLAT_CALL = {"type": "function_call", "id": "fc_01", "call_id": "call_01", "name": "get_weather",
             "arguments": "{\"city\": \"Paris\"}", "status": "completed"}
TOOL_DELTA = TOOL_STREAM[0]
REQUEST = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}

BROKEN = [
    # (id, schema, document, expected path, words in the message)
    ("object-response", COMPLETION, mutate(completion(), "object", "response"), "$.object", "'chat.completion'"),
    ("object-chunk", COMPLETION, mutate(completion(), "object", "chat.completion.chunk"), "$.object", "'chat.completion'"),
    ("created-string", COMPLETION, mutate(completion(), "created", "1735689600"), "$.created", "not of type 'integer'"),
    ("created-float", COMPLETION, mutate(completion(), "created", 1735689600.5), "$.created", "not of type 'integer'"),
    ("choices-empty", COMPLETION, completion(choices=[]), "$.choices", "non-empty"),
    ("choices-missing", COMPLETION, mutate(completion(), "choices", delete=True), "$", "'choices' is a required"),
    ("no-finish-reason", COMPLETION, mutate(completion(), "choices.0.finish_reason", delete=True),
     "$.choices[0]", "'finish_reason' is a required"),
    ("finish-reason-null", COMPLETION, mutate(completion(), "choices.0.finish_reason", None),
     "$.choices[0].finish_reason", "is not one of"),
    ("finish-reason-unknown", COMPLETION, mutate(completion(), "choices.0.finish_reason", "end_turn"),
     "$.choices[0].finish_reason", "is not one of"),
    ("role-user", COMPLETION, mutate(completion(), "choices.0.message.role", "user"),
     "$.choices[0].message.role", "'assistant'"),
    ("content-parts", COMPLETION, mutate(completion(), "choices.0.message.content", [{"type": "text", "text": "PONG"}]),
     "$.choices[0].message.content", "is not of type 'string', 'null'"),
    ("arguments-object", COMPLETION,
     mutate(TOOLS_ANSWER, "choices.0.message.tool_calls.0.function.arguments", {"city": "Paris"}),
     "$.choices[0].message.tool_calls[0].function.arguments", "is not of type 'string'"),
    ("responses-tool-call", COMPLETION, mutate(TOOLS_ANSWER, "choices.0.message.tool_calls.0", FLAT_CALL),
     "$.choices[0].message.tool_calls[0].type", "is not one of"),
    ("flat-function-tool-call", COMPLETION,
     mutate(TOOLS_ANSWER, "choices.0.message.tool_calls.0", {"id": "call_01", "type": "function", "name": "f",
                                                             "arguments": "{}"}),
     "$.choices[0].message.tool_calls[0]", "'function' is a required"),
    ("tool-call-no-id", COMPLETION, mutate(TOOLS_ANSWER, "choices.0.message.tool_calls.0.id", delete=True),
     "$.choices[0].message.tool_calls[0]", "'id' is a required"),
    ("tool-call-no-name", COMPLETION, mutate(TOOLS_ANSWER, "choices.0.message.tool_calls.0.function.name", delete=True),
     "$.choices[0].message.tool_calls[0].function", "'name' is a required"),
    ("responses-citation", COMPLETION,
     mutate(completion(), "choices.0.message.annotations", [{"type": "url_citation", "url": "https://x", "title": "X",
                                                              "start_index": 0, "end_index": 1}]),
     "$.choices[0].message.annotations[0]", "'url_citation' is a required"),
    ("logprob-string", COMPLETION, mutate(OPENAI_COMPLETIONS["logprobs"], "choices.0.logprobs.content.0.logprob", "-0.1"),
     "$.choices[0].logprobs.content[0].logprob", "not of type 'number'"),
    ("logprobs-list", COMPLETION, mutate(completion(), "choices.0.logprobs", [LOGPROB]),
     "$.choices[0].logprobs", "is not of type 'object', 'null'"),
    ("usage-total-string", COMPLETION, mutate(completion(), "usage.total_tokens", "60"),
     "$.usage.total_tokens", "is not of type 'integer'"),
    ("usage-negative", COMPLETION, mutate(completion(), "usage.prompt_tokens", -1), "$.usage.prompt_tokens", "minimum"),
    ("usage-responses-names", COMPLETION,
     completion(usage={"input_tokens": 42, "output_tokens": 18, "total_tokens": 60}),
     "$.usage", "'prompt_tokens' is a required"),
    ("cached-tokens-float", COMPLETION, mutate(completion(), "usage.prompt_tokens_details.cached_tokens", 1.5),
     "$.usage.prompt_tokens_details.cached_tokens", "integer"),
    ("routing-no-provider", COMPLETION, completion(routing_metadata=mutate(ROUTING, "provider", delete=True)),
     "$.routing_metadata", "'provider' is a required"),
    ("usage-total-string-alone", USAGE_SCHEMA, mutate(USAGE, "total_tokens", "60"), "$.total_tokens", "integer"),
    # chunks
    ("chunk-object-completion", CHUNK, mutate(TEXT_STREAM[1], "object", "chat.completion"),
     "$.object", "'chat.completion.chunk'"),
    ("chunk-created-string", CHUNK, mutate(TEXT_STREAM[1], "created", "1735689600"), "$.created", "integer"),
    ("chunk-without-choices", CHUNK, mutate(TEXT_STREAM[1], "choices", delete=True), "$", "'choices' is a required"),
    ("chunk-message-not-delta", CHUNK, chunk({"index": 0, "message": message(), "finish_reason": "stop"}),
     "$.choices[0]", "'delta' is a required"),
    ("tool-delta-without-index", CHUNK, mutate(TOOL_DELTA, "choices.0.delta.tool_calls.0.index", delete=True),
     "$.choices[0].delta.tool_calls[0]", "'index' is a required"),
    ("tool-delta-index-string", CHUNK, mutate(TOOL_DELTA, "choices.0.delta.tool_calls.0.index", "0"),
     "$.choices[0].delta.tool_calls[0].index", "integer"),
    ("tool-delta-arguments-object", CHUNK, mutate(TOOL_DELTA, "choices.0.delta.tool_calls.0.function.arguments", {}),
     "$.choices[0].delta.tool_calls[0].function.arguments", "is not of type 'string', 'null'"),
    ("chunk-finish-reason", CHUNK, mutate(TEXT_STREAM[3], "choices.0.finish_reason", "done"),
     "$.choices[0].finish_reason", "is not one of"),
    ("chunk-delta-role", CHUNK, mutate(TEXT_STREAM[0], "choices.0.delta.role", "model"),
     "$.choices[0].delta.role", "is not one of"),
    ("chunk-usage-total-string", CHUNK, mutate(TEXT_STREAM[-1], "usage.total_tokens", "60"),
     "$.usage.total_tokens", "is not of type 'integer'"),
    ("chunk-routing-warning", CHUNK, mutate(AURIKO_STREAM[-1], "routing_metadata.warnings.0.type", "oops"),
     "$.routing_metadata.warnings[0].type", "is not one of"),
    # stream error frames
    ("error-frame-no-code", STREAM_ERROR, mutate(STREAM_ERRORS[0], "error.code", delete=True),
     "$.error", "'code' is a required"),
    ("error-frame-code-int", STREAM_ERROR, mutate(STREAM_ERRORS[0], "error.code", 502), "$.error.code", "string"),
    ("error-frame-type", STREAM_ERROR, mutate(STREAM_ERRORS[0], "error.type", "server_error"),
     "$.error.type", "is not one of"),
    ("error-frame-flat", STREAM_ERROR, {"message": "x", "code": "upstream_error"}, "$", "'error' is a required"),
    # requests
    ("request-flat-tool", REQUEST_SCHEMA,
     {**REQUEST, "tools": [{"type": "function", "name": "get_weather", "parameters": {}}]},
     "$.tools[0]", "'function' is a required"),
    ("request-flat-tool-extra", REQUEST_SCHEMA,
     {**REQUEST, "tools": [{"type": "function", "name": "get_weather", "parameters": {}}]},
     "$.tools[0]", "'name', 'parameters' were unexpected"),
    ("request-hosted-tool", REQUEST_SCHEMA, {**REQUEST, "tools": [{"type": "web_search"}]},
     "$.tools[0].type", "is not one of"),
    ("request-tool-typo", REQUEST_SCHEMA,
     {**REQUEST, "tools": [{"type": "function", "function": {"name": "f", "paramters": {}}}]},
     "$.tools[0].function", "'paramters' was unexpected"),
    ("request-tool-name", REQUEST_SCHEMA, {**REQUEST, "tools": [{"type": "function", "function": {"name": "get weather"}}]},
     "$.tools[0].function.name", "does not match"),
    ("request-flat-tool-choice", REQUEST_SCHEMA, {**REQUEST, "tool_choice": {"type": "function", "name": "f"}},
     "$.tool_choice", "'function' is a required"),
    ("request-tool-choice-word", REQUEST_SCHEMA, {**REQUEST, "tool_choice": "any"}, "$.tool_choice", "is not one of"),
    ("request-flat-json-schema", REQUEST_SCHEMA,
     {**REQUEST, "response_format": {"type": "json_schema", "name": "a", "schema": {}}},
     "$.response_format", "'json_schema' is a required"),
    ("request-json-schema-no-name", REQUEST_SCHEMA,
     {**REQUEST, "response_format": {"type": "json_schema", "json_schema": {"schema": {}}}},
     "$.response_format.json_schema", "'name' is a required"),
    ("request-format-type", REQUEST_SCHEMA, {**REQUEST, "response_format": {"type": "json"}},
     "$.response_format.type", "is not one of"),
    ("request-effort", REQUEST_SCHEMA, {**REQUEST, "reasoning_effort": "extreme"}, "$.reasoning_effort", "is not one of"),
    ("request-effort-off", REQUEST_SCHEMA, {**REQUEST, "reasoning_effort": "off"}, "$.reasoning_effort", "is not one of"),
    ("request-responses-reasoning", REQUEST_SCHEMA, {**REQUEST, "reasoning": {"effort": "low"}},
     "$.reasoning", "'effort' was unexpected"),
    ("request-input", REQUEST_SCHEMA, {**REQUEST, "input": "hi"}, "$", "'input' was unexpected"),
    ("request-responses-fields", REQUEST_SCHEMA,
     {**REQUEST, "instructions": "x", "max_output_tokens": 16, "text": {"format": {"type": "text"}}},
     "$", "'instructions', 'max_output_tokens', 'text' were unexpected"),
    ("request-no-messages", REQUEST_SCHEMA, {"model": "gpt-4o-mini"}, "$", "'messages' is a required"),
    ("request-empty-messages", REQUEST_SCHEMA, {**REQUEST, "messages": []}, "$.messages", "non-empty"),
    ("request-no-model", REQUEST_SCHEMA, {"messages": REQUEST["messages"]}, "$", "'model' is a required"),
    ("request-model-and-models", REQUEST_SCHEMA, {**REQUEST, "gateway": {"models": ["a"]}}, "$", "must not set both"),
    ("request-11-models", REQUEST_SCHEMA,
     {"messages": REQUEST["messages"], "gateway": {"models": [f"m{i}" for i in range(11)]}}, "$.gateway.models", "too long"),
    ("request-routing-typo", REQUEST_SCHEMA, {**REQUEST, "gateway": {"routing": {"optimise": "cost"}}},
     "$.gateway.routing", "'optimise' was unexpected"),
    ("request-thinking", REQUEST_SCHEMA, {**REQUEST, "extensions": {"thinking": {}}}, "$.extensions", "thinking"),
    ("request-role", REQUEST_SCHEMA, {**REQUEST, "messages": [{"role": "model", "content": "x"}]},
     "$.messages[0].role", "is not one of"),
    ("request-responses-item", REQUEST_SCHEMA,
     {**REQUEST, "messages": [{"type": "function_call_output", "call_id": "c", "output": "x"}]},
     "$.messages[0]", "'role' is a required"),
    ("request-tool-message-call-id", REQUEST_SCHEMA,
     {**REQUEST, "messages": [{"role": "tool", "call_id": "c", "content": "x"}]},
     "$.messages[0]", "'tool_call_id' is a required"),
    ("request-user-no-content", REQUEST_SCHEMA, {**REQUEST, "messages": [{"role": "user"}]},
     "$.messages[0]", "'content' is a required"),
    ("request-input-text-part", REQUEST_SCHEMA,
     {**REQUEST, "messages": [{"role": "user", "content": [{"type": "input_text", "text": "x"}]}]},
     "$.messages[0].content[0].type", "is not one of"),
    ("request-image-url-string", REQUEST_SCHEMA,
     {**REQUEST, "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": "https://x"}]}]},
     "$.messages[0].content[0].image_url", "is not of type 'object'"),
    ("request-image-detail", REQUEST_SCHEMA,
     {**REQUEST, "messages": [{"role": "user", "content": [{"type": "image_url",
                                                            "image_url": {"url": "https://x", "detail": "max"}}]}]},
     "$.messages[0].content[0].image_url.detail", "is not one of"),
    ("request-history-arguments-object", REQUEST_SCHEMA,
     {**REQUEST, "messages": [{"role": "assistant", "tool_calls": [mutate(TOOL_CALL, "function.arguments", {})]}]},
     "$.messages[0].tool_calls[0].function.arguments", "is not of type 'string'"),
    ("request-history-flat-call", REQUEST_SCHEMA,
     {**REQUEST, "messages": [{"role": "assistant", "tool_calls": [FLAT_CALL]}]},
     "$.messages[0].tool_calls[0].type", "is not one of"),
    ("request-top-logprobs", REQUEST_SCHEMA, {**REQUEST, "top_logprobs": 21}, "$.top_logprobs", "maximum"),
    ("request-temperature", REQUEST_SCHEMA, {**REQUEST, "temperature": 2.5}, "$.temperature", "maximum"),
    ("request-n-zero", REQUEST_SCHEMA, {**REQUEST, "n": 0}, "$.n", "minimum"),
    ("request-five-stops", REQUEST_SCHEMA, {**REQUEST, "stop": list("abcde")}, "$.stop", "too long"),
    ("request-logit-bias-key", REQUEST_SCHEMA, {**REQUEST, "logit_bias": {"hello": 1}}, "$.logit_bias", "does not match"),
    ("request-logit-bias-value", REQUEST_SCHEMA, {**REQUEST, "logit_bias": {"12": 101}}, '$.logit_bias["12"]', "maximum"),
    ("request-stream-options-typo", REQUEST_SCHEMA, {**REQUEST, "stream_options": {"include_usages": True}},
     "$.stream_options", "'include_usages' was unexpected"),
    ("request-metadata-number", REQUEST_SCHEMA, {**REQUEST, "metadata": {"k": 1}}, "$.metadata.k", "not of type 'string'"),
]


@pytest.mark.parametrize("schema,document,path,words", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_documents_fail_at_the_right_place(store, schema, document, path, words):
    issues = store.issues(schema, document)
    assert issues, f"{schema} accepted a broken document"
    matching = [issue for issue in issues if issue.path == path]
    assert matching, f"no issue at {path}; got {[str(i) for i in issues]}"
    assert any(words in issue.message for issue in matching), [str(i) for i in matching]
    assert not store.is_valid(schema, document)
    for issue in issues:  # paths are in the suite's own JSON path dialect and lead somewhere
        assert jsonpath.get(document, issue.path) is not jsonpath.MISSING, issue


def test_documents_of_one_endpoint_fail_the_other(store):
    """A Response is no chat completion, a chat request no Responses request, and the other way round."""
    assert not store.is_valid(COMPLETION, {"id": "resp_1", "object": "response", "created_at": 1, "status": "completed",
                                           "model": "m", "output": []})
    assert not store.is_valid("responses-request.schema.json", REQUEST)
    assert not store.is_valid(REQUEST_SCHEMA, {"model": "gpt-4o-mini", "input": "hi"})
    assert not store.is_valid(CHUNK, completion())
    assert not store.is_valid(COMPLETION, TEXT_STREAM[1])
    assert not store.is_valid("tool.schema.json", WEATHER_TOOL)  # the Responses tool schema refuses the nested shape


def test_extra_fields_pass_on_answers(store):
    """Gateways add fields to answers; only requests are closed."""
    body = completion(x_gateway={"a": 1}, choices=[{**choice(), "native_finish_reason": "end_turn", "extra": 1}])
    assert store.issues(COMPLETION, body) == []
    assert store.issues(CHUNK, {**TEXT_STREAM[1], "provider": "Together"}) == []


# -- the files themselves ------------------------------------------------------------------


def test_chat_schema_files_are_sound(store):
    assert set(CHAT_FILES) <= set(store.names())
    assert store.check_schema_files() == []
    for name in CHAT_FILES:
        assert store.contents(name)["$id"] == SCHEMA_BASE + name


def test_every_chat_ref_resolves(store):
    seen = 0
    for name in CHAT_FILES:
        base = store.contents(name)["$id"]
        for where, ref in iter_refs(store.contents(name)):
            assert store.has(urljoin(base, ref)), f"{name} {where}: {ref}"
            seen += 1
    assert seen > 40
    for shared in ("chat-completion.schema.json#/$defs/tool_call", "chat-completion.schema.json#/$defs/finish_reason",
                   "chat-completion.schema.json#/$defs/choice_logprobs", "chat-request.schema.json#/$defs/message",
                   "chat-request.schema.json#/$defs/tool", "chat-chunk.schema.json#/$defs/tool_call_delta"):
        assert store.has(shared), shared


def test_fast_path_agrees_with_jsonschema(store):
    """Every one-field mutation of real documents is judged alike by both engines."""
    values = [None, True, 0, -1, 1.5, "", "x", [], [{}], {}, {"type": "x"}]
    documents = [
        (COMPLETION, {**OPENAI_COMPLETIONS["logprobs"], "routing_metadata": ROUTING}),
        (COMPLETION, TOOLS_ANSWER),
        (CHUNK, TOOL_STREAM[0]), (CHUNK, TEXT_STREAM[-1]),
        (REQUEST_SCHEMA, {**REQUEST, "messages": HISTORY, "tools": [WEATHER_TOOL], "response_format": JSON_SCHEMA_FORMAT,
                          "tool_choice": {"type": "function", "function": {"name": "get_weather"}}}),
        (REQUEST_SCHEMA, {"messages": REQUEST["messages"], "gateway": {"models": ["a"], "routing": {"mode": "pool"}}}),
        (STREAM_ERROR, STREAM_ERRORS[0]),
    ]
    assert assert_fast_path_agrees(store, documents, values) > 1000
