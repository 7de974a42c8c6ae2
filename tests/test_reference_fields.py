"""Request fields with an effect or echo (cases/responses/fields.yaml): what the reference gateway does
with each, the legal variations that must pass, the rule tool.max_calls, and the probe table that proves
each `fields` switch breaks its own probe and no other. The end-to-end proofs are the rows of the
`# --- request fields ---` block in tests/test_faults.py."""

from __future__ import annotations

import json
import typing

import pytest
from gateway_probes import BODY_READING_FAULTS, broken_probes, probe_tests
from openai.types.responses.response_includable import ResponseIncludable
from openai.types.responses.service_tier import ServiceTier
from openai.types.shared.reasoning_effort import ReasoningEffort

from respcheck.checks import RULES, CheckContext
from respcheck.checks.tools import check_tool_calls
from respcheck.exchange.client import Exchange
from respcheck.model.profile import load_profile
from respcheck.reference import DEFAULT_API_KEY, FAULTS
from respcheck.reference import reasoning, service_tier, verbosity
from respcheck.reference.faults import FIELD_AREAS
from respcheck.reference.request import INCLUDABLE

WEATHER = {"type": "function", "name": "get_weather",
           "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}
THREE_CITIES = "Use the get_weather tool for Paris, for Tokyo and for Lima."
EXPLAIN = "Explain what an API gateway does."
TEXT, REASONER = "ref-text-1", "ref-reason-1"


def send(http, server, body: dict):
    return http.post(server.base_url + "/responses", content=json.dumps(body).encode(),
                     headers={"Authorization": f"Bearer {DEFAULT_API_KEY}", "Content-Type": "application/json"})


def ask(http, server, **fields):
    return send(http, server, {"model": TEXT, "input": "Reply with exactly: OK", **fields})


def _calls(resp) -> list:
    return [item for item in resp.json()["output"] if item["type"] == "function_call"]


def _text(resp) -> str:
    """The messages' output_text; "" where another switch bent the shape (string content, no output)."""
    output = resp.json().get("output") if resp.is_success else None
    return "".join(part.get("text", "") for item in output or [] if item.get("type") == "message"
                   and isinstance(item.get("content"), list) for part in item["content"] if isinstance(part, dict))


def _error_param(resp) -> str | None:
    return resp.json()["error"]["param"]


def _literals(alias) -> list[str]:
    """The string values of an SDK Literal (Optional[...] included)."""
    found = []
    for arg in typing.get_args(alias):
        found += _literals(arg) if typing.get_args(arg) else [arg] if isinstance(arg, str) else []
    return found


# --- max_tool_calls ----------------------------------------------------------------------------

@pytest.mark.parametrize(("limit", "calls"), [(1, 1), (2, 2), (3, 3), (9, 3)])
def test_max_tool_calls_caps_the_calls_and_a_higher_limit_changes_nothing(http, server, limit, calls):
    resp = send(http, server, {"model": TEXT, "input": THREE_CITIES, "tools": [WEATHER], "max_tool_calls": limit})
    assert resp.status_code == 200
    assert [json.loads(c["arguments"])["location"] for c in _calls(resp)] == ["Paris", "Tokyo", "Lima"][:calls]
    assert resp.json()["max_tool_calls"] == limit


def _tool_check(request: dict, calls: int) -> list:
    output = [{"type": "function_call", "call_id": f"c{i}", "name": "get_weather", "arguments": '{"location": "x"}'}
              for i in range(calls)]
    exchange = Exchange("POST", "http://x/v1/responses", {}, json.dumps(request).encode(), status=200,
                        response_headers={"content-type": "application/json"},
                        body=json.dumps({"object": "response", "output": output}).encode())
    ctx = CheckContext(exchange=exchange, expect={}, profile=load_profile("reference"), path="/responses")
    return [f.rule for f in check_tool_calls(ctx)]


def test_tool_max_calls_fails_only_beyond_the_limit():
    request = {"model": "m", "input": "hi", "tools": [WEATHER], "max_tool_calls": 2}
    assert _tool_check(request, 3) == ["tool.max_calls"]
    # Legal: the limit reached, not reached, no calls at all, or no limit sent.
    assert _tool_check(request, 2) == _tool_check(request, 0) == []
    assert _tool_check({**request, "max_tool_calls": None}, 5) == []
    assert "tool.max_calls" in RULES


# --- text.verbosity ----------------------------------------------------------------------------

def test_verbosity_orders_the_length_of_an_explanation_and_is_echoed(http, server):
    lengths = {}
    for level in verbosity.LEVELS:
        resp = ask(http, server, input=EXPLAIN, text={"verbosity": level})
        assert resp.status_code == 200 and resp.json()["text"]["verbosity"] == level
        lengths[level] = resp.json()["usage"]["output_tokens"]
    assert lengths["low"] < lengths["medium"] < lengths["high"]
    # Unset is medium; other prompts do not change with it (the rule only lengthens explanations).
    assert _text(ask(http, server, input=EXPLAIN)) == verbosity.explanation(EXPLAIN, "medium")
    assert _text(ask(http, server, text={"verbosity": "high"})) == "OK"


def test_a_verbosity_the_api_does_not_know_is_refused(http, server):
    resp = ask(http, server, text={"verbosity": "chatty"})
    assert resp.status_code == 400 and _error_param(resp) == "text.verbosity"


# --- service_tier ------------------------------------------------------------------------------

def test_the_response_reports_the_tier_that_served(http, server):
    assert ask(http, server).json()["service_tier"] == "default"
    assert ask(http, server, service_tier="auto").json()["service_tier"] == service_tier.AUTO_SERVES
    for tier in service_tier.OFFERED:
        assert ask(http, server, service_tier=tier).json()["service_tier"] == tier


def test_tiers_the_reference_does_not_offer_are_refused_naming_service_tier(http, server):
    sdk_tiers = _literals(ServiceTier)
    assert set(sdk_tiers) == set(service_tier.SDK_TIERS)  # the installed SDK's list, kept in step
    for tier in [*set(sdk_tiers) - set(service_tier.OFFERED) - {"auto"}, "turbo"]:
        resp = ask(http, server, service_tier=tier)
        assert resp.status_code == 400 and _error_param(resp) == "service_tier", tier


def test_every_tier_the_reference_profile_names_is_declared():
    profile = load_profile("reference")
    for tier in service_tier.SDK_TIERS[1:]:
        state = profile.capabilities[f"responses.service_tier.{tier}"]
        assert (state == "supported") == (tier in service_tier.OFFERED), tier


# --- safety_identifier, user -------------------------------------------------------------------

def test_safety_identifier_and_user_are_echoed(http, server):
    body = ask(http, server, safety_identifier="sid-1", user="legacy-1").json()
    assert (body["safety_identifier"], body["user"]) == ("sid-1", "legacy-1")
    assert ask(http, server).json()["safety_identifier"] is None


# --- include ------------------------------------------------------------------------------------

def test_every_sdk_includable_is_accepted_and_an_unknown_one_is_refused(http, server):
    assert set(_literals(ResponseIncludable)) == INCLUDABLE
    assert ask(http, server, include=sorted(INCLUDABLE)).status_code == 200  # legal, even without those tools
    for bad in (["message.output_text.logprob"], ["reasoning.encrypted_content", "nope"]):
        resp = ask(http, server, include=bad)
        assert resp.status_code == 400 and _error_param(resp) == "include", bad


def test_encrypted_content_comes_only_when_included_and_goes_back_as_input(http, server):
    base = {"model": REASONER, "input": "My code word is HERON. Reply with exactly: NOTED", "store": False}
    plain = send(http, server, base).json()["output"]
    assert plain[0]["type"] == "reasoning" and "encrypted_content" not in plain[0]
    first = send(http, server, {**base, "include": [reasoning.ENCRYPTED_INCLUDE]}).json()["output"]
    assert isinstance(first[0]["encrypted_content"], str) and first[0]["encrypted_content"]
    resp = send(http, server, {"model": REASONER, "input": [
        {"role": "user", "content": base["input"]}, *first, {"role": "user", "content": "What is my code word?"}]})
    assert resp.status_code == 200 and _text(resp) == "HERON"


# --- reasoning.effort ---------------------------------------------------------------------------

def test_every_sdk_effort_is_accepted_and_more_effort_spends_more(http, server):
    efforts = _literals(ReasoningEffort)
    assert tuple(efforts) == reasoning.EFFORTS  # in the SDK's order, weakest first
    spent = []
    for effort in efforts:
        body = send(http, server, {"model": REASONER, "input": "hi", "reasoning": {"effort": effort}}).json()
        assert body["reasoning"]["effort"] == effort
        spent.append(body["usage"]["output_tokens_details"]["reasoning_tokens"])
        assert any(item["type"] == "reasoning" for item in body["output"]) == (effort != "none")
    assert spent == sorted(set(spent)) and spent[0] == 0


# --- input --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [42, 4.2, True, {"role": "user", "content": "hi"}])
def test_input_of_the_wrong_type_is_400_naming_input(http, server, value):
    resp = send(http, server, {"model": TEXT, "input": value})
    assert resp.status_code == 400 and _error_param(resp) == "input"
    assert resp.json()["error"]["type"] == "invalid_request_error"


# --- the fields switches: each breaks its own probe, and no other ---------------------------------

def _ok(**fields) -> dict:
    return {"model": TEXT, "input": "Reply with exactly: OK", **fields}


def _json(resp) -> dict:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _items(resp, kind: str) -> list:
    output = _json(resp).get("output")
    return [i for i in output if isinstance(i, dict) and i.get("type") == kind] if isinstance(output, list) else []


FIELD_PROBES = {
    "max_tool_calls_ignored": ({"model": TEXT, "input": THREE_CITIES, "tools": [WEATHER], "max_tool_calls": 1},
                               lambda r: len(_items(r, "function_call")) > 1),
    "verbosity_ignored": (_ok(input=EXPLAIN, text={"verbosity": "low"}),
                          lambda r: _text(r) == verbosity.explanation(EXPLAIN, "medium")),
    "service_tier_ignored": (_ok(service_tier="flex"), lambda r: _json(r).get("service_tier") == "default"),
    "service_tier_auto_echoed": (_ok(service_tier="auto"), lambda r: _json(r).get("service_tier") == "auto"),
    "echo_safety_identifier_missing": (_ok(safety_identifier="sid-1"),
                                       lambda r: r.is_success and _json(r).get("safety_identifier") is None),
    "encrypted_content_missing": ({"model": REASONER, "input": "hi", "include": [reasoning.ENCRYPTED_INCLUDE]},
                                  lambda r: any("encrypted_content" not in i for i in _items(r, "reasoning"))),
    "include_unknown_accepted": (_ok(include=["respcheck.no_such_output"]), lambda r: r.is_success),
    "effort_none_ignored": ({"model": REASONER, "input": "hi", "reasoning": {"effort": "none"}},
                            lambda r: bool(_items(r, "reasoning"))),
    "effort_xhigh_rejected": ({"model": REASONER, "input": "hi", "reasoning": {"effort": "xhigh"}},
                              lambda r: r.status_code == 400),
    "input_wrong_type_500": ({"model": TEXT, "input": 42}, lambda r: r.status_code == 500),
}


def test_field_fault_table_covers_every_field_fault():
    assert set(FIELD_PROBES) == {name for name, fault in FAULTS.items() if fault.area in FIELD_AREAS}


def _broken_field_probes(http, server) -> set[str]:
    return broken_probes(FIELD_PROBES, lambda _name, body: send(http, server, body))


test_clean_gateway_breaks_no_field_probe, test_fault_breaks_only_its_own_field_probe = probe_tests(
    FIELD_PROBES, _broken_field_probes, BODY_READING_FAULTS)
