"""Real clients as a verdict: scripted answers handed to each Python SDK give
the verdict they should (ok, breaks, differs, not judged), legal variations
stay ok, the Node client is integrated through the module's interface (a
fake here), and whole runs of the suite against the reference gateway give
`ok` everywhere when it is clean, `breaks` exactly where a fault switch
breaks an SDK, and compat pass where a deviation breaks no client."""

from __future__ import annotations

import base64
import json
import sys
import types

import pytest

import respcheck.clients
from respcheck.clients import registry
from respcheck.clients.judge import ClientJudge
from respcheck.clients.python_auriko import AurikoPythonViews
from respcheck.clients.python_openai import OpenAIPythonViews
from respcheck.clients.reading import suite_reading
from respcheck.clients.replay import NotJudged, build_replay, operation_of, state_operation
from respcheck.clients.verdict import BREAKS, DIFFERS, NOT_JUDGED, OK, judge_view, worst
from respcheck.exchange.client import Exchange
from suite_runs import run_suite

PYTHON_VIEWS = {"openai-python": OpenAIPythonViews, "auriko-python": AurikoPythonViews}


def response_body(**over) -> dict:
    body = {"id": "resp_1", "object": "response", "created_at": 1, "model": "m", "status": "completed",
            "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                        "content": [{"type": "output_text", "text": "Hi", "annotations": []}]}],
            "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4}}
    body.update(over)
    return body


def chat_body(**over) -> dict:
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
    body.update(over)
    return body


def sse(*events: dict, done: bool = False) -> bytes:
    text = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return (text + ("data: [DONE]\n\n" if done else "")).encode()


def text_stream(*, added: bool = True, terminal: bool = True) -> bytes:
    final = response_body()
    item = final["output"][0]
    events = [{"type": "response.created", "response": {**final, "status": "in_progress", "output": []}}]
    if added:
        events.append({"type": "response.output_item.added", "output_index": 0,
                       "item": {**item, "status": "in_progress", "content": []}})
    events += [
        {"type": "response.content_part.added", "output_index": 0, "content_index": 0, "item_id": "msg_1",
         "part": {"type": "output_text", "text": "", "annotations": []}},
        {"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "item_id": "msg_1",
         "delta": "Hi", "logprobs": []},
        {"type": "response.output_text.done", "output_index": 0, "content_index": 0, "item_id": "msg_1",
         "text": "Hi", "logprobs": []},
        {"type": "response.content_part.done", "output_index": 0, "content_index": 0, "item_id": "msg_1",
         "part": {"type": "output_text", "text": "Hi", "annotations": []}},
        {"type": "response.output_item.done", "output_index": 0, "item": item}]
    if terminal:
        events.append({"type": "response.completed", "response": final})
    return sse(*[{**e, "sequence_number": n} for n, e in enumerate(events)])


def replay(operation: str, body, status: int = 200, content_type: str = "application/json",
           request: dict | None = None) -> dict:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if request is None:
        request = {"model": "m", "messages": [{"role": "user", "content": "x"}]} if operation.startswith("chat") \
            else {"model": "m", "input": "x"}
    return {"operation": operation, "request": request, "status": status, "headers": {"content-type": content_type},
            "body_b64": base64.b64encode(raw).decode()}


def verdict_of(client: str, scripted: dict, reading_body=None, stream_error: bool = False) -> tuple[str, str]:
    view = PYTHON_VIEWS[client]().view(scripted)
    body = reading_body
    if body is None and not isinstance(body, bytes):
        try:
            body = json.loads(base64.b64decode(scripted["body_b64"]))
        except ValueError:
            body = None
    return judge_view(view, scripted["status"], suite_reading(scripted["operation"], body, scripted["request"]),
                      stream_error)


CLIENTS = sorted(PYTHON_VIEWS)


# -- ok ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("scripted", [
    replay("responses.create", response_body()),
    # legal variations: fields the SDK does not know, an item type it does not know, no usage
    replay("responses.create", response_body(x_gateway_trace={"hop": 1}, service_tier="default")),
    replay("responses.create", response_body(output=response_body()["output"] + [
        {"type": "web_search_call", "id": "ws_1", "status": "completed"}])),
    replay("responses.create", response_body(usage=None)),
    replay("chat.completions.create", chat_body()),
    replay("chat.completions.create", chat_body(choices=[{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}}])),
    replay("models.list", {"object": "list", "data": [{"id": "a", "object": "model", "created": 1, "owned_by": "o"}]}),
], ids=["response", "unknown-fields", "unknown-item", "no-usage", "chat", "chat-tool-call", "models"])
def test_a_conforming_answer_is_ok(client, scripted):
    assert verdict_of(client, scripted) == (OK, "")


