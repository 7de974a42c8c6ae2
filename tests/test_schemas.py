"""The contract's JSON Schemas and the store that serves them.

Real objects (built and serialised by the openai and auriko SDKs, or sent by
them over a mock transport) must pass; broken ones must fail with an issue
whose path points at the broken field.
"""

from __future__ import annotations

import copy
import json
import time
from urllib.parse import urljoin

import httpx
import pytest
from schema_helpers import USAGE, assert_fast_path_agrees, mutate, typical_response

from respcheck.model import jsonpath
from respcheck.schemastore import SCHEMA_BASE, SchemaIssue, SchemaStore, default_store, iter_refs

auriko = pytest.importorskip("auriko")
openai = pytest.importorskip("openai")
from auriko.models import providers as auriko_providers  # noqa: E402
from auriko.models import responses as auriko_responses  # noqa: E402
from auriko.route_types import GatewayOptions, RoutingOptions  # noqa: E402
from openai.types.responses import (  # noqa: E402
    Response,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseReasoningItem,
    ResponseUsage,
)

CONTRACT_FILES = [
    "usage.schema.json", "content-part.schema.json", "output-item.schema.json", "response.schema.json",
    "routing-metadata.schema.json", "input-item.schema.json", "responses-request.schema.json",
    "error.schema.json", "model.schema.json", "model-list.schema.json", "directory.schema.json",
]


@pytest.fixture(scope="module")
def store() -> SchemaStore:
    return SchemaStore()


def paths(issues: list[SchemaIssue]) -> list[str]:
    return [issue.path for issue in issues]


# -- realistic objects ----------------------------------------------------------

MESSAGE = {
    "type": "message", "id": "msg_01", "role": "assistant", "status": "completed",
    "content": [{
        "type": "output_text", "text": "PONG",
        "annotations": [{"type": "url_citation", "url": "https://example.com/", "title": "Example",
                         "start_index": 0, "end_index": 4}],
        "logprobs": [{"token": "P", "logprob": -0.01, "bytes": [80],
                      "top_logprobs": [{"token": "P", "logprob": -0.01, "bytes": [80]}]}],
    }],
}
FUNCTION_CALL = {
    "type": "function_call", "id": "fc_01", "call_id": "call_01", "name": "get_weather",
    "arguments": "{\"city\": \"Paris\"}", "status": "completed",
}
REASONING = {
    "type": "reasoning", "id": "rs_01", "summary": [{"type": "summary_text", "text": "Thinking about it."}],
    "encrypted_content": "gAAAAB...",
}
WEATHER_TOOL = {
    "type": "function", "name": "get_weather", "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "strict": True,
}
ROUTING = {
    "provider": "openai", "provider_model_id": "gpt-4o-mini-2024-07-18", "model_canonical": "gpt-4o-mini",
    "routing_strategy": "cost-focus", "cost": {"usd": 0.000021}, "ttft_ms": 212.5, "throughput_tps": 80.1,
    "warnings": [{"type": "unsupported_parameter", "code": "top_k_dropped", "message": "top_k was dropped"}],
}


def response(**changes) -> dict:
    return typical_response(MESSAGE, **changes)


OPENAI_RESPONSES = {
    "text": response(),
    "tools": response(output=[copy.deepcopy(FUNCTION_CALL)], tools=[WEATHER_TOOL],
                      tool_choice={"type": "function", "name": "get_weather"}),
    "reasoning": response(output=[copy.deepcopy(REASONING), copy.deepcopy(MESSAGE)],
                          reasoning={"effort": "low", "summary": "auto"},
                          usage={**USAGE, "output_tokens_details": {"reasoning_tokens": 12}}),
    "refusal": response(output=[{**MESSAGE, "content": [{"type": "refusal", "refusal": "I can't help."}]}]),
    "incomplete": response(status="incomplete", incomplete_details={"reason": "max_output_tokens"},
                           output=[{**MESSAGE, "status": "incomplete"}]),
    "failed": response(status="failed", output=[], usage=None,
                       error={"code": "server_error", "message": "The model failed."}),
    "json_schema": response(text={"format": {"type": "json_schema", "name": "answer", "strict": True,
                                             "schema": {"type": "object", "properties": {}}}}),
    "in_progress": response(status="in_progress", output=[], usage=None, created_at=1735689600.25),
}


