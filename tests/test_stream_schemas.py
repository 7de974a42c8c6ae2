"""The JSON Schemas of Responses streaming events (schemas/stream-event.schema.json and event-*.schema.json).

Events built and serialised by the openai and auriko SDKs must pass, both
against their own definition (stream-event.schema.json#/$defs/<type>) and
against the root, which dispatches on `type`; broken events must fail with
an issue whose path points at the broken field.
"""

from __future__ import annotations

import copy
import time
import typing

import pytest
from schema_helpers import assert_fast_path_agrees, mutate, typical_response
from sdk_instances import minimal, wire

from respcheck.model import jsonpath
from respcheck.schemastore import SchemaStore

auriko = pytest.importorskip("auriko")
openai = pytest.importorskip("openai")
from auriko import _response_streaming as auriko_streaming  # noqa: E402
from auriko.models import responses as auriko_responses  # noqa: E402
from openai.types.responses import ResponseStreamEvent as OpenAIStreamEvent  # noqa: E402

ROOT = "stream-event.schema.json"

# The seed gateway's 18 event types (CONTRACT.md, "Streaming").
SEED_EVENTS = [
    "response.created", "response.in_progress", "response.completed", "response.incomplete", "response.failed",
    "response.output_item.added", "response.output_item.done",
    "response.content_part.added", "response.content_part.done",
    "response.output_text.delta", "response.output_text.done",
    "response.reasoning_summary_part.added", "response.reasoning_summary_part.done",
    "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done",
    "response.function_call_arguments.delta", "response.function_call_arguments.done",
    "error",
]
# What OpenAI and the Open Responses core add to them.
MORE_EVENTS = [
    "response.queued",
    "response.refusal.delta", "response.refusal.done",
    "response.output_text.annotation.added",
    "response.reasoning_text.delta", "response.reasoning_text.done",  # OpenAI's names
    "response.reasoning.delta", "response.reasoning.done",  # Open Responses' names for the same events
]


def ref(event_type: str) -> str:
    return f"{ROOT}#/$defs/{event_type}"


@pytest.fixture(scope="module")
def store() -> SchemaStore:
    return SchemaStore()


# -- realistic events -------------------------------------------------------------

CITATION = {"type": "url_citation", "url": "https://example.com/", "title": "Example", "start_index": 0, "end_index": 5}
LOGPROB = {"token": "Hello", "logprob": -0.02, "bytes": [72, 101, 108, 108, 111],
           "top_logprobs": [{"token": "Hello", "logprob": -0.02, "bytes": [72, 101, 108, 108, 111]}]}
DELTA_LOGPROB = {"token": "Hello", "logprob": -0.02, "top_logprobs": [{"token": "Hi", "logprob": -4.1}]}
TEXT_PART = {"type": "output_text", "text": "Hello world", "annotations": [CITATION], "logprobs": [LOGPROB]}
MESSAGE = {"type": "message", "id": "msg_01", "role": "assistant", "status": "completed", "content": [TEXT_PART]}
MESSAGE_STARTED = {"type": "message", "id": "msg_01", "role": "assistant", "status": "in_progress", "content": []}
CALL = {"type": "function_call", "id": "fc_01", "call_id": "call_01", "name": "get_weather",
        "arguments": "{\"city\": \"Paris\"}", "status": "completed"}
CALL_STARTED = {**CALL, "arguments": "", "status": "in_progress"}
REASONING = {"type": "reasoning", "id": "rs_01", "summary": [{"type": "summary_text", "text": "Checking the city."}],
             "encrypted_content": "gAAAAB..."}
REASONING_STARTED = {"type": "reasoning", "id": "rs_01", "summary": []}


def snapshot(**changes) -> dict:
    """A Response as the lifecycle events carry it."""
    return typical_response(MESSAGE, **changes)


def event(event_type: str, sequence_number: int = 3, **fields) -> dict:
    return {"type": event_type, "sequence_number": sequence_number, **fields}