@pytest.mark.parametrize("client", CLIENTS)
def test_a_conforming_stream_is_ok(client):
    body = json.loads(base64.b64decode(replay("responses.create", response_body())["body_b64"]))
    assert verdict_of(client, replay("responses.stream", text_stream(), content_type="text/event-stream"),
                      reading_body=body)[0] == OK


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("status, body, content_type", [
    (400, {"error": {"type": "invalid_request_error", "code": "invalid_value", "message": "no", "param": "x"}},
     "application/json"),
    # strict-only deviations: a wrong code, a text body; the SDK still raises its API-status error
    (400, {"error": {"type": "invalid_request_error", "code": "400", "message": "no", "param": None}},
     "application/json"),
    (404, b"Not Found", "text/plain"),
], ids=["envelope", "wrong-code", "text-body"])
def test_an_error_answer_is_ok_when_the_sdk_raises_its_api_status_error(client, status, body, content_type):
    verdict, detail = verdict_of(client, replay("responses.create", body, status, content_type))
    assert verdict == OK and f"HTTP {status}" in detail


# -- breaks ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("client", CLIENTS)
def test_a_200_that_is_not_json_breaks(client):
    verdict, detail = verdict_of(client, replay("responses.create", b"<html>oops</html>", content_type="text/html"))
    assert verdict == BREAKS and detail.startswith("raised ")


@pytest.mark.parametrize("client", CLIENTS)
def test_a_stream_without_a_terminal_event_breaks(client):
    verdict, detail = verdict_of(client, replay("responses.stream", text_stream(terminal=False),
                                                content_type="text/event-stream"), reading_body={})
    assert verdict == BREAKS, detail


def test_a_stream_without_output_item_added_breaks_openai_python():
    verdict, detail = verdict_of("openai-python", replay("responses.stream", text_stream(added=False),
                                                         content_type="text/event-stream"), reading_body={})
    assert verdict == BREAKS
    assert "before receiving its output item" in detail


def test_message_content_as_a_string_breaks_openai_python():
    body = response_body(output=[{"type": "message", "id": "m", "role": "assistant", "status": "completed",
                                  "content": "Hi"}])
    verdict, detail = verdict_of("openai-python", replay("responses.create", body))
    assert verdict == BREAKS and "AttributeError" in detail


def test_a_stream_error_event_raised_as_the_sdks_api_error_is_ok():
    frames = sse({"type": "error", "code": "server_error", "message": "upstream failed", "sequence_number": 0})
    view = AurikoPythonViews().view(replay("responses.stream", frames, content_type="text/event-stream"))
    assert view["raised"]["api_error"]
    assert judge_view(view, 200, {}, stream_error=True)[0] == OK
    assert judge_view(view, 200, {}, stream_error=False)[0] == BREAKS  # no error event seen: a break


def test_a_stream_error_thrown_as_the_events_own_error_is_ok():
    """The npm SDK throws the error event's object itself (no class): its message is the event's."""
    view = {"raised": {"type": "Object", "message": "upstream failed", "status": None, "api_error": False,
                       "code": None}, "values": {}}
    assert judge_view(view, 200, {}, stream_error="upstream failed")[0] == OK
    assert judge_view(view, 200, {}, stream_error="something else")[0] == BREAKS


# -- differs -----------------------------------------------------------------------------------------------

def test_auriko_reading_a_wire_output_text_that_disagrees_with_the_items_differs():
    verdict, detail = verdict_of("auriko-python", replay("responses.create", response_body(output_text="Other")))
    assert verdict == DIFFERS
    assert detail == 'output_text: client "Other", suite "Hi"'


