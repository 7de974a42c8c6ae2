"""The event catalogue: a schema for every stream event and output item type the installed openai SDK knows.

The lists are derived from the SDK (typing.get_args over ResponseStreamEvent
and ResponseOutputItem), so a newer SDK with a new event type fails here
until the schemas catch up. Each type is instantiated from the SDK's own model
class (required fields only, and every field), dumped as a gateway would send
it, and must pass its schema; a copy with a required field of the wrong type
must fail at that field.
"""

from __future__ import annotations

import copy

import pytest
from schema_helpers import typical_response
from sdk_instances import full, literal_type, members_by_type, minimal, wire

from respcheck.schemastore import SchemaStore

openai = pytest.importorskip("openai")
from openai.types.responses import ResponseStreamEvent  # noqa: E402
from openai.types.responses.response_output_item import ResponseOutputItem  # noqa: E402

ROOT = "stream-event.schema.json"
ITEM = "output-item.schema.json"
EVENTS = members_by_type(ResponseStreamEvent)
ITEMS = members_by_type(ResponseOutputItem)
# Open Responses' names for events OpenAI names otherwise (the same shape; see profile setting event_names).
# Fields openai-python types optional that the contract requires, each for a reason its schema states
# (an annotation.added event without an annotation says nothing; call_id is what a function_call_output answers).
STRICTER_THAN_SDK = {"response.output_text.annotation.added": ["annotation"], "function_call_output": ["call_id"]}
OPEN_RESPONSES_NAMES = {"response.reasoning.delta": "response.reasoning_text.delta",
                        "response.reasoning.done": "response.reasoning_text.done"}


@pytest.fixture(scope="module")
def store() -> SchemaStore:
    return SchemaStore()


def build(cls, every_field: bool) -> dict:
    """The SDK's required fields (plus the contract's, see STRICTER_THAN_SDK), or every field."""
    if every_field:
        return full(cls)
    data, extra = minimal(cls), full(cls)
    for field in STRICTER_THAN_SDK.get(literal_type(cls), []):
        data[field] = extra[field]
    return data


def event_ref(event_type: str) -> str:
    return f"{ROOT}#/$defs/{event_type}"


def item_file(store: SchemaStore, item_type: str) -> str:
    """The file output-item.schema.json dispatches `item_type` to."""
    for branch in store.contents(ITEM)["allOf"]:
        if branch["if"]["properties"]["type"]["const"] == item_type:
            return branch["then"]["$ref"]
    raise AssertionError(f"output-item.schema.json has no branch for {item_type!r}")


# -- the catalogue is complete -----------------------------------------------------

def test_every_sdk_event_type_has_a_schema(store):
    assert len(EVENTS) >= 59, sorted(EVENTS)  # openai 3.57's union; a lower count means the derivation broke
    defs = store.contents(ROOT)["$defs"]
    dispatched = {b["if"]["properties"]["type"]["const"] for b in store.contents(ROOT)["allOf"]}
    missing = sorted(t for t in EVENTS if t not in defs or t not in dispatched or not store.has(event_ref(t)))
    assert missing == [], f"stream events of openai {openai.__version__} without a schema: {missing}"


def test_the_catalogue_names_only_sdk_events_and_open_responses_names(store):
    extra = set(store.contents(ROOT)["$defs"]) - set(EVENTS)
    assert extra == set(OPEN_RESPONSES_NAMES)
    assert set(OPEN_RESPONSES_NAMES.values()) <= set(EVENTS)


def test_every_sdk_output_item_type_has_a_schema(store):
    assert len(ITEMS) >= 28, sorted(ITEMS)
    for item_type in ITEMS:
        target = item_file(store, item_type)
        assert target in store.names() and store.contents(target)["properties"]["type"]["const"] == item_type


# -- SDK-built instances pass ------------------------------------------------------

def _ids(builds):
    return [f"{t}-{'full' if every else 'minimal'}-{'without' if x else 'with'}-nulls" for t, every, x in builds]


BUILDS = [(t, every, x) for t in sorted(EVENTS) for every in (False, True) for x in (False, True)]