TEXT_AT = {"item_id": "msg_01", "output_index": 0, "content_index": 0}
SUMMARY_AT = {"item_id": "rs_01", "output_index": 0, "summary_index": 0}

# Events as OpenAI sends them (and as its SDK models them): (id, event).
OPENAI_EVENTS = [
    ("created", event("response.created", 0, response=snapshot(status="in_progress", output=[], usage=None))),
    ("queued", event("response.queued", 0, response=snapshot(status="queued", output=[], usage=None))),
    ("in_progress", event("response.in_progress", 1, response=snapshot(status="in_progress", output=[], usage=None))),
    ("completed", event("response.completed", 9, response=snapshot())),
    ("incomplete", event("response.incomplete", 9, response=snapshot(
        status="incomplete", incomplete_details={"reason": "max_output_tokens"},
        output=[{**MESSAGE, "status": "incomplete"}]))),
    ("failed", event("response.failed", 4, response=snapshot(
        status="failed", output=[], usage=None, error={"code": "server_error", "message": "The model failed."}))),
    ("item-added-message", event("response.output_item.added", 2, output_index=0, item=MESSAGE_STARTED)),
    ("item-added-call", event("response.output_item.added", 2, output_index=1, item=CALL_STARTED)),
    ("item-added-reasoning", event("response.output_item.added", 2, output_index=0, item=REASONING_STARTED)),
    ("item-done-message", event("response.output_item.done", 8, output_index=0, item=MESSAGE)),
    ("item-done-call", event("response.output_item.done", 8, output_index=1, item=CALL)),
    ("item-done-reasoning", event("response.output_item.done", 8, output_index=0, item=REASONING)),
    ("part-added-text", event("response.content_part.added", 3, **TEXT_AT,
                              part={"type": "output_text", "text": "", "annotations": [], "logprobs": []})),
    ("part-added-refusal", event("response.content_part.added", 3, **TEXT_AT, part={"type": "refusal", "refusal": ""})),
    ("part-added-reasoning", event("response.content_part.added", 3, item_id="rs_01", output_index=0, content_index=0,
                                   part={"type": "reasoning_text", "text": ""})),
    ("part-done-text", event("response.content_part.done", 7, **TEXT_AT, part=TEXT_PART)),
    ("part-done-refusal", event("response.content_part.done", 7, **TEXT_AT,
                                part={"type": "refusal", "refusal": "I can't help with that."})),
    ("text-delta", event("response.output_text.delta", 4, **TEXT_AT, delta="Hello", logprobs=[DELTA_LOGPROB],
                         obfuscation="Zq8x")),
    ("text-delta-empty", event("response.output_text.delta", 4, **TEXT_AT, delta="", logprobs=[])),
    ("text-done", event("response.output_text.done", 6, **TEXT_AT, text="Hello world", logprobs=[])),
    ("annotation-added", event("response.output_text.annotation.added", 5, **TEXT_AT, annotation_index=0,
                               annotation=CITATION)),
    ("refusal-delta", event("response.refusal.delta", 4, **TEXT_AT, delta="I can't")),
    ("refusal-done", event("response.refusal.done", 6, **TEXT_AT, refusal="I can't help with that.")),
    ("arguments-delta", event("response.function_call_arguments.delta", 3, item_id="fc_01", output_index=1,
                              delta="{\"city\":", obfuscation="k2")),
    ("arguments-done", event("response.function_call_arguments.done", 5, item_id="fc_01", output_index=1,
                             arguments="{\"city\": \"Paris\"}", name="get_weather")),
    ("summary-part-added", event("response.reasoning_summary_part.added", 3, **SUMMARY_AT,
                                 part={"type": "summary_text", "text": ""})),
    ("summary-part-done", event("response.reasoning_summary_part.done", 6, **SUMMARY_AT,
                                part={"type": "summary_text", "text": "Checking the city."})),
    ("summary-text-delta", event("response.reasoning_summary_text.delta", 4, **SUMMARY_AT, delta="Checking",
                                 obfuscation="aa")),
    ("summary-text-done", event("response.reasoning_summary_text.done", 5, **SUMMARY_AT, text="Checking the city.")),
    ("reasoning-text-delta", event("response.reasoning_text.delta", 4, item_id="rs_01", output_index=0,
                                   content_index=0, delta="First, ")),
    ("reasoning-text-done", event("response.reasoning_text.done", 5, item_id="rs_01", output_index=0,
                                  content_index=0, text="First, look up Paris.")),
    ("error", event("error", 2, code="server_error", message="The server had an error.", param=None)),
]