def test_auriko_dropping_an_item_it_cannot_type_differs():
    item = {"type": "message", "id": "m", "role": "assistant",  # no status: auriko cannot type the item
            "content": [{"type": "output_text", "text": "Hi", "annotations": []}]}
    verdict, detail = verdict_of("auriko-python", replay("responses.create", response_body(output=[item])))
    assert (verdict, detail) == (DIFFERS, 'output_text: client "", suite "Hi"')


@pytest.mark.parametrize("client", CLIENTS)
def test_an_accessor_that_disagrees_with_the_suite_differs(client):
    """The suite's reading of other bytes than the client's: every accessor is compared."""
    scripted = replay("responses.create", response_body())
    other = response_body(usage={"input_tokens": 3, "output_tokens": 1, "total_tokens": 5})
    verdict, detail = verdict_of(client, scripted, reading_body=other)
    assert verdict == DIFFERS and detail.startswith("usage: client ")


def test_structured_output_that_is_not_json_breaks_the_user_parsing_it():
    request = {"model": "m", "input": "x", "text": {"format": {"type": "json_schema", "name": "s", "schema": {}}}}
    scripted = replay("responses.create", response_body(), request=request)
    assert verdict_of("openai-python", scripted)[0] == BREAKS  # "Hi" is not JSON: json.loads raises
    good = response_body(output=[{**response_body()["output"][0], "content": [
        {"type": "output_text", "text": '{"a": 1}', "annotations": []}]}])
    assert verdict_of("openai-python", replay("responses.create", good, request=request)) == (OK, "")


# -- not judged, and the pieces ------------------------------------------------------------------------------

def test_a_stream_past_the_kept_bytes_is_not_judged_never_breaks():
    exchange = Exchange("POST", "http://x/v1/responses", {}, b'{"stream": true}', status=200, streamed=True,
                        stream_raw=b"event: x\n", stream_raw_clipped=True)
    with pytest.raises(NotJudged, match="larger than"):
        build_replay("responses.stream", exchange)
    from respcheck.exchange.sse import StreamEnd

    endless = Exchange("POST", "http://x/v1/responses", {}, b'{"stream": true}', status=200, streamed=True,
                       stream_raw=b"event: x\n", stream_end=StreamEnd("stream.too_long", "past 5 events"))
    with pytest.raises(NotJudged, match="the suite stopped reading the stream: past 5 events"):
        build_replay("responses.stream", endless)
    no_answer = Exchange("POST", "http://x/v1/responses", {}, None, error="could not connect")
    with pytest.raises(NotJudged, match="no answer"):
        build_replay("responses.create", no_answer)


def test_a_request_the_client_does_not_send_is_not_judged():
    with pytest.raises(NotJudged, match="does not send"):
        AurikoPythonViews().view(replay("responses.create", response_body(), request={"input": "x"}))  # no model


def test_operations_by_endpoint():
    assert operation_of("POST", "/responses", False) == "responses.create"
    assert operation_of("POST", "/responses", True) == "responses.stream"
    assert operation_of("POST", "/chat/completions", True) == "chat.completions.stream"
    assert operation_of("GET", "/models", False) == "models.list"
    assert operation_of("GET", "/models/abc", False) is None  # no client call: not judged
    assert operation_of("GET", "/responses/resp_1", False) == "responses.retrieve"
    assert operation_of("GET", "/responses/resp_1", True) is None  # a stored response replayed as a stream
    assert operation_of("DELETE", "/responses/resp_1", False) == "responses.delete"
    assert operation_of("POST", "/responses/resp_1/cancel", False) == "responses.cancel"
    assert operation_of("POST", "/responses/compact", False) == "responses.compact"  # not a response id
    assert operation_of("POST", "/responses/input_tokens", False) == "responses.input_tokens.count"
    assert operation_of("GET", "/conversations/conv_1/items", False) == "conversations.items.list"
    assert state_operation("POST", "/conversations/conv_1") == ("conversations.update",
                                                                {"conversation_id": "conv_1"})


