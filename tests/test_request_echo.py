"""request.echo: an echo that differs from the request fails, naming the field; the legal ways a
Response echoes (defaults filled in, numbers rounded, a schema normalised, auto resolved) never do.
The end-to-end proofs are the echo_* switches in tests/test_faults.py and the drop sweep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from respcheck.checks import RULES, CheckContext
from respcheck.checks.echo import ECHOED, check_request_echo
from respcheck.exchange.client import Exchange
from respcheck.model.profile import load_profile

WEATHER = {"type": "function", "name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
SCHEMA_FORMAT = {"type": "json_schema", "name": "place", "strict": True,
                 "schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
REQUEST = {
    "model": "m", "input": "hi", "instructions": "Be brief.", "tools": [WEATHER], "tool_choice": "auto",
    "parallel_tool_calls": False, "text": {"format": SCHEMA_FORMAT}, "reasoning": {"effort": "low", "summary": "auto"},
    "max_output_tokens": 64, "temperature": 0.7, "top_p": 1, "truncation": "disabled", "metadata": {"k": "v"},
    "store": False, "prompt_cache_key": "key-1", "top_logprobs": 2, "service_tier": "auto",
}


def _exact_echo() -> dict:
    echoed = {key: value for key, value in REQUEST.items() if key not in ("model", "input")}
    return {"id": "resp_1", "object": "response", "status": "completed", "output": [], **echoed}


def run(response: dict, request: dict = REQUEST, profile: str = "reference", **settings) -> list:
    loaded = load_profile(profile)
    loaded.settings.update(settings)
    exchange = Exchange("POST", "http://x/v1/responses", {}, json.dumps(request).encode(), status=200,
                        response_headers={"content-type": "application/json"}, body=json.dumps(response).encode())
    return check_request_echo(CheckContext(exchange=exchange, expect={}, profile=loaded, path="/responses"))


def legal_variations() -> dict[str, dict]:
    """name -> a Response that echoes REQUEST the way a conformant target may."""
    filled = _exact_echo()
    filled["tools"] = [{**WEATHER, "description": None, "strict": True,
                        "parameters": {**WEATHER["parameters"], "additionalProperties": False}}]
    numbers = _exact_echo()
    numbers.update(top_p=1.0, temperature=0.699999988079071, max_output_tokens=64.0)
    schema = _exact_echo()
    schema["text"] = {"format": {**SCHEMA_FORMAT, "description": None,
                                 "schema": {**SCHEMA_FORMAT["schema"], "additionalProperties": False}},
                      "verbosity": "medium"}
    summary = _exact_echo()
    summary["reasoning"] = {"effort": "low", "summary": "detailed"}
    extra_keys = _exact_echo()
    extra_keys["metadata"] = {"k": "v", "gateway_trace": "t-1"}
    extra_keys["service_tier"] = "default"  # the tier used: not an echo
    extra_keys["user"] = None  # not sent: whatever the target says
    return {"exact": _exact_echo(), "defaults filled in": filled, "numbers rounded": numbers,
            "schema normalised": schema, "summary auto resolved": summary, "extra keys and unsent fields": extra_keys}


@pytest.mark.parametrize("name", sorted(legal_variations()))
def test_a_legal_echo_passes(name):
    assert run(legal_variations()[name]) == []


@pytest.mark.parametrize(("field", "value", "says"), [
    ("tools", [], "has 0 tool(s), the request sent 1"),
    ("tools", [{**WEATHER, "name": "get_time"}], "[0].name is 'get_time'"),
    ("tool_choice", "none", "is 'none', the request sent 'auto'"),
    ("parallel_tool_calls", True, "is True"),
    ("parallel_tool_calls", 0, "is 0"),  # a number is not a boolean
    ("reasoning", {"effort": "medium", "summary": "auto"}, "reasoning.effort is 'medium', the request sent 'low'"),
    ("reasoning", {"effort": "low", "summary": None}, "reasoning.summary is null"),
    ("text", {"format": {"type": "text"}}, "text.format is"),
    ("max_output_tokens", None, "max_output_tokens is null, the request sent 64"),
    ("temperature", 1.0, "temperature is 1.0, the request sent 0.7"),
    ("metadata", {}, "metadata is {}"),
    ("prompt_cache_key", None, "prompt_cache_key is null"),
    ("instructions", "Be verbose.", "instructions is 'Be verbose.'"),
    ("top_logprobs", 0, "top_logprobs is 0"),
])
def test_an_echo_that_differs_fails_naming_the_field(field, value, says):
    response = _exact_echo()
    response[field] = value
    failures = run(response)
    assert len(failures) == 1, failures
    assert failures[0].rule == "request.echo" and says in failures[0].message, failures[0].message
    assert failures[0].path.startswith(f"$.{field}")


def test_a_missing_echo_fails_where_the_profile_says_the_target_echoes():
    response = _exact_echo()
    del response["reasoning"]
    (failure,) = [f for f in run(response) if "effort" in f.message]
    assert failure.message == "the Response's reasoning.effort is missing, the request sent 'low'"
    assert run(response, echoed_fields=["tools", "metadata"]) == []  # a target that echoes only these


def test_by_default_an_absent_echo_is_not_compared_but_a_null_one_is():
    response = _exact_echo()
    del response["reasoning"], response["metadata"]
    assert run(response, echoed_fields=None) == []
    response["max_output_tokens"] = None
    (failure,) = run(response, echoed_fields=None)
    assert failure.message == "the Response's max_output_tokens is null, the request sent 64"


def test_no_echo_is_compared_off_a_responses_success():
    response = _exact_echo()
    response["tools"] = []
    exchange = Exchange("POST", "http://x/v1/responses", {}, json.dumps(REQUEST).encode(), status=400,
                        body=json.dumps(response).encode())
    ctx = CheckContext(exchange=exchange, expect={}, profile=load_profile("reference"), path="/responses")
    assert check_request_echo(ctx) == []
    assert run({**response, "object": "chat.completion"}) == []  # not a Response: response.schema's business


def test_the_rule_and_the_profile_setting_agree_on_the_fields():
    schema = json.loads((Path(__file__).resolve().parent.parent / "schemas" / "profile.schema.json").read_text())
    assert schema["$defs"]["settings"]["properties"]["echoed_fields"]["items"]["enum"] == list(ECHOED)
    assert "request.echo" in RULES
    assert "service_tier" not in ECHOED  # reports the tier used, not the one asked for