# Events as the seed gateway sends them (and as the auriko SDK models them).
AURIKO_EVENTS = [
    ("created", event("response.created", 0, response=snapshot(status="in_progress", output=[], usage=None))),
    ("in_progress", event("response.in_progress", 1, response=snapshot(status="in_progress", output=[], usage=None))),
    ("completed", event("response.completed", 9, response={
        **snapshot(), "routing_metadata": {"provider": "openai", "provider_model_id": "gpt-4o-mini-2024-07-18",
                                           "model_canonical": "gpt-4o-mini", "routing_strategy": "cost",
                                           "cost": {"usd": 0.00002}, "ttft_ms": 210.0}})),
    ("incomplete", event("response.incomplete", 9, response=snapshot(
        status="incomplete", incomplete_details={"reason": "content_filter"}))),
    ("failed", event("response.failed", 4, response=snapshot(
        status="failed", output=[], usage=None,
        error={"code": "upstream_error", "message": "Provider failed", "type": "api_error", "provider": "openai"}))),
    ("item-added-message", event("response.output_item.added", 2, output_index=0, item=MESSAGE_STARTED)),
    ("item-added-call", event("response.output_item.added", 2, output_index=0, item=CALL_STARTED)),
    ("item-done-reasoning", event("response.output_item.done", 8, output_index=0, item=REASONING)),
    ("item-done-hosted", event("response.output_item.done", 8, output_index=0,
                               item={"type": "x_vendor_search_call", "id": "ws_1", "status": "completed"})),
    ("part-added", event("response.content_part.added", 3, **TEXT_AT,
                         part={"type": "output_text", "text": "", "annotations": []})),
    ("part-done", event("response.content_part.done", 7, **TEXT_AT, part=TEXT_PART)),
    ("text-delta", event("response.output_text.delta", 4, **TEXT_AT, delta="Hello")),
    ("text-done", event("response.output_text.done", 6, **TEXT_AT, text="Hello world")),
    ("summary-part-added", event("response.reasoning_summary_part.added", 3, **SUMMARY_AT,
                                 part={"type": "summary_text", "text": ""})),
    ("summary-part-done", event("response.reasoning_summary_part.done", 6, **SUMMARY_AT,
                                part={"type": "summary_text", "text": "Checking the city."})),
    ("summary-text-delta", event("response.reasoning_summary_text.delta", 4, **SUMMARY_AT, delta="Checking")),
    ("summary-text-done", event("response.reasoning_summary_text.done", 5, **SUMMARY_AT, text="Checking the city.")),
    ("arguments-delta", event("response.function_call_arguments.delta", 3, item_id="fc_01", output_index=0,
                              delta="{\"city\":")),
    ("arguments-done", event("response.function_call_arguments.done", 5, item_id="fc_01", output_index=0,
                             arguments="{\"city\": \"Paris\"}", name="get_weather")),
    ("error", event("error", 5, code="upstream_error", message="Provider failed mid-stream", param=None,
                    doc_url="https://docs.auriko.ai/errors/upstream_error", provider="openai",
                    suggestion="Retry the request.")),
]