def test_the_worst_step_is_the_cases_verdict():
    assert worst([OK, DIFFERS, OK]) == DIFFERS
    assert worst([OK, NOT_JUDGED]) == NOT_JUDGED
    assert worst([DIFFERS, BREAKS]) == BREAKS


# -- the Node client, through its module's interface ---------------------------------------------------------

class FakeNodeViews:
    """Stands for respcheck/clients/node.py's NodeViews: scripted views."""

    version = "9.9.9"

    def __init__(self, *args, **kwargs):
        self.closed = False

    def view(self, scripted: dict) -> dict:
        body = json.loads(base64.b64decode(scripted["body_b64"]) or b"null")
        if not isinstance(body, dict):
            return {"raised": {"type": "SyntaxError", "message": "Unexpected token", "status": None,
                               "api_error": False, "code": None}, "values": {}}
        return {"raised": None, "values": {"output_text": "Hi" if body.get("output") else "other"}}

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_node(monkeypatch):
    module = types.ModuleType("respcheck.clients.node")
    module.NAME, module.PINNED_VERSION, module.NodeViews = "openai-node", "9.9.9", FakeNodeViews
    module.unavailable_reason = lambda: None
    monkeypatch.setitem(sys.modules, "respcheck.clients.node", module)
    # `from . import node` takes the package's attribute first (set once the real module was imported)
    monkeypatch.setattr(respcheck.clients, "node", module, raising=False)
    return module


def test_auto_takes_node_when_it_can_run(fake_node):
    names, left_out = registry.select("auto")
    assert names == ("openai-python", "auriko-python", "openai-node") and left_out == ()


def test_without_node_one_line_says_the_node_client_was_not_run(fake_node):
    fake_node.unavailable_reason = lambda: "node not on PATH"
    names, left_out = registry.select("auto")
    assert "openai-node" not in names
    assert left_out == ("openai-node: not run (node not on PATH)",)
    with pytest.raises(registry.ClientsError, match=r"^--clients openai-node: not run \(node not on PATH\)$"):
        registry.select("openai-python,openai-node")


def test_clients_option_values():
    assert registry.select("none") == ((), ())
    assert registry.select(" openai-python ") == (("openai-python",), ())
    with pytest.raises(registry.ClientsError, match="unknown client 'openai-java'"):
        registry.select("openai-java")


def _step(exchange, path="/responses", streaming=False, name="only"):
    return types.SimpleNamespace(exchange=exchange, path=path, streaming=streaming, stream=None,
                                 step=types.SimpleNamespace(name=name))


def test_node_verdicts_come_from_the_same_comparison(fake_node):
    good = Exchange("POST", "http://x/v1/responses", {}, b'{"model": "m", "input": "x"}', status=200,
                    response_headers={"content-type": "application/json"},
                    body=json.dumps(response_body()).encode())
    empty = Exchange("POST", "http://x/v1/responses", {}, b'{"model": "m", "input": "x"}', status=200,
                     response_headers={"content-type": "application/json"},
                     body=json.dumps(response_body(output=[])).encode())
    broken = Exchange("POST", "http://x/v1/responses", {}, b'{"model": "m", "input": "x"}', status=200,
                      response_headers={"content-type": "application/json"}, body=b"null")
    judge = ClientJudge(("openai-node",))
    verdict = lambda *steps: judge.judge(types.SimpleNamespace(steps=list(steps)))["openai-node"]  # noqa: E731
    assert verdict(_step(good)) == {"verdict": OK, "detail": "", "version": "9.9.9"}
    assert verdict(_step(empty))["verdict"] == DIFFERS
    assert verdict(_step(empty))["detail"] == 'output_text: client "other", suite ""'
    two = verdict(_step(good, name="first"), _step(broken, name="second"))
    assert two["verdict"] == BREAKS and two["detail"] == "step second: raised SyntaxError: Unexpected token"
    judge.close()


# -- whole runs of the suite --------------------------------------------------------------------------------

CLIENT_ARGS = ("--clients", "openai-python,auriko-python")
# Cases with no step a client call matches (GET /models/{id}, the model directory).
NO_CLIENT_CALL = frozenset({"models.directory", "models.get_one", "models.get_unknown",
                            "models.responses_only_listed"})