@pytest.mark.parametrize("exclude_none", [False, True], ids=["with-nulls", "without-nulls"])
@pytest.mark.parametrize("name", sorted(OPENAI_RESPONSES))
def test_openai_sdk_responses_pass(store, name, exclude_none):
    sdk_object = Response.model_validate(OPENAI_RESPONSES[name])
    wire = sdk_object.model_dump(mode="json", exclude_none=exclude_none)
    assert store.issues("response.schema.json", wire) == []


def test_openai_sdk_items_pass(store):
    items = [ResponseOutputMessage.model_validate(MESSAGE), ResponseFunctionToolCall.model_validate(FUNCTION_CALL),
             ResponseReasoningItem.model_validate(REASONING),
             ResponseFunctionToolCall.model_validate({k: v for k, v in FUNCTION_CALL.items() if k not in ("id", "status")})]
    for item in items:
        for exclude_none in (False, True):
            assert store.issues("output-item.schema.json", item.model_dump(mode="json", exclude_none=exclude_none)) == []
    part = ResponseOutputText.model_validate(MESSAGE["content"][0]).model_dump(mode="json")
    assert store.issues("content-part.schema.json", part) == []
    usage = ResponseUsage.model_validate(USAGE).model_dump(mode="json")
    assert store.issues("usage.schema.json", usage) == []


AURIKO_RESPONSES = {
    "text": {**response(), "routing_metadata": ROUTING},
    "tools": {**response(output=[copy.deepcopy(FUNCTION_CALL)]), "routing_metadata": ROUTING},
    "reasoning": response(output=[{"type": "reasoning", "id": "rs_1", "summary": []}, copy.deepcopy(MESSAGE)]),
    # items the auriko SDK does not model (it wraps them as {type, data}): provider extensions pass
    "hosted_tool": response(output=[{"type": "x_vendor_search_call", "id": "ws_1", "status": "completed"},
                                    {"type": "x_vendor_image_call", "id": "ig_1", "status": "completed",
                                     "result": None}]),
    "incomplete": response(status="incomplete", incomplete_details={"reason": "content_filter"}),
    "failed": response(status="failed", output=[], usage=None,
                       error={"code": "upstream_error", "message": "Provider failed", "type": "api_error",
                              "param": None, "provider": "openai"}),
}


@pytest.mark.parametrize("exclude_none", [False, True], ids=["with-nulls", "without-nulls"])
@pytest.mark.parametrize("name", sorted(AURIKO_RESPONSES))
def test_auriko_sdk_responses_pass(store, name, exclude_none):
    sdk_object = auriko_responses.Response.model_validate(AURIKO_RESPONSES[name])
    wire = sdk_object.model_dump(mode="json", exclude_none=exclude_none)
    assert store.issues("response.schema.json", wire) == []


def test_auriko_routing_metadata_passes(store):
    from auriko.route_types import RoutingMetadata

    for data in (ROUTING, {k: ROUTING[k] for k in ("provider", "provider_model_id", "model_canonical", "routing_strategy")}):
        wire = RoutingMetadata.model_validate(data).model_dump(mode="json")
        assert store.issues("routing-metadata.schema.json", wire) == []


# -- requests as the SDKs send them -------------------------------------------


class Recorder:
    """An httpx transport that keeps each request body and answers with a Response."""

    def __init__(self):
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return httpx.Response(200, json=response())