# Open Responses' spellings that neither SDK models (validated as raw JSON).
OPEN_RESPONSES_EVENTS = [
    ("reasoning-delta", event("response.reasoning.delta", 4, item_id="rs_01", output_index=0, content_index=0,
                              delta="First, ", obfuscation="x")),
    ("reasoning-done", event("response.reasoning.done", 5, item_id="rs_01", output_index=0, content_index=0,
                             text="First, look up Paris.")),
    ("text-delta-no-logprobs", event("response.output_text.delta", 4, **TEXT_AT, delta="Hello")),
    ("arguments-done-no-name", event("response.function_call_arguments.done", 5, item_id="fc_01", output_index=0,
                                     arguments="{}")),
    ("error-nested", event("error", 2, error={"type": "server_error", "code": None, "message": "Boom", "param": None,
                                              "headers": {"x-request-id": "req_1"}})),
]


def sdk_members(union) -> dict[str, type]:
    """{event type: pydantic class} of an SDK's stream-event union (classes whose `type` is a Literal)."""
    members = typing.get_args(union)
    if members and typing.get_origin(union) is typing.Annotated:
        members = typing.get_args(members[0])
    found = {}
    for cls in members:
        literal = cls.model_fields["type"].annotation
        if typing.get_origin(literal) is typing.Literal:
            [value] = typing.get_args(literal)
            found[value] = cls
    return found


OPENAI_CLASSES = sdk_members(OpenAIStreamEvent)
AURIKO_CLASSES = sdk_members(auriko_responses.ResponseStreamEvent)


def test_examples_cover_every_sdk_event_of_the_families(store):
    known = set(store.contents(ROOT)["$defs"])
    openai_here = {t for t in OPENAI_CLASSES if t in known}
    assert len(OPENAI_CLASSES) > 50 and openai_here == set(OPENAI_CLASSES), sorted(set(OPENAI_CLASSES) - known)
    # the hand-written examples cover the core families; test_event_catalogue builds every type from the SDK
    assert len({e["type"] for _, e in OPENAI_EVENTS}) == 24 and {e["type"] for _, e in OPENAI_EVENTS} <= openai_here
    assert set(AURIKO_CLASSES) == {e["type"] for _, e in AURIKO_EVENTS} == set(SEED_EVENTS)
    assert set(auriko_streaming._EVENT_TYPE_MAP) == set(SEED_EVENTS)  # the contract's 18 are the SDK's


def _assert_passes(store, wire: dict) -> None:
    assert store.issues(ref(wire["type"]), wire) == []
    assert store.issues(ROOT, wire) == []
    assert store.is_valid(ref(wire["type"]), wire) and store.is_valid(ROOT, wire)


# Dumped as is, and without None values (as pydantic-based gateways often send them) -- except the error
# event, whose code and param must be present even when null.
OPENAI_DUMPS = [(name, data, exclude_none) for name, data in OPENAI_EVENTS for exclude_none in (False, True)
                if not (exclude_none and data["type"] == "error")]


@pytest.mark.parametrize("data,exclude_none", [d[1:] for d in OPENAI_DUMPS],
                         ids=[f"{d[0]}-{'without' if d[2] else 'with'}-nulls" for d in OPENAI_DUMPS])
def test_openai_sdk_events_pass(store, data, exclude_none):
    sdk_event = OPENAI_CLASSES[data["type"]].model_validate(copy.deepcopy(data))
    _assert_passes(store, sdk_event.model_dump(mode="json", exclude_none=exclude_none))


@pytest.mark.parametrize("data", [e for _, e in AURIKO_EVENTS], ids=[i for i, _ in AURIKO_EVENTS])
def test_auriko_sdk_events_pass(store, data):
    sdk_event = auriko_streaming.parse_response_stream_event(copy.deepcopy(data))
    assert type(sdk_event) is AURIKO_CLASSES[data["type"]]  # not the SDK's UnknownStreamEvent fallback
    _assert_passes(store, sdk_event.model_dump(mode="json"))