@pytest.mark.parametrize("event_type,every_field,exclude_none", BUILDS, ids=_ids(BUILDS))
def test_sdk_built_events_pass(store, event_type, every_field, exclude_none):
    if event_type == "error" and exclude_none:
        pytest.skip("the error event's code and param are present even when null (test_stream_schemas)")
    document = wire(EVENTS[event_type], build(EVENTS[event_type], every_field), exclude_none)
    assert store.issues(event_ref(event_type), document) == []
    assert store.issues(ROOT, document) == []
    assert store.is_valid(event_ref(event_type), document)


ITEM_BUILDS = [(t, every, x) for t in sorted(ITEMS) for every in (False, True) for x in (False, True)]


@pytest.mark.parametrize("item_type,every_field,exclude_none", ITEM_BUILDS, ids=_ids(ITEM_BUILDS))
def test_sdk_built_items_pass_and_ride_in_events_and_responses(store, item_type, every_field, exclude_none):
    item = wire(ITEMS[item_type], build(ITEMS[item_type], every_field), exclude_none)
    assert store.issues(item_file(store, item_type), item) == []
    assert store.issues(ITEM, item) == []
    done = {"type": "response.output_item.done", "sequence_number": 3, "output_index": 0, "item": item}
    assert store.issues(event_ref("response.output_item.done"), done) == []
    assert store.issues("response.schema.json", typical_response(item)) == []


def test_a_response_carrying_every_item_type_passes(store):
    output = [wire(cls, build(cls, True), True) for _, cls in sorted(ITEMS.items())]
    body = typical_response(output[0], output=output)
    assert store.issues("response.schema.json", body) == []
    completed = {"type": "response.completed", "sequence_number": 9, "response": body}
    assert store.issues(event_ref("response.completed"), completed) == []


@pytest.mark.parametrize("open_name,openai_name", sorted(OPEN_RESPONSES_NAMES.items()))
def test_open_responses_names_share_the_openai_shape(store, open_name, openai_name):
    document = wire(EVENTS[openai_name], build(EVENTS[openai_name], False), True)
    renamed = {**document, "type": open_name}
    assert store.issues(event_ref(open_name), renamed) == []
    assert store.issues(event_ref(open_name), {**renamed, "item_id": 7}) != []


# -- broken instances fail where they are broken -----------------------------------

def _wrong_type(value) -> object:
    """A value of another JSON type than `value`, which the property's schema cannot accept."""
    return "not a number" if isinstance(value, (int, float)) and not isinstance(value, bool) else 12345


def _breakable_field(store: SchemaStore, ref: str, document: dict) -> str | None:
    """A required field other than type whose schema says which JSON type it takes."""
    for field in document:
        if field in ("type", "sequence_number"):
            continue
        broken = {**document, field: _wrong_type(document[field])}
        if not store.is_valid(ref, broken):
            return field
    return None


@pytest.mark.parametrize("event_type", sorted(EVENTS))
def test_an_event_with_a_wrong_typed_required_field_fails_there(store, event_type):
    cls = EVENTS[event_type]
    document = wire(cls, build(cls, False), exclude_none=event_type != "error")  # error: code, param even if null
    field = _breakable_field(store, event_ref(event_type), document)
    if set(document) == {"type", "sequence_number"}:  # e.g. response.audio.done: nothing else to break
        field = "sequence_number"
    assert field is not None, f"{event_type}: no required field whose wrong type the schema rejects"
    broken = copy.deepcopy(document)
    broken[field] = _wrong_type(document[field])
    issues = store.issues(event_ref(event_type), broken)
    assert issues and all(i.path.startswith(f"$.{field}") for i in issues), issues
    assert not store.is_valid(ROOT, broken)


@pytest.mark.parametrize("item_type", sorted(ITEMS))
def test_an_item_with_a_wrong_typed_required_field_fails_there(store, item_type):
    cls = ITEMS[item_type]
    document = wire(cls, build(cls, False), True)
    field = _breakable_field(store, ITEM, document)
    assert field is not None, f"{item_type}: no field whose wrong type the schema rejects"
    broken = {**document, field: _wrong_type(document[field])}
    issues = store.issues(ITEM, broken)
    assert issues and all(i.path.startswith(f"$.{field}") for i in issues), issues
    assert store.issues(ITEM, {**document, "type": 42}) != []