_RUNS: dict = {}


def suite_run(pytester, repo, fault: str | None = None) -> dict:
    if fault not in _RUNS:
        args = CLIENT_ARGS + (("--reference-fault", fault) if fault else ())
        _RUNS[fault] = run_suite(pytester, repo, *args)
    return _RUNS[fault]


def _verdicts(outcomes: dict, client: str) -> dict:
    return {name: o.clients[client]["verdict"] for name, o in outcomes.items() if o.clients}


def test_clean_gateway_is_ok_for_every_case_and_every_client(pytester, repo):
    outcomes = suite_run(pytester, repo)
    ran = {name for name, o in outcomes.items() if o.outcome != "skipped"}
    assert ran and all(outcomes[name].clients for name in ran)
    for client in ("openai-python", "auriko-python"):
        verdicts = _verdicts(outcomes, client)
        assert set(verdicts.values()) == {OK, NOT_JUDGED}, client
        assert {n for n, v in verdicts.items() if v != OK} == (NO_CLIENT_CALL & ran) | _not_sent(outcomes, client)
        assert len(_not_sent(outcomes, client)) < 15  # requests without a model (gateway routing, error cases)


def _not_sent(outcomes: dict, client: str) -> set:
    """Cases whose request the SDK refuses to send (no model: routing by gateway.models, error cases)."""
    return {n for n, o in outcomes.items()
            if o.clients and o.clients[client]["detail"].startswith("the client does not send this request")}


@pytest.mark.parametrize("fault, clients, detail", [
    ("stream_item_added_missing", {"openai-python"}, "before receiving its output item"),
    ("stream_part_added_missing", {"openai-python"}, "IndexError: list index out of range"),
    ("stream_no_terminal", {"openai-python", "auriko-python"}, "response.completed"),
])
def test_a_fault_that_breaks_an_sdk_breaks_the_streamed_cases_it_touches_and_no_other(fault, clients, detail,
                                                                                       pytester, repo):
    outcomes = suite_run(pytester, repo, fault)
    # the cases that read a Responses stream, except the one whose stream ends in an error event
    touched = {name for name, o in outcomes.items() if o.streamed and o.endpoint == "POST /responses"}
    if fault == "stream_part_added_missing":
        # only streams with text deltas: a function call has no content part, and openai-python's accumulator
        # reads no refusal delta into a part (the npm SDK does, and breaks there too)
        touched = {n for n in touched if outcomes[n].outcome == "failed"} - {"streaming.refusal"}
    assert touched
    for client in ("openai-python", "auriko-python"):
        verdicts = _verdicts(outcomes, client)
        broken = {n for n, v in verdicts.items() if v == BREAKS}
        if client in clients:
            expected = touched - _not_sent(outcomes, client) - ({"streaming.error"} if client == "auriko-python"
                                                                 else set())
            assert broken == expected, client
            assert all(detail in outcomes[n].clients[client]["detail"] for n in broken if client == "openai-python")
        else:
            assert broken == set(), client
        assert {v for n, v in verdicts.items() if n not in broken} <= {OK, NOT_JUDGED}


def test_a_deviation_that_breaks_no_client_is_strict_only(pytester, repo):
    outcomes = suite_run(pytester, repo, "error_code_http_status")
    failed = {name for name, o in outcomes.items() if o.outcome == "failed"}
    assert failed and all("error.code_is_status" in outcomes[n].rules for n in failed)
    for name in failed:  # strict fail, compat pass
        assert {v["verdict"] for v in outcomes[name].clients.values()} <= {OK, NOT_JUDGED}, name