@pytest.mark.parametrize("data", [e for _, e in OPEN_RESPONSES_EVENTS], ids=[i for i, _ in OPEN_RESPONSES_EVENTS])
def test_open_responses_events_pass(store, data):
    _assert_passes(store, data)


def test_error_event_shapes_are_addressable(store):
    flat = dict(AURIKO_EVENTS)["error"]
    nested = dict(OPEN_RESPONSES_EVENTS)["error-nested"]
    without_sequence = {k: v for k, v in flat.items() if k != "sequence_number"}
    for document in (flat, without_sequence):
        assert store.issues("event-error.schema.json#/$defs/flat", document) == []
        assert store.issues("event-error.schema.json", document) == []
    assert store.issues("event-error.schema.json#/$defs/nested", nested) == []
    assert store.issues("event-error.schema.json", nested) == []
    assert store.issues(ref("error"), nested) == [] and store.issues(ref("error"), flat) == []


def test_unknown_events_pass_the_root(store):
    for document in (event("response.x_vendor_search.searching", 4, output_index=0, item_id="ws_1"),
                     event("x-vendor.audio.delta", 4, delta="AAAA"),
                     {"type": "x-provider.keepalive"}):
        assert store.issues(ROOT, document) == []


# -- broken events ---------------------------------------------------------------

E = dict(OPENAI_EVENTS)
DELTA = E["text-delta"]
FLAT = dict(AURIKO_EVENTS)["error"]
NESTED = dict(OPEN_RESPONSES_EVENTS)["error-nested"]

