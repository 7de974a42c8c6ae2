"""The embedded reference gateway: clean behaviour, every fault switch, server lifecycle and CLI."""

from __future__ import annotations

import json
import re
import signal
import threading
from datetime import datetime

import httpx
import openai
import pytest
from gateway_probes import BODY_READING_FAULTS, CONNECTION_FAULTS, broken_probes, probe_tests
from openai.types.responses import Response

from respcheck.cli import main
from respcheck.reference import DEFAULT_API_KEY, FAULTS, ReferenceServer, create_app
from respcheck.reference.engine import DEFAULT_ANSWER, UNKNOWN_CODE_WORD, answer, count_tokens
from respcheck.reference.faults import (DROP_TEMPLATE, FEATURE_AREAS, FIELD_AREAS, GATEWAY_AREAS, STATE_AREAS,
                                       validate_faults)

OK_BODY = {"model": "ref-text-1", "input": "hello there"}
CODE_WORD_CHAT = [
    {"role": "user", "content": "My code word is BLUEBIRD."},
    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Noted."}]},
    {"role": "user", "content": [{"type": "input_text", "text": "What is my code word?"}]},
]
UNKNOWN_MODEL = {"body": {"model": "no-such-model", "input": "hi"}}




def send(http, server, body=None, *, content=None, key=DEFAULT_API_KEY, method="POST", path="/responses"):
    """One request; `key=None` sends no Authorization header at all."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    if body is not None:
        content, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    return http.request(method, server.base_url + path, content=content, headers=headers)


def output_text(resp: httpx.Response) -> str | None:
    """The answer text, tolerant of chat-style string content; None when there is no message."""
    messages = [item for item in resp.json().get("output", []) if item.get("type") == "message"]
    if not messages:
        return None
    content = messages[0]["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if part.get("type") == "output_text")


def error_of(resp: httpx.Response) -> dict | None:
    """The error object of a JSON error envelope, or None if the body is not one."""
    if not resp.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        return resp.json().get("error")
    except ValueError:
        return None


def assert_error(resp, status, type_, code, param):
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    error = resp.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (type_, code, param)
    assert error["message"]
    assert error["doc_url"] == f"https://docs.respcheck.invalid/errors/{code}"
    assert resp.headers["x-error-type"] == type_
    assert resp.headers["x-error-retryable"] == ("true" if type_ in ("rate_limit_error", "api_error") else "false")
    assert re.fullmatch(r"req_[0-9a-f]+", resp.headers["x-request-id"])


# --- the clean gateway -------------------------------------------------------------------------

def test_success_body_is_a_full_response(http, server):
    resp = send(http, server, {**OK_BODY, "input": "Reply with exactly: PONG", "metadata": {"k": "v"}})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    assert re.fullmatch(r"req_[0-9a-f]+", resp.headers["x-request-id"])
    body = resp.json()
    assert re.fullmatch(r"resp_[0-9a-f]{24}", body["id"])
    assert body["object"] == "response" and body["status"] == "completed"
    assert isinstance(body["created_at"], int) and body["completed_at"] >= body["created_at"]
    assert body["model"] == "ref-text-1" and body["error"] is None and body["incomplete_details"] is None
    [message] = body["output"]
    assert message["type"] == "message" and message["role"] == "assistant" and message["id"].startswith("msg_")
    # logprobs: [] without include message.output_text.logprobs, as OpenAI answers.
    assert message["content"] == [{"type": "output_text", "text": "PONG", "annotations": [], "logprobs": []}]
    assert body["metadata"] == {"k": "v"} and body["tools"] == [] and body["tool_choice"] == "auto"
    assert (body["store"], body["background"], body["previous_response_id"]) == (False, False, None)
    assert body["text"] == {"format": {"type": "text"}} and body["truncation"] == "disabled"
    assert body["routing_metadata"] == {
        "provider": "gamma",  # the balanced default's pick (beta is the cheapest)
        "provider_model_id": "gamma/ref-text-1",
        "model_canonical": "ref-text-1",
        "routing_strategy": "balanced",
        "cost": {"usd": round((4 * 0.45 + 1 * 1.30) / 1e6, 10)},
    }
    parsed = Response.model_validate(body)
    assert parsed.output_text == "PONG"


def test_request_fields_are_echoed(http, server):
    tool = {"type": "function", "name": "get_weather", "description": "Weather",
            "parameters": {"type": "object", "properties": {}}, "strict": True}
    request = {**OK_BODY, "instructions": "Be brief. Answer in JSON.", "tools": [tool], "tool_choice": "none",
               "parallel_tool_calls": False, "temperature": 0.2, "top_p": 0.5, "max_output_tokens": 64,
               "text": {"format": {"type": "json_object"}}, "reasoning": {"effort": "none"}, "store": False,
               "background": False, "gateway": {"routing": {"optimize": "cost"}}, "extensions": {"openai": {}},
               "top_logprobs": 2, "prompt_cache_key": "k1"}
    body = send(http, server, request).json()
    for name in ("instructions", "tools", "tool_choice", "parallel_tool_calls", "temperature", "top_p",
                 "max_output_tokens", "text", "top_logprobs", "prompt_cache_key"):
        assert body[name] == request[name], name
    assert body["reasoning"] == {"effort": "none", "summary": None}
    Response.model_validate(body)


def test_openai_sdk_end_to_end(server):
    client = openai.OpenAI(base_url=server.base_url, api_key=DEFAULT_API_KEY, max_retries=0)
    result = client.responses.create(model="ref-text-1", instructions="Reply with exactly: PONG", input="hi")
    assert result.output_text == "PONG"
    assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens


@pytest.mark.parametrize(("instructions", "messages", "expected"), [
    ("Reply with exactly: PONG", [("user", "Reply with exactly: PING")], "PONG"),
    ("Be nice.\nReply with exactly: \"QUOTED\"\nThanks", [("user", "hi")], "QUOTED"),
    (None, [("user", "Say something. Reply with exactly: PING  ")], "PING"),
    (None, [("user", "My code word is FALCON."), ("assistant", "OK"), ("user", "What is my CODE WORD?")], "FALCON"),
    (None, [("system", "The code word is OWL"), ("user", "what is my code word")], "OWL"),
    (None, [("user", "what is my code word?")], UNKNOWN_CODE_WORD),
    (None, [("user", "Reply with exactly: A"), ("assistant", "A"), ("user", "hello")], DEFAULT_ANSWER),
    (None, [], DEFAULT_ANSWER),
])
def test_engine_rules(instructions, messages, expected):
    assert answer(instructions, messages) == expected


def test_answers_follow_the_engine_over_http(http, server):
    assert output_text(send(http, server, {**OK_BODY, "input": CODE_WORD_CHAT})) == "BLUEBIRD"
    assert output_text(send(http, server, {**OK_BODY, "instructions": "Reply with exactly: X1"})) == "X1"
    assert output_text(send(http, server, OK_BODY)) == DEFAULT_ANSWER


def test_usage_arithmetic(http, server):
    request = {**OK_BODY, "instructions": "one two three", "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "four five"},
                                     {"type": "input_image", "image_url": "https://x.invalid/v1/assets/red-8x8.png"}]},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "tool said this"},
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"role": "user", "content": "Reply with exactly: six seven"}]}
    usage = send(http, server, request).json()["usage"]
    assert usage["input_tokens"] == 3 + 2 + 3 + 5  # images and call arguments count nothing; tool output does
    assert usage["output_tokens"] == count_tokens("six seven") == 2
    assert usage["total_tokens"] == 15
    assert usage["input_tokens_details"]["cached_tokens"] == 0
    assert usage["output_tokens_details"]["reasoning_tokens"] == 0


def test_gateway_models_serves_first_available(http, server):
    body = send(http, server, {"gateway": {"models": ["no-such", "ref-down-1", "ref-text-2"]}, "input": "hi"}).json()
    assert body["model"] == "ref-text-2"
    assert body["routing_metadata"]["provider"] == "gamma"


@pytest.mark.parametrize("extra", [{"store": False}, {"background": False}, {"previous_response_id": None},
                                   {"model": "ref-pro-1"}, {"model": "ref-vision-1"}, {"stream": False}])
def test_accepted_variants(http, server, extra):
    assert send(http, server, {**OK_BODY, **extra}).status_code == 200


def test_auth(http, server):
    assert send(http, server, OK_BODY).status_code == 200
    for key in (None, "wrong-key"):
        assert_error(send(http, server, OK_BODY, key=key), 401, "authentication_error", "invalid_api_key", None)
    for header in (DEFAULT_API_KEY, f"Basic {DEFAULT_API_KEY}", "Bearer"):
        resp = http.post(server.base_url + "/responses", json=OK_BODY, headers={"Authorization": header})
        assert resp.status_code == 401, header
    assert_error(send(http, server, method="GET", path="/models", key=None), 401,
                 "authentication_error", "invalid_api_key", None)


def _part(kind: str) -> dict:
    return {**OK_BODY, "input": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}, {"type": kind}]}]}


INVALID = "invalid_request_error"
ERROR_CASES = {
    "malformed-json": ({"content": b"{not json"}, 400, INVALID, "invalid_request", None),
    "array-body": ({"content": b"[1, 2]"}, 400, INVALID, "invalid_request", None),
    "too-large": ({"content": b'{"input": "' + b"a" * (4 * 1024 * 1024) + b'"}'}, 413, INVALID, "payload_too_large", None),
    "unknown-field": ({"body": {**OK_BODY, "colour": "blue"}}, 400, INVALID, "unknown_field", "colour"),
    "model-and-gateway-models": ({"body": {**OK_BODY, "gateway": {"models": ["ref-text-2"]}}}, 400, INVALID,
                                 "invalid_parameter_value", "gateway.models"),
    "no-model": ({"body": {"input": "hi"}}, 400, INVALID, "missing_required_parameter", "model"),
    "no-input": ({"body": {"model": "ref-text-1"}}, 400, INVALID, "missing_required_parameter", "input"),
    "model-not-string": ({"body": {**OK_BODY, "model": 7}}, 400, INVALID, "invalid_parameter_value", "model"),
    "input-not-string-or-list": ({"body": {**OK_BODY, "input": {"a": 1}}}, 400, INVALID, "invalid_parameter_value", "input"),
    "metadata-not-strings": ({"body": {**OK_BODY, "metadata": {"n": 1}}}, 400, INVALID, "invalid_parameter_value", "metadata"),
    "temperature-out-of-range": ({"body": {**OK_BODY, "temperature": 2.5}}, 400, INVALID,
                                 "invalid_parameter_value", "temperature"),
    "store-true": ({"body": {**OK_BODY, "store": True}}, 400, INVALID, "operation_not_allowed", "store"),
    "previous-response-id": ({"body": {**OK_BODY, "previous_response_id": "resp_1"}}, 400, INVALID,
                             "operation_not_allowed", "previous_response_id"),
    "background-true": ({"body": {**OK_BODY, "background": True}}, 400, INVALID, "operation_not_allowed", "background"),
    "input-file-part": ({"body": _part("input_file")}, 400, INVALID, "operation_not_allowed", "input"),
    "input-file-item": ({"body": {**OK_BODY, "input": [{"type": "input_file", "file_id": "f"}]}}, 400, INVALID,
                        "operation_not_allowed", "input"),
    "input-audio-part": ({"body": _part("input_audio")}, 400, INVALID, "operation_not_allowed", "input"),
    "stream-not-boolean": ({"body": {**OK_BODY, "stream": "yes"}}, 400, INVALID, "invalid_parameter_value", "stream"),
    "upstream-failure": ({"body": {**OK_BODY, "input": "Simulate an upstream failure"}}, 502, "api_error",
                         "upstream_error", None),
    "unknown-model": (UNKNOWN_MODEL, 404, "not_found_error", "model_not_found", "model"),
    "unknown-gateway-models": ({"body": {"gateway": {"models": ["nope"]}, "input": "hi"}}, 404, "not_found_error",
                               "model_not_found", "gateway.models"),
    "unavailable-model": ({"body": {**OK_BODY, "model": "ref-down-1"}}, 503, "api_error", "no_provider_available", None),
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=str)
def test_errors(http, server, case):
    request, status, type_, code, param = ERROR_CASES[case]
    assert_error(send(http, server, **request), status, type_, code, param)


def test_unknown_path_and_method_get_envelopes(http, server):
    assert_error(send(http, server, method="GET", path="/nowhere"), 404, "not_found_error", "resource_not_found", None)
    wrong_method = send(http, server, method="GET", path="/responses")
    assert_error(wrong_method, 405, INVALID, "method_not_allowed", None)
    assert wrong_method.headers["allow"] == "POST"


# --- models and directory ----------------------------------------------------------------------

def test_models_lists(http, server):
    chat = send(http, server, method="GET", path="/models").json()
    responses = send(http, server, method="GET", path="/models?endpoint=responses").json()
    chat_ids = {m["id"] for m in chat["data"]}
    responses_ids = {m["id"] for m in responses["data"]}
    assert chat["object"] == "list" and all(m["object"] == "model" for m in chat["data"])
    assert "ref-pro-1" not in chat_ids and chat_ids < responses_ids
    assert responses_ids == {"ref-text-1", "ref-text-2", "ref-reason-1", "ref-vision-1", "ref-pro-1", "ref-down-1"}
    pro = next(m for m in responses["data"] if m["id"] == "ref-pro-1")
    assert pro["supported_endpoints"] == ["responses"]
    assert_error(send(http, server, method="GET", path="/models?endpoint=bogus"), 400, INVALID,
                 "invalid_parameter_value", "endpoint")


def test_model_by_id(http, server):
    assert send(http, server, method="GET", path="/models/ref-pro-1").json()["id"] == "ref-pro-1"
    assert_error(send(http, server, method="GET", path="/models/nope"), 404, "not_found_error",
                 "model_not_found", "model")


def test_directory(http, server):
    directory = send(http, server, method="GET", path="/directory/models").json()
    assert datetime.fromisoformat(directory["generated_at"]).tzinfo is not None  # ISO 8601, as Auriko's SDK types it
    assert set(directory["models"]) == {"ref-text-1", "ref-text-2", "ref-reason-1", "ref-vision-1",
                                        "ref-pro-1", "ref-down-1"}
    text1 = directory["models"]["ref-text-1"]
    assert text1["display_name"] and text1["family"] == "ref-text"
    prices = {p["provider"]: (p["tiers"][0]["input_price"], p["tiers"][0]["output_price"]) for p in text1["providers"]}
    assert prices == {"alpha": (0.50, 1.50), "beta": (0.40, 1.20), "gamma": (0.45, 1.30)}
    for provider in text1["providers"]:
        assert provider["provider_model_id"] == f"{provider['provider']}/ref-text-1"
        assert provider["supported_endpoints"] == ["chat_completions", "responses"]
        assert all(isinstance(v, bool) for v in provider["capabilities"].values())
        assert provider["tiers"][0]["name"] == "standard" and provider["data_policy"] == "no_training"
    pro = directory["models"]["ref-pro-1"]["providers"][0]
    assert pro["supported_endpoints"] == ["responses"]
    assert directory["models"]["ref-vision-1"]["providers"][0]["capabilities"]["vision"] is True


# --- fault switches ----------------------------------------------------------------------------

NOOP_TOOL = {"type": "function", "name": "noop", "parameters": {"type": "object", "properties": {}}}


def _ok(**extra) -> dict:
    return {"body": {**OK_BODY, **extra}}


def _usage_total_off(resp) -> bool:
    usage = resp.json().get("usage")
    return usage is not None and usage["total_tokens"] != usage["input_tokens"] + usage["output_tokens"]


def _error_field(resp, field: str, value) -> bool:
    error = error_of(resp)
    return error is not None and error.get(field, "<absent>") == value


def _media_input(kind: str) -> dict:
    return {"input": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}, {"type": kind}]}]}


def _succeeded(resp) -> bool:
    return resp.is_success


# fault -> (probe request, "is broken" predicate). Each predicate is narrow on purpose: on a
# gateway with any *other* single fault it must stay False, which proves the switches are
# independent (see test_fault_breaks_only_its_own_probe). The stream faults have their own
# table in test_reference_streaming.py, the feature faults theirs in test_reference_features.py, the
# chat, routing and model-endpoint faults theirs in test_reference_routing.py; here they must leave
# every one of these probes alone.
FAULT_PROBES = {
    "error_headers_missing": (UNKNOWN_MODEL, lambda r: "x-error-type" not in r.headers),
    "completed_with_incomplete_details": (_ok(), lambda r: r.json()["status"] == "completed"
                                          and r.json()["incomplete_details"] is not None),
    "success_status_202": (_ok(), lambda r: r.status_code == 202),
    "json_content_type_wrong": (_ok(), lambda r: not r.headers["content-type"].startswith("application/json")),
    "request_id_missing": (_ok(), lambda r: "x-request-id" not in r.headers),
    "usage_missing": (_ok(), lambda r: "usage" not in r.json()),
    "usage_total_wrong": (_ok(), _usage_total_off),
    "response_id_unprefixed": (_ok(), lambda r: not r.json()["id"].startswith("resp_")),
    "created_at_string": (_ok(), lambda r: isinstance(r.json()["created_at"], str)),
    "object_wrong": (_ok(), lambda r: r.json()["object"] != "response"),
    "metadata_dropped": (_ok(metadata={"k": "v"}), lambda r: r.json()["metadata"] != {"k": "v"}),
    "empty_output": (_ok(), lambda r: r.json()["output"] == []),
    "response_body_null": (_ok(), lambda r: r.is_success and r.content.strip() == b"null"),
    "content_string": (_ok(), lambda r: any(isinstance(item["content"], str) for item in r.json()["output"])),
    "role_wrong": (_ok(), lambda r: any(item["role"] != "assistant" for item in r.json()["output"])),
    "text_empty": (_ok(), lambda r: output_text(r) == ""),
    "instructions_ignored": (_ok(instructions="Reply with exactly: PONG"),
                             lambda r: output_text(r) not in ("PONG", "", None)),
    "history_dropped": (_ok(input=CODE_WORD_CHAT), lambda r: output_text(r) not in ("BLUEBIRD", "", None)),
    "error_type_missing": (UNKNOWN_MODEL, lambda r: _error_field(r, "type", "<absent>")),
    "error_code_http_status": (UNKNOWN_MODEL, lambda r: _error_field(r, "code", str(r.status_code))),
    "error_param_missing": (UNKNOWN_MODEL, lambda r: _error_field(r, "param", None)),
    "error_not_json": (UNKNOWN_MODEL, lambda r: error_of(r) is None),
    "missing_model_400_wrong_param": ({"body": {"input": "hi"}}, lambda r: _error_field(r, "param", "input")),
    "bad_json_500": ({"content": b"{not json"}, lambda r: r.status_code == 500),
    "unknown_model_400": (UNKNOWN_MODEL, lambda r: r.status_code == 400),
    "unknown_field_ignored": (_ok(colour="blue"), _succeeded),
    "auth_ignored": ({"body": OK_BODY, "key": None}, _succeeded),
    "store_accepted": (_ok(store=True), _succeeded),
    "previous_response_id_ignored": (_ok(previous_response_id="resp_0123"), _succeeded),
    "background_accepted": (_ok(background=True), _succeeded),
    "file_input_accepted": (_ok(**_media_input("input_file")), _succeeded),
    "audio_input_accepted": (_ok(**_media_input("input_audio")), _succeeded),
    "echo_tools_empty": (_ok(tools=[NOOP_TOOL]), lambda r: r.is_success and r.json()["tools"] == []),
}


def _broken_probes(http, server) -> set[str]:
    return broken_probes(FAULT_PROBES, lambda _name, request: send(http, server, **request))


STREAM_AREA = "streaming"


def test_fault_table_covers_every_fault():
    # Feature faults (tools, structured output, ...) have their table in test_reference_features.py,
    # chat / routing / model-endpoint faults theirs in test_reference_routing.py, request-field faults
    # theirs in test_reference_fields.py.
    assert set(FAULT_PROBES) == {name for name, fault in FAULTS.items() if fault.area != STREAM_AREA
                                 and fault.area not in FEATURE_AREAS | GATEWAY_AREAS | FIELD_AREAS | STATE_AREAS
                                 and name not in CONNECTION_FAULTS and name != DROP_TEMPLATE}
    for name, fault in FAULTS.items():
        assert fault.name == name and fault.rule and fault.area
        assert fault.description and "\n" not in fault.description


test_clean_gateway_breaks_no_probe, test_fault_breaks_only_its_own_probe = probe_tests(
    FAULT_PROBES, _broken_probes, BODY_READING_FAULTS)


def test_the_null_body_switch_breaks_its_probe(http):
    """It leaves no body for the other probes to read (BODY_FAULTS): its own probe, alone."""
    request, broken = FAULT_PROBES["response_body_null"]
    with ReferenceServer(faults=["response_body_null"]) as server:
        assert broken(send(http, server, **request))
    with ReferenceServer() as server:
        assert not broken(send(http, server, **request))


def test_unknown_fault_is_rejected_with_the_valid_names():
    with pytest.raises(ValueError, match="no_such_fault.*usage_missing"):
        validate_faults(["usage_missing", "no_such_fault"])
    with pytest.raises(ValueError):
        create_app(faults=["no_such_fault"])
    with pytest.raises(ValueError):
        ReferenceServer(faults=["no_such_fault"])
    assert validate_faults("usage_missing") == frozenset({"usage_missing"})


# --- server lifecycle --------------------------------------------------------------------------

def test_start_stop_twice_and_restart(http):
    sigint = signal.getsignal(signal.SIGINT)
    for _ in range(2):
        with ReferenceServer(api_keys=["k1", "k2"]) as running:
            url = running.base_url
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", url)
            assert send(http, running, OK_BODY, key="k2").status_code == 200
            assert send(http, running, OK_BODY).status_code == 401  # the default key is not among k1, k2
            assert signal.getsignal(signal.SIGINT) is sigint  # no handler that would break pytest
        with pytest.raises(httpx.TransportError):
            httpx.post(url + "/responses", json=OK_BODY, timeout=2)
    reused = ReferenceServer()
    for _ in range(2):
        reused.start()
        assert send(http, reused, OK_BODY).status_code == 200
        reused.stop()
    with pytest.raises(RuntimeError, match="not started"):
        reused.base_url


def test_start_from_a_non_main_thread():
    outcome = {}

    def run():
        try:
            with ReferenceServer() as running:
                resp = httpx.get(running.base_url + "/models", headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"})
                outcome["status"] = resp.status_code
        except Exception as exc:  # reported through the assert below
            outcome["error"] = repr(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert outcome == {"status": 200}


def test_busy_port_gives_a_clear_error(server):
    with pytest.raises(RuntimeError, match="cannot bind"):
        ReferenceServer(port=server.port).start()


# --- command line ------------------------------------------------------------------------------

def test_cli_faults_table(capsys):
    assert main(["faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "rule", "description"]
    assert len(lines) == 1 + len(FAULTS)
    for name, fault in FAULTS.items():
        assert any(line.split()[:2] == [name, fault.rule] for line in lines[1:])


def test_cli_faults_json(capsys):
    assert main(["faults", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["name"]: row["rule"] for row in rows} == {name: f.rule for name, f in FAULTS.items()}


def test_cli_unknown_fault_exits_2_with_valid_names(capsys):
    assert main(["serve", "--fault", "no_such_fault"]) == 2
    err = capsys.readouterr().err
    assert "no_such_fault" in err and all(name in err for name in FAULTS)


def test_cli_refuses_remote_host_and_missing_command(capsys):
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert main([]) == 2


def test_keepalive_fault_closes_only_a_connection_that_answered_an_error():
    """keepalive_closed_after_error: after an error answer, the next request on that connection gets no
    answer at all (the connection closes); a fresh connection is served, and so is a request after a success."""
    auth = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
    with ReferenceServer(faults=["keepalive_closed_after_error"]) as faulty, \
            httpx.Client(headers=auth, timeout=10, trust_env=False) as client:
        url = faulty.base_url + "/models"
        assert client.get(url).status_code == 200
        assert client.get(url).status_code == 200  # after a success the connection is kept
        assert client.get(url + "/no-such-model").status_code == 404
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            client.get(url)
        assert client.get(url).status_code == 200  # httpx opened a fresh connection
    with ReferenceServer() as clean, httpx.Client(headers=auth, timeout=10, trust_env=False) as client:
        assert client.get(clean.base_url + "/models/no-such-model").status_code == 404
        assert client.get(clean.base_url + "/models").status_code == 200


def test_drop_switches_are_validated_by_field_path():
    assert validate_faults(["drop:reasoning.effort", "usage_missing"]) == {"drop:reasoning.effort", "usage_missing"}
    for bad in ("drop:", "drop:a..b", "drop:.a", "drop:a b", DROP_TEMPLATE):
        with pytest.raises(ValueError, match="unknown fault"):
            validate_faults([bad])