def test_fail_on_compat_fails_a_run_only_when_a_client_breaks(pytester, repo):
    args = ("-p", "no:cacheprovider", "-q", "--rootdir", str(repo), "-W", "ignore::pytest.PytestAssertRewriteWarning",
            "--clients", "openai-python", "--fail-on", "compat", "--report-dir", str(pytester.path / "r"))
    cases = str(repo / "cases" / "streaming" / "text.yaml"), str(repo / "cases" / "errors" / "validation.yaml")
    strict_only = pytester.runpytest_inprocess(*cases, *args, "--reference-fault", "error_code_http_status")
    assert strict_only.ret == 0
    assert "failed" in strict_only.stdout.str()
    results = json.loads((pytester.path / "r" / "results.json").read_text())
    assert results["clients"]["compat"]["fail"] == 0
    assert any(c["outcome"] == "failed" and c["compat"] == "pass" for c in results["cases"])
    breaking = pytester.runpytest_inprocess(*cases, *args, "--reference-fault", "stream_item_added_missing")
    assert breaking.ret == 1
    out = breaking.stdout.str()
    assert "compat:" in out and ": breaks openai-python: raised RuntimeError" in out
    matrix = (pytester.path / "r" / "matrix.md").read_text()
    assert "| Streaming | ✗" in matrix and "`openai-python`" in matrix


def test_clients_none_judges_nothing_and_fail_on_compat_then_says_so(pytester, repo):
    case = str(repo / "cases" / "streaming" / "text.yaml")
    base = ("-p", "no:cacheprovider", "-q", "--rootdir", str(repo), "--report-dir", "")
    outcomes = run_suite(pytester, repo, "--clients", "none", paths=("cases/streaming/text.yaml",))
    assert outcomes and all(o.clients is None for o in outcomes.values())
    result = pytester.runpytest_inprocess(case, *base, "--clients", "none", "--fail-on", "compat")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--fail-on compat" in result.stderr.str() and "Traceback" not in result.stderr.str()
    result = pytester.runpytest_inprocess(case, *base, "--clients", "openai-jvm")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown client 'openai-jvm'" in result.stderr.str()


# -- reports, from a results document ------------------------------------------------------------------------

def _doc(*cases) -> dict:
    return {"cases": [{"name": n, "feature": "Streaming", "area": "streaming", "outcome": o,
                       "failures": [{"rule": r, "message": "m"}] if r else [],
                       "clients": {"openai-python": {"verdict": v, "detail": d, "version": "3"}},
                       "compat": "fail" if v in ("breaks", "differs") else "pass"} for n, o, r, v, d in cases]}


def test_reports_say_strict_and_compat_and_which_causes_break_clients():
    from respcheck.report import compat
    from respcheck.report.diff import diff_runs, render_markdown
    from respcheck.report.rootcause import root_causes

    current = _doc(("a", "failed", "stream.item_order", BREAKS, "raised RuntimeError: x"),
                   ("b", "failed", "error.code", OK, ""), ("c", "passed", None, OK, ""))
    assert compat.summarize(current) == {"by_client": {"openai-python": {
        "version": "3", "ok": 2, "breaks": 1, "differs": 0, "not judged": 0}}, "compat": {"pass": 2, "fail": 1}}
    assert compat.feature_rows(current) == [{"feature": "Streaming", "cases": 3, "strict_failed": 2,
                                             "compat_failed": 1, "clients": ["openai-python"]}]
    lines = compat.summary_lines(current)
    assert lines[0] == "strict: 1 of 3 judged cases pass; compat: 2 of 3 pass (no real client breaks)"
    assert "  a: breaks openai-python: raised RuntimeError: x" in lines
    causes = {c["rule"]: c for c in root_causes(current)}
    assert causes["stream.item_order"]["breaks_clients"] == ["openai-python"]
    assert "breaks_clients" not in causes["error.code"]  # strict-only
    baseline = _doc(("a", "passed", None, OK, ""), ("b", "passed", None, OK, ""), ("c", "passed", None, OK, ""))
    diff = diff_runs(baseline, current)
    assert diff.newly_breaking == [("a", "openai-python", "breaks: raised RuntimeError: x")]
    assert "### Newly breaking a real client (1)" in render_markdown(diff)


def test_without_the_clients_extra_auto_judges_nothing_and_says_so(monkeypatch, fake_node):
    from respcheck.clients import python_auriko, python_openai

    monkeypatch.setattr(python_openai, "installed", lambda: False)
    monkeypatch.setattr(python_auriko, "installed", lambda: False)
    fake_node.unavailable_reason = lambda: "node not on PATH"
    names, left_out = registry.select("auto")
    assert names == ()
    assert left_out == ("openai-python: not installed (the openai package; pip install 'respcheck[clients]')",
                        "auriko-python: not installed (the auriko package; pip install 'respcheck[clients]')",
                        "openai-node: not run (node not on PATH)")