HISTORY = [
    {"role": "developer", "content": "Be brief."},
    {"role": "user", "content": [
        {"type": "input_text", "text": "What is in this image, and the weather in Paris?"},
        {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "low"},
        {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo=", "detail": "auto"},
    ]},
    {"type": "reasoning", "id": "rs_01", "summary": [], "encrypted_content": "gAAAAB..."},
    {"type": "function_call", "call_id": "call_01", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
    {"type": "function_call_output", "call_id": "call_01", "output": "{\"temp_c\": 21}"},
    {"role": "assistant", "content": [{"type": "output_text", "text": "A cat. 21°C."}]},
    {"type": "message", "role": "user", "content": "Thanks"},
]


def test_openai_sdk_requests_pass(store):
    recorder = Recorder()
    client = openai.OpenAI(api_key="sk-test", base_url="http://gateway.test/v1",
                           http_client=httpx.Client(transport=httpx.MockTransport(recorder)))
    client.responses.create(model="gpt-4o-mini", input="Reply with exactly: PONG")
    client.responses.create(
        model="gpt-4o-mini", input=HISTORY, instructions="You are terse.", tools=[WEATHER_TOOL],
        tool_choice="required", parallel_tool_calls=False, max_output_tokens=64, temperature=0.2, top_p=0.9,
        metadata={"case": "responses.tools"}, store=False, include=["message.output_text.logprobs"], top_logprobs=3,
        prompt_cache_key="suite-1", safety_identifier="user-1", truncation="disabled",
        text={"format": {"type": "json_schema", "name": "answer", "strict": True,
                         "schema": {"type": "object", "properties": {"a": {"type": "string"}}}},
              "verbosity": "low"},
        reasoning={"effort": "minimal", "summary": "auto"},
    )
    client.responses.create(model="gpt-4o-mini", input="hi", stream=False, text={"format": {"type": "json_object"}},
                            tool_choice={"type": "allowed_tools", "mode": "auto", "tools": [{"type": "function", "name": "f"}]})
    assert len(recorder.bodies) == 3
    for body in recorder.bodies:
        assert store.issues("responses-request.schema.json", body) == []


def test_auriko_sdk_requests_pass(store):
    recorder = Recorder()
    client = auriko.Client(api_key="ak_test", base_url="http://gateway.test/v1")
    client._httpx = httpx.Client(base_url=client.base_url, transport=httpx.MockTransport(recorder))  # no network
    client.responses.create(model="gpt-4o-mini", input="Reply with exactly: PONG")
    client.responses.create(
        input=HISTORY, tools=[WEATHER_TOOL], reasoning={"effort": "high", "summary": "detailed"}, top_k=40,
        frequency_penalty=0.1, presence_penalty=0.1, max_tool_calls=2, user="u1",
        gateway=GatewayOptions(models=["gpt-4o-mini", "claude-sonnet-4-6"],
                               routing=RoutingOptions(optimize="ttft", mode="fallback", allow_fallbacks=True,
                                                      providers=["openai", "anthropic"], max_fallback_attempts=3),
                               metadata={"tags": ["suite"], "trace_id": "t-1"}),
        extensions={"openai": {"logit_bias": {"1234": -100}}, "anthropic": {}},
    )
    assert len(recorder.bodies) == 2
    for body in recorder.bodies:
        assert store.issues("responses-request.schema.json", body) == []


# -- models and directory ---------------------------------------------------------

MODEL = {
    "id": "gpt-5.4", "object": "model", "created": 1735689600, "owned_by": "auriko", "context_window": 400000,
    "supported_endpoints": ["assistants", "batch", "chat_completions", "fine_tuning", "responses"],
    "providers": [{"name": "openai", "input_price": 1.25, "output_price": 10.0, "data_policy": "no_training"}],
}
MODEL_LIST = {"object": "list", "data": [MODEL, {"id": "gpt-4o", "object": "model", "created": 0, "owned_by": "openai"}],
              "catalog_version": "2026-11-01", "catalog_age_seconds": 12.5}
DIRECTORY = {
    "models": {
        "gpt-5.4": {
            "family": "gpt-5", "display_name": "GPT-5.4", "author": "openai", "aliases": ["gpt-5.4-latest"],
            "providers": [{
                "provider": "openai", "provider_model_id": "gpt-5.4-2026-03-01", "context_window": 400000,
                "max_output_tokens": 128000, "capabilities": {"tools": True, "vision": True, "reasoning": True},
                "input_modalities": ["text", "image"], "output_modalities": ["text"],
                "supported_endpoints": ["chat_completions", "responses"], "data_policy": "no_training",
                "tiers": [{"name": "standard", "input_price": 1.25, "output_price": 10.0, "cache_read_price": 0.125,
                           "cache_write_price": None, "latency_hint": None, "price_variants": []}],
                "updated_at": "2026-11-01T00:00:00Z",
            }],
        },
    },
    "generated_at": "2026-11-28T00:00:00Z",
}


def test_model_documents_pass(store):
    assert store.issues("model.schema.json", MODEL) == []
    assert store.issues("model-list.schema.json", MODEL_LIST) == []
    assert store.issues("directory.schema.json", DIRECTORY) == []
    # the same documents, read and written back by the auriko SDK
    for schema, cls, doc in [("model-list.schema.json", auriko_providers.ModelList, MODEL_LIST),
                             ("directory.schema.json", auriko_providers.DirectoryResponse, DIRECTORY)]:
        assert store.issues(schema, cls.model_validate(doc).model_dump(mode="json")) == []


ERROR = {"error": {"message": "The model 'nope' does not exist.", "type": "not_found_error",
                   "code": "model_not_found", "param": "model",
                   "doc_url": "https://docs.auriko.ai/errors/model_not_found", "provider": None,
                   "suggestion": "List models with GET /v1/models."}}


def test_error_envelopes_pass(store):
    assert store.issues("error.schema.json", ERROR) == []
    assert store.issues("error.schema.json", {"error": {"message": "m", "type": "invalid_request_error",
                                                         "code": None, "param": None}}) == []


# -- broken objects -----------------------------------------------------------------

BROKEN = [
    # (id, schema, document, expected path, words in the message)
    ("created_at-iso", "response.schema.json", mutate(response(), "created_at", "2026-11-28T00:00:00Z"),
     "$.created_at", "not of type 'number'"),
    ("id-without-resp_", "response.schema.json", mutate(response(), "id", "chatcmpl-123"), "$.id", "does not match"),
    ("object-chat", "response.schema.json", mutate(response(), "object", "chat.completion"), "$.object", "'response'"),
    ("status-unknown", "response.schema.json", mutate(response(), "status", "done"), "$.status", "is not one of"),
    ("output-missing", "response.schema.json", mutate(response(), "output", delete=True), "$", "'output' is a required"),
    ("content-string", "response.schema.json", mutate(response(), "output.0.content", "PONG"),
     "$.output[0].content", "is not of type 'array'"),
    ("role-user", "response.schema.json", mutate(response(), "output.0.role", "user"), "$.output[0].role", "'assistant'"),
    ("chat-part", "response.schema.json", mutate(response(), "output.0.content.0.type", "text"),
     "$.output[0].content[0].type", "is not one of"),
    ("no-annotations", "response.schema.json", mutate(response(), "output.0.content.0.annotations", delete=True),
     "$.output[0].content[0]", "'annotations' is a required"),
    ("citation-no-url", "response.schema.json", mutate(response(), "output.0.content.0.annotations.0.url", delete=True),
     "$.output[0].content[0].annotations[0]", "'url' is a required"),
    ("logprob-string", "response.schema.json", mutate(response(), "output.0.content.0.logprobs.0.logprob", "-0.1"),
     "$.output[0].content[0].logprobs[0].logprob", "not of type 'number'"),
    ("arguments-object", "response.schema.json", response(output=[{**FUNCTION_CALL, "arguments": {"city": "Paris"}}]),
     "$.output[0].arguments", "is not of type 'string'"),
    ("call-without-call_id", "response.schema.json", response(output=[mutate(FUNCTION_CALL, "call_id", delete=True)]),
     "$.output[0]", "'call_id' is a required"),
    ("summary-part-type", "response.schema.json", response(output=[mutate(REASONING, "summary.0.type", "text")]),
     "$.output[0].summary[0].type", "'summary_text'"),
    ("item-without-type", "response.schema.json", response(output=[{"id": "x"}]), "$.output[0]", "'type' is a required"),
    ("total-tokens-string", "response.schema.json", mutate(response(), "usage.total_tokens", "60"),
     "$.usage.total_tokens", "is not of type 'integer'"),
    ("tokens-negative", "response.schema.json", mutate(response(), "usage.input_tokens", -1),
     "$.usage.input_tokens", "minimum"),
    ("chat-usage", "response.schema.json", response(usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}),
     "$.usage", "'input_tokens' is a required"),
    ("cached-tokens-float", "response.schema.json", mutate(response(), "usage.input_tokens_details.cached_tokens", 1.5),
     "$.usage.input_tokens_details.cached_tokens", "integer"),
    ("error-without-code", "response.schema.json", response(status="failed", error={"message": "x"}),
     "$.error", "'code' is a required"),
    ("incomplete-reason", "response.schema.json", response(incomplete_details={"reason": "length"}),
     "$.incomplete_details.reason", "is not one of"),
    ("routing-no-provider", "response.schema.json", response(routing_metadata=mutate(ROUTING, "provider", delete=True)),
     "$.routing_metadata", "'provider' is a required"),
    ("routing-warning-type", "response.schema.json", response(routing_metadata=mutate(ROUTING, "warnings.0.type", "oops")),
     "$.routing_metadata.warnings[0].type", "is not one of"),
    ("metadata-number", "response.schema.json", response(metadata={"k": 1}), "$.metadata.k", "not of type 'string'"),
    ("envelope-no-type", "error.schema.json", mutate(ERROR, "error.type", delete=True), "$.error", "'type' is a required"),
    ("envelope-code-int", "error.schema.json", mutate(ERROR, "error.code", 404), "$.error.code", "404 is not of type"),
    ("envelope-empty-message", "error.schema.json", mutate(ERROR, "error.message", ""), "$.error.message", "non-empty"),
    ("envelope-unknown-type", "error.schema.json", mutate(ERROR, "error.type", "server_error"),
     "$.error.type", "is not one of"),
    ("envelope-flat", "error.schema.json", {"message": "x", "type": "api_error"}, "$", "'error' is a required"),
    ("model-object", "model.schema.json", mutate(MODEL, "object", "models"), "$.object", "'model'"),
    ("model-created-string", "model-list.schema.json", mutate(MODEL_LIST, "data.0.created", "2026-01-01"),
     "$.data[0].created", "integer"),
    ("directory-list", "directory.schema.json", {**DIRECTORY, "models": [DIRECTORY["models"]["gpt-5.4"]]},
     "$.models", "not of type 'object'"),
    ("directory-no-tiers", "directory.schema.json",
     mutate(DIRECTORY, ("models", "gpt-5.4", "providers", 0, "tiers"), delete=True),
     '$.models["gpt-5.4"].providers[0]', "'tiers' is a required"),
    ("directory-capability-string", "directory.schema.json",
     mutate(DIRECTORY, ("models", "gpt-5.4", "providers", 0, "capabilities", "tools"), "yes"),
     '$.models["gpt-5.4"].providers[0].capabilities.tools', "boolean"),
]

REQUEST = {"model": "gpt-4o-mini", "input": "hi"}
BROKEN += [
    ("request-unknown-field", "responses-request.schema.json", {**REQUEST, "foo": 1}, "$", "'foo' was unexpected"),
    ("request-chat-fields", "responses-request.schema.json",
     {**REQUEST, "response_format": {"type": "json_object"}}, "$", "'response_format' was unexpected"),
    ("request-nested-tool", "responses-request.schema.json",
     {**REQUEST, "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]},
     "$.tools[0]", "'name' is a required"),
    ("request-nested-json-schema", "responses-request.schema.json",
     {**REQUEST, "text": {"format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {}}}}},
     "$.text.format", "'json_schema' was unexpected"),
    ("request-tool-role", "responses-request.schema.json",
     {**REQUEST, "input": [{"role": "tool", "tool_call_id": "c", "content": "x"}]}, "$.input[0].role", "is not one of"),
    ("request-chat-image", "responses-request.schema.json",
     {**REQUEST, "input": [{"role": "user", "content": [{"type": "input_image", "image_url": {"url": "https://x"}}]}]},
     "$.input[0].content[0].image_url", "is not of type"),
    ("request-image-url-part", "responses-request.schema.json",
     {**REQUEST, "input": [{"role": "user", "content": [{"type": "image_url", "image_url": "https://x"}]}]},
     "$.input[0].content[0].type", "is not one of"),
    ("request-output-missing", "responses-request.schema.json",
     {**REQUEST, "input": [{"type": "function_call_output", "call_id": "c"}]}, "$.input[0]", "'output' is a required"),
    ("request-arguments-object", "responses-request.schema.json",
     {**REQUEST, "input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": {}}]},
     "$.input[0].arguments", "is not of type 'string'"),
    ("request-temperature", "responses-request.schema.json", {**REQUEST, "temperature": 3}, "$.temperature", "maximum"),
    ("request-top-logprobs", "responses-request.schema.json", {**REQUEST, "top_logprobs": 21}, "$.top_logprobs", "maximum"),
    ("request-max-output-zero", "responses-request.schema.json", {**REQUEST, "max_output_tokens": 0},
     "$.max_output_tokens", "minimum"),
    ("request-effort", "responses-request.schema.json", {**REQUEST, "reasoning": {"effort": "extreme"}},
     "$.reasoning.effort", "is not one of"),
    ("request-metadata-17", "responses-request.schema.json",
     {**REQUEST, "metadata": {f"k{i}": "v" for i in range(17)}}, "$.metadata", "too many properties"),
    ("request-11-models", "responses-request.schema.json",
     {"input": "hi", "gateway": {"models": [f"m{i}" for i in range(11)]}}, "$.gateway.models", "too long"),
    ("request-optimize", "responses-request.schema.json",
     {**REQUEST, "gateway": {"routing": {"optimize": "cheapest"}}}, "$.gateway.routing.optimize", "is not one of"),
    ("request-routing-typo", "responses-request.schema.json",
     {**REQUEST, "gateway": {"routing": {"optimise": "cost"}}}, "$.gateway.routing", "'optimise' was unexpected"),
    ("request-model-and-models", "responses-request.schema.json",
     {**REQUEST, "gateway": {"models": ["a"]}}, "$", "must not set both"),
    ("request-no-model", "responses-request.schema.json", {"input": "hi"}, "$", "'model' is a required"),
    ("request-thinking", "responses-request.schema.json", {**REQUEST, "extensions": {"thinking": {}}},
     "$.extensions", "thinking"),
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


def test_unknown_output_items_and_number_times_pass(store):
    body = response(output=[{"type": "x_vendor_search_call", "id": "ws_1", "status": "completed"}, MESSAGE],
                    created_at=1735689600.5, routing_metadata=ROUTING, output_text="PONG")
    assert store.issues("response.schema.json", body) == []
    assert store.issues("response.schema.json", mutate(response(), "usage", delete=True)) == []


def test_two_broken_items_give_two_issues(store):
    body = {**REQUEST, "input": [{"role": "tool", "content": "x"},
                                 {"role": "user", "content": [{"type": "input_image", "image_url": {"url": "x"}}]}]}
    assert paths(store.issues("responses-request.schema.json", body)) == [
        "$.input[0].role", "$.input[1].content[0].image_url"]


def test_messages_are_short_and_name_the_alternatives(store):
    [issue] = store.issues("response.schema.json", response(usage=["x"] * 40))
    assert issue.path == "$.usage" and issue.message == "[...] (an array of 40) is not of type 'null' or 'object'"
    big = {"x" * 10: "y" * 100, "a": 1, "b": 2, "c": 3, "d": 4}
    [issue] = store.issues("response.schema.json", response(model=big))
    assert len(issue.message) < 120 and "(an object)" in issue.message
    [issue] = store.issues("responses-request.schema.json",
                           {**REQUEST, "input": [{"role": "user", "content": [{"type": "input_image"}]}]})
    assert issue.message.startswith("does not match any alternative") and "'image_url'" in issue.message


# -- the store ----------------------------------------------------------------------

def test_schema_files_are_sound(store):
    assert set(CONTRACT_FILES) <= set(store.names())
    assert store.check_schema_files() == []


def test_every_ref_resolves(store):
    seen = 0
    for name in store.names():
        base = store.contents(name).get("$id", SCHEMA_BASE + name)
        for where, ref in iter_refs(store.contents(name)):
            assert store.has(urljoin(base, ref)), f"{name} {where}: {ref}"
            seen += 1
    assert seen > 30


def test_lookup_and_caching(store):
    assert store.has("response.schema.json") and store.has(SCHEMA_BASE + "usage.schema.json")
    assert store.has("error.schema.json#/$defs/error_type")
    assert not store.has("nope.schema.json") and not store.has("usage.schema.json#/$defs/nope")
    assert store.validator("response.schema.json") is store.validator("response.schema.json")
    with pytest.raises(KeyError, match="nope.schema.json"):
        store.validator("nope.schema.json")
    assert store.issues("error.schema.json#/$defs/error_type", "api_error") == []
    assert paths(store.issues("error.schema.json#/$defs/error_type", "oops")) == ["$"]
    assert default_store() is default_store()


def test_inline_fragments_resolve_against_the_schema_dir(store):
    fragment = {"type": "object", "required": ["usage"],
                "properties": {"usage": {"$ref": "usage.schema.json"},
                               "output": {"type": "array", "minItems": 1,
                                          "items": {"$ref": "output-item.schema.json"}},
                               "kind": {"$ref": "#/$defs/kind"}},
                "$defs": {"kind": {"enum": ["a", "b"]}}}
    assert store.validator_for_fragment(fragment) is store.validator_for_fragment(json.loads(json.dumps(fragment)))
    assert store.issues(fragment, response()) == []
    assert paths(store.issues(fragment, response(usage=None, output=[], kind="c"))) == ["$.kind", "$.output", "$.usage"]


def test_fast_path_agrees_with_jsonschema(store):
    """Every one-field mutation of real documents is judged alike by both engines."""
    values = [None, True, 0, -1, 1.5, "", "x", [], [{}], {}, {"type": "x"}]
    documents = [("response.schema.json", OPENAI_RESPONSES["reasoning"]),
                 ("response.schema.json", {**OPENAI_RESPONSES["tools"], "routing_metadata": ROUTING}),
                 ("responses-request.schema.json", {**REQUEST, "input": HISTORY, "tools": [WEATHER_TOOL],
                                                    "text": {"format": {"type": "json_schema", "name": "a", "schema": {}}}}),
                 ("responses-request.schema.json", {"input": "x", "gateway": {"models": ["a"],
                                                                            "routing": {"mode": "pool"}}}),
                 ("directory.schema.json", DIRECTORY), ("model-list.schema.json", MODEL_LIST),
                 ("error.schema.json", ERROR)]
    assert assert_fast_path_agrees(store, documents, values) > 1000


def test_validation_is_fast(store):
    body = OPENAI_RESPONSES["reasoning"]
    store.issues("response.schema.json", body)  # compile
    start = time.perf_counter()
    for _ in range(2000):
        assert store.issues("response.schema.json", body) == []
    assert time.perf_counter() - start < 2.0  # ~0.1 s on a laptop; jsonschema alone takes ~1.3 s