BROKEN = [
    # (id, ref, event, expected path, words in the message); refs into stream-event.schema.json are also
    # checked through the root, which must report the same problem.
    ("no-sequence_number", ref("response.output_text.delta"), mutate(DELTA, "sequence_number", delete=True),
     "$", "'sequence_number' is a required property"),
    ("sequence_number-string", ref("response.output_text.delta"), mutate(DELTA, "sequence_number", "4"),
     "$.sequence_number", "'4' is not of type 'integer'"),
    ("sequence_number-negative", ref("response.created"), mutate(E["created"], "sequence_number", -1),
     "$.sequence_number", "minimum"),
    ("delta-number", ref("response.output_text.delta"), mutate(DELTA, "delta", 5), "$.delta", "5 is not of type 'string'"),
    ("output_index-negative", ref("response.output_text.delta"), mutate(DELTA, "output_index", -1),
     "$.output_index", "-1 is less than the minimum of 0"),
    ("content_index-missing", ref("response.output_text.delta"), mutate(DELTA, "content_index", delete=True),
     "$", "'content_index' is a required property"),
    ("item_id-empty", ref("response.output_text.delta"), mutate(DELTA, "item_id", ""), "$.item_id", "non-empty"),
    ("logprobs-object", ref("response.output_text.delta"), mutate(DELTA, "logprobs", {}), "$.logprobs", "not of type 'array'"),
    ("logprob-string", ref("response.output_text.delta"), mutate(DELTA, "logprobs.0.logprob", "-0.1"),
     "$.logprobs[0].logprob", "not of type 'number'"),
    ("text-done-no-text", ref("response.output_text.done"), mutate(E["text-done"], "text", delete=True),
     "$", "'text' is a required property"),
    ("arguments-object", ref("response.function_call_arguments.done"),
     mutate(E["arguments-done"], "arguments", {"city": "Paris"}), "$.arguments", "is not of type 'string'"),
    ("arguments-delta-no-delta", ref("response.function_call_arguments.delta"),
     mutate(E["arguments-delta"], "delta", delete=True), "$", "'delta' is a required property"),
    ("arguments-name-number", ref("response.function_call_arguments.done"), mutate(E["arguments-done"], "name", 1),
     "$.name", "not of type 'string'"),
    ("response-without-id", ref("response.completed"), mutate(E["completed"], "response.id", delete=True),
     "$.response", "'id' is a required property"),
    ("response-missing", ref("response.in_progress"), mutate(E["in_progress"], "response", delete=True),
     "$", "'response' is a required property"),
    ("snapshot-content-string", ref("response.completed"), mutate(E["completed"], "response.output.0.content", "Hi"),
     "$.response.output[0].content", "is not of type 'array'"),
    ("item-null", ref("response.output_item.added"), mutate(E["item-added-message"], "item", None),
     "$.item", "None is not of type 'object'"),
    ("item-arguments-object", ref("response.output_item.done"), mutate(E["item-done-call"], "item.arguments", {}),
     "$.item.arguments", "is not of type 'string'"),
    ("part-chat-text", ref("response.content_part.added"), mutate(E["part-added-text"], "part.type", "text"),
     "$.part.type", "is not one of"),
    ("part-no-annotations", ref("response.content_part.done"), mutate(E["part-done-text"], "part.annotations", delete=True),
     "$.part", "'annotations' is a required property"),
    ("summary-part-type", ref("response.reasoning_summary_part.added"),
     mutate(E["summary-part-added"], "part.type", "text"), "$.part.type", "'summary_text' was expected"),
    ("summary_index-string", ref("response.reasoning_summary_text.delta"),
     mutate(E["summary-text-delta"], "summary_index", "0"), "$.summary_index", "not of type 'integer'"),
    ("annotation-no-url", ref("response.output_text.annotation.added"),
     mutate(E["annotation-added"], "annotation.url", delete=True), "$.annotation", "'url' is a required property"),
    ("annotation-null", ref("response.output_text.annotation.added"), mutate(E["annotation-added"], "annotation", None),
     "$.annotation", "None is not of type 'object'"),
    ("refusal-done-no-refusal", ref("response.refusal.done"), mutate(E["refusal-done"], "refusal", delete=True),
     "$", "'refusal' is a required property"),
    ("reasoning-delta-no-content_index", ref("response.reasoning.delta"),
     mutate(dict(OPEN_RESPONSES_EVENTS)["reasoning-delta"], "content_index", delete=True),
     "$", "'content_index' is a required property"),
    ("reasoning-text-done-number", ref("response.reasoning_text.done"), mutate(E["reasoning-text-done"], "text", 1),
     "$.text", "not of type 'string'"),
    ("wrong-definition", ref("response.output_text.done"), DELTA, "$.type", "'response.output_text.done' was expected"),
    ("error-nested-as-flat", "event-error.schema.json#/$defs/flat", NESTED, "$", "'message' is a required property"),
    ("error-flat-as-nested", "event-error.schema.json#/$defs/nested", FLAT, "$", "'error' is a required property"),
    ("error-code-number", "event-error.schema.json#/$defs/flat", mutate(FLAT, "code", 500),
     "$.code", "500 is not of type 'string', 'null'"),
    ("error-empty-message", ref("error"), mutate(FLAT, "message", ""), "$.message", "non-empty"),
    ("error-nested-no-message", ref("error"), mutate(NESTED, "error.message", delete=True),
     "$.error", "'message' is a required property"),
    ("error-sequence-string", ref("error"), mutate(FLAT, "sequence_number", "5"),
     "$.sequence_number", "not of type 'integer'"),
    ("chat-error-frame", ROOT, {"error": {"message": "x"}}, "$", "'type' is a required property"),
    ("type-number", ROOT, {"type": 3, "sequence_number": 0}, "$.type", "3 is not of type 'string'"),
    ("unknown-event-bad-sequence", ROOT, event("response.audio.delta", "7", delta="AA"),
     "$.sequence_number", "not of type 'integer'"),
    ("array", ROOT, [DELTA], "$", "is not of type 'object'"),
]