# -- which clients a profile's users use --------------------------------------------------------------------
def test_a_profile_narrows_auto_to_the_clients_its_users_use(fake_node):
    names, left_out = registry.select("auto", ("openai-python", "openai-node"), "reference-stateful")
    assert names == ("openai-python", "openai-node")
    assert left_out == ("auriko-python: not judged (profile reference-stateful lists the clients its users use: "
                        "openai-python, openai-node)",)
    # a client named on the command line is judged whatever the profile lists
    assert registry.select("auriko-python", ("openai-python",), "p") == (("auriko-python",), ())


def test_the_auriko_sdk_cannot_read_a_queued_background_response():
    """Why reference-stateful leaves auriko-python out: its Response.status knows no `queued`."""
    queued = replay("responses.create", response_body(status="queued", output=[], usage=None),
                    request={"model": "m", "input": "x", "background": True})
    assert verdict_of("auriko-python", queued)[0] == BREAKS
    assert verdict_of("openai-python", queued)[0] == OK


def test_the_clean_stateful_gateway_is_ok_for_the_clients_its_profile_lists(pytester, repo):
    outcomes = run_suite(pytester, repo, "--profile", "reference-stateful", "--clients", "auto")
    judged = {name: o.clients for name, o in outcomes.items() if o.clients}
    assert any(name.startswith("state.") for name in judged)
    for name, clients in judged.items():
        assert "auriko-python" not in clients, name
        assert {v["verdict"] for v in clients.values()} <= {OK, NOT_JUDGED}, (name, clients)
    # the stored-state calls are judged, not passed over
    for name in ("state.input_items.pages", "state.conversations.lifecycle", "state.delete",
                 "state.cancel.background", "state.compact.carries_context", "state.input_tokens.count"):
        assert judged[name]["openai-python"]["verdict"] == OK, name


# -- the Node client in whole runs (the real npm SDK; skipped without node) ---------------------------------
def _node_or_skip():
    reason = registry.unavailable("openai-node")
    if reason is not None:
        pytest.skip(f"openai-node {reason}")


@pytest.mark.parametrize("fault, verdict, detail", [
    (None, OK, ""),
    ("stream_item_added_missing", BREAKS, "missing output at index"),
    ("stream_part_added_missing", BREAKS, "missing content at index"),
    ("object_wrong", DIFFERS, "output_text"),
])
def test_the_node_client_in_a_whole_run(fault, verdict, detail, pytester, repo):
    _node_or_skip()
    args = ("--clients", "openai-node") + (("--reference-fault", fault) if fault else ())
    outcomes = run_suite(pytester, repo, *args)
    verdicts = _verdicts(outcomes, "openai-node")
    assert verdicts
    hit = {n for n, v in verdicts.items() if v == verdict}
    if fault is None:
        assert set(verdicts.values()) <= {OK, NOT_JUDGED} and hit
        return
    # object "chat.completion": the npm SDK computes no output_text (differs), so a user parsing it breaks
    allowed = {verdict, OK, NOT_JUDGED} | ({BREAKS} if verdict == DIFFERS else set())
    assert hit and set(verdicts.values()) <= allowed
    assert all(detail in outcomes[n].clients["openai-node"]["detail"] for n in hit)
    if fault == "stream_item_added_missing":  # exactly the Responses streams it touches
        assert hit == {n for n, o in outcomes.items() if o.streamed and o.endpoint == "POST /responses"
                       and o.clients and o.clients["openai-node"]["verdict"] != NOT_JUDGED}



# -- the stored-state calls (every client that has them) -----------------------------------------------------
def _state_replay(operation: str, body, params: dict, query: dict | None = None, request=None, status=200) -> dict:
    scripted = replay(operation, body, status=status, request=request)
    scripted["request"] = request
    scripted.update(params=params, query=query or {})
    return scripted


