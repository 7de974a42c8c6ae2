"""The request schema knows every field of the installed openai SDK's ResponseCreateParams.

The field list comes from the SDK's TypedDicts (streaming and not), so a
newer SDK with a new request field fails here until the schema has it. Each
field gets a value built from the SDK's own type, which the schema must
accept, and a value of the wrong JSON type, which it must refuse at that field.
"""

from __future__ import annotations

import pytest
from sdk_instances import param_value

from respcheck.schemastore import SchemaStore

openai = pytest.importorskip("openai")
from openai.types.responses import response_create_params as params  # noqa: E402

REQUEST = "responses-request.schema.json"
SHAPES = (params.ResponseCreateParamsNonStreaming, params.ResponseCreateParamsStreaming)
SDK_FIELDS = sorted({key for shape in SHAPES for key in shape.__annotations__}
                    | {key for shape in SHAPES for key in shape.__required_keys__ | shape.__optional_keys__})
BASE = {"model": "gpt-4o-mini", "input": "Say PONG"}
# Fields the schema knows beyond openai-python's: the Auriko SDK's top_k, the penalties (Auriko, Open Responses)
# and the gateway extension.
NOT_IN_THE_SDK = {"top_k", "frequency_penalty", "presence_penalty", "gateway", "extensions"}


@pytest.fixture(scope="module")
def store() -> SchemaStore:
    return SchemaStore()


def test_the_sdk_field_list_is_derived():
    assert len(SDK_FIELDS) >= 34 and {"model", "input", "stream", "tools", "include"} <= set(SDK_FIELDS)
    assert params.ResponseCreateParamsStreaming.__required_keys__ == {"stream"}


def test_every_sdk_field_is_in_the_request_schema(store):
    known = set(store.contents(REQUEST)["properties"])
    missing = [key for key in SDK_FIELDS if key not in known]
    assert missing == [], f"ResponseCreateParams fields of openai {openai.__version__} unknown to {REQUEST}: {missing}"
    assert known - set(SDK_FIELDS) == NOT_IN_THE_SDK


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.__name__)
@pytest.mark.parametrize("key", SDK_FIELDS)
def test_an_sdk_typed_value_passes(store, shape, key):
    if key not in shape.__annotations__:
        pytest.skip(f"{key} is not a field of {shape.__name__}")
    body = {**BASE, key: param_value(shape, key)}
    assert store.issues(REQUEST, body) == []


def _wrong(value):
    return "not a number" if isinstance(value, (int, float)) and not isinstance(value, bool) else 12345


@pytest.mark.parametrize("key", [k for k in SDK_FIELDS if k != "model"])
def test_a_wrong_typed_value_fails_at_its_field(store, key):
    body = {**BASE, key: _wrong(param_value(params.ResponseCreateParamsStreaming, key))}
    issues = store.issues(REQUEST, body)
    assert issues and all(issue.path.startswith(f"$.{key}") for issue in issues), issues


def test_a_misspelt_include_value_fails(store):
    issues = store.issues(REQUEST, {**BASE, "include": ["message.output_text.logprob"]})
    assert [issue.path for issue in issues] == ["$.include[0]"]