@pytest.mark.parametrize("schema,document,path,words", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_events_fail_at_the_right_place(store, schema, document, path, words):
    checks = [schema]
    if schema.startswith(ROOT + "#") and schema == ref(document.get("type", "")):
        checks.append(ROOT)  # the root dispatches to the same definition
    for where in checks:
        issues = store.issues(where, document)
        assert issues, f"{where} accepted a broken event"
        matching = [issue for issue in issues if issue.path == path]
        assert matching, f"{where}: no issue at {path}; got {[str(i) for i in issues]}"
        assert any(words in issue.message for issue in matching), [str(i) for i in matching]
        assert not store.is_valid(where, document)
        for issue in issues:  # paths lead somewhere in the event
            assert jsonpath.get(document, issue.path) is not jsonpath.MISSING, issue


def test_fast_path_agrees_with_jsonschema(store):
    """One-field mutations of every example event are judged alike by jsonschema-rs and jsonschema."""
    values = [None, True, -1, 1.5, "", "x", [], {}, {"type": "x"}]
    small = [e for _, e in OPENAI_EVENTS + OPEN_RESPONSES_EVENTS if "response" not in e]
    assert assert_fast_path_agrees(store, [(ROOT, document) for document in small + [E["completed"]]], values) > 2000


# -- the entry point ---------------------------------------------------------------

def test_every_contract_event_has_a_definition(store):
    defs = store.contents(ROOT)["$defs"]
    assert len(SEED_EVENTS) == 18 and not set(SEED_EVENTS) & set(MORE_EVENTS)
    missing = [t for t in SEED_EVENTS + MORE_EVENTS if t not in defs]
    assert missing == []
    for event_type in SEED_EVENTS + MORE_EVENTS:
        assert store.has(ref(event_type)), event_type


def test_definitions_are_keyed_by_their_type_and_dispatched(store):
    root = store.contents(ROOT)
    dispatched = {}
    for branch in root["allOf"]:
        dispatched[branch["if"]["properties"]["type"]["const"]] = branch["then"]["$ref"]
    assert dispatched == {key: f"#/$defs/{key}" for key in root["$defs"]}
    for key, entry in root["$defs"].items():
        family, _, pointer = entry["$ref"].partition("#")
        assert family.startswith("event-") and family in store.names(), entry
        definition = store.contents(family)
        for part in pointer.split("/")[1:]:
            definition = definition[part]
        assert definition["properties"]["type"]["const"] == key, (key, entry)
        # the family file's own root accepts the event too
        example = next((e for _, e in OPENAI_EVENTS + OPEN_RESPONSES_EVENTS if e["type"] == key), None)
        if example is None:  # the catalogue beyond the core families: as the SDK builds it
            example = wire(OPENAI_CLASSES[key], minimal(OPENAI_CLASSES[key]), exclude_none=True)
        assert store.issues(family, example) == [], key


def test_store_resolves_dotted_pointers(store):
    assert store.has(ref("response.output_text.annotation.added"))
    assert store.has("event-output-text.schema.json#/$defs/response.output_text.delta")
    assert not store.has(ref("response.output_text.nope"))
    assert store.validator(ref("error")) is store.validator(ref("error"))


def test_validation_is_fast(store, capsys):
    document = event("response.output_text.delta", 12, item_id="msg_67ccd2bf17f0819081ff3bb2cf6508e6",
                     output_index=0, content_index=0, delta=" world", logprobs=[], obfuscation="x1Yz")
    figures = {}
    for schema in (ref("response.output_text.delta"), ROOT):
        assert store.is_valid(schema, document)  # compile
        start = time.perf_counter()
        for _ in range(100_000):
            store.is_valid(schema, document)
        figures[schema] = (time.perf_counter() - start) / 100_000 * 1e6
    with capsys.disabled():
        print("\nstream event validation, 100,000 is_valid calls: "
              + "; ".join(f"{schema}: {micros:.2f} µs/event" for schema, micros in figures.items()))
    assert all(micros < 25 for micros in figures.values()), figures  # ~0.5-1.5 µs on a laptop