PAGE = {"object": "list", "data": [{"type": "message", "id": "msg_1", "role": "user", "status": "completed",
                                    "content": [{"type": "input_text", "text": "x"}]}],
        "first_id": "msg_1", "last_id": "msg_1", "has_more": True}
STATE_REPLAYS = {
    "retrieve": _state_replay("responses.retrieve", response_body(), {"response_id": "resp_1"},
                              {"include": "message.output_text.logprobs"}),
    "input_items": _state_replay("responses.input_items.list", PAGE, {"response_id": "resp_1"},
                                 {"limit": 1, "order": "asc"}),
    "delete": _state_replay("responses.delete", {"id": "resp_1", "object": "response.deleted", "deleted": True},
                            {"response_id": "resp_1"}),
    "conversation": _state_replay("conversations.retrieve",
                                  {"id": "conv_1", "object": "conversation", "created_at": 1, "metadata": {"a": "b"}},
                                  {"conversation_id": "conv_1"}),
    "gone": _state_replay("responses.retrieve",
                          {"error": {"message": "gone", "type": "invalid_request_error", "param": None,
                                     "code": None}}, {"response_id": "resp_1"}, status=404),
}


def _node_views():
    reason = registry.unavailable("openai-node")
    if reason is not None:
        pytest.skip(f"openai-node {reason}")
    return registry.make_views("openai-node")


@pytest.fixture(scope="module")
def node_views():
    views = _node_views()
    yield views
    views.close()


def _state_verdict(views, scripted) -> tuple[str, str]:
    body = json.loads(base64.b64decode(scripted["body_b64"]))
    return judge_view(views.view(scripted), scripted["status"],
                      suite_reading(scripted["operation"], body, scripted["request"]))


@pytest.mark.parametrize("name", sorted(STATE_REPLAYS))
def test_the_stored_state_calls_are_ok_on_a_conforming_answer(name, node_views):
    for views in (OpenAIPythonViews(), node_views):
        assert _state_verdict(views, STATE_REPLAYS[name])[0] == OK, (name, views)


def test_a_page_is_compared_item_by_item(node_views):
    """A page's view is its item ids and has_more, as a user reads them (no auto-paging), not only that
    the call returned: an item the SDKs cannot type (no `type`) still reaches the user, and a page whose
    ids the suite read otherwise differs."""
    page = {**PAGE, "data": [{"id": "msg_1"}]}
    scripted = _state_replay("responses.input_items.list", page, {"response_id": "resp_1"})
    for views in (OpenAIPythonViews(), node_views):
        view = views.view(scripted)
        assert view["values"] == {"item_ids": ["msg_1"], "has_more": True}, views
        assert judge_view(view, 200, {"item_ids": ["msg_2"], "has_more": True})[0] == DIFFERS


def test_a_stored_response_the_sdk_cannot_read_breaks():
    scripted = _state_replay("responses.retrieve", b"not json", {"response_id": "resp_1"})
    assert judge_view(OpenAIPythonViews().view(scripted), 200, {})[0] == BREAKS


def test_the_auriko_sdk_has_no_stored_state_calls():
    with pytest.raises(NotJudged, match="the auriko SDK has no call for responses.retrieve"):
        AurikoPythonViews().view(STATE_REPLAYS["retrieve"])


def test_the_environment_names_the_clients_and_the_option_wins(pytester, repo, monkeypatch):
    one_case = (str(repo / "cases" / "responses" / "text.yaml"), "-k", "string_input", "--rootdir", str(repo),
                "-p", "no:cacheprovider", "--report-dir", "")
    monkeypatch.setenv("RESPCHECK_CLIENTS", "openai-python")
    pytester.runpytest_inprocess(*one_case).stdout.fnmatch_lines(["respcheck: client verdicts: openai-python"])
    pytester.runpytest_inprocess(*one_case, "--clients", "none").stdout.fnmatch_lines(
        ["respcheck: client verdicts: none"])
    monkeypatch.setenv("RESPCHECK_CLIENTS", "openai-java")
    pytester.runpytest_inprocess(*one_case).stderr.fnmatch_lines(["*unknown client 'openai-java'*"])
