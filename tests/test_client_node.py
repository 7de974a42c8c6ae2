"""The openai npm SDK as a client (respcheck/clients/node.py and node_driver.mjs).

Each test replays a hand-built answer into the real SDK and checks what its
view says: the values its accessors give, or what it raised. The SDK is
installed once per session into the default cache (RESPCHECK_NODE_CACHE picks
another folder); without node or npm these tests skip with the reason.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import pytest

from respcheck.clients import node
from respcheck.clients.node import NodeViews, replay_of

JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream"}


@pytest.fixture(scope="session")
def views():
    reason = node.unavailable_reason()
    if reason:
        pytest.skip(f"openai-node cannot run here: {reason}")
    client = NodeViews()
    try:
        node.ensure_installed(client.cache_dir)
    except RuntimeError as exc:
        pytest.skip(str(exc))
    yield client
    client.close()


@pytest.fixture
def hooked(views, monkeypatch):
    """A driver of its own that obeys the test hooks (test.hang, test.exit), with a short timeout."""
    monkeypatch.setenv(node.HOOKS_ENV, "1")
    client = NodeViews(cache_dir=views.cache_dir, timeout=10.0)
    yield client
    client.close()


# --- answers built by hand ---------------------------------------------------

def frame(kind: str, **fields) -> str:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **fields})}\n\n"


def text_response(text: str = "Hello world", status: str = "completed", usage: bool = True) -> dict:
    body = {"id": "resp_1", "object": "response", "created_at": 1, "model": "ref-text-1", "status": status,
            "output": [{"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
                        "content": [{"type": "output_text", "text": text, "annotations": []}]}]}
    if usage:
        body["usage"] = {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}
    return body


def text_stream(deltas=("Hello", " world"), drop: tuple[str, ...] = ()) -> bytes:
    """The events of a one-message text answer, less the kinds named in drop."""
    text = "".join(deltas)
    started = {**text_response(status="in_progress", usage=False), "output": []}
    item = {"id": "msg_1", "type": "message", "role": "assistant", "status": "in_progress", "content": []}
    part = {"type": "output_text", "text": "", "annotations": []}
    at = {"output_index": 0, "content_index": 0, "item_id": "msg_1"}
    frames = [("response.created", {"response": started}), ("response.in_progress", {"response": started}),
              ("response.output_item.added", {"output_index": 0, "item": item}),
              ("response.content_part.added", {**at, "part": part})]
    frames += [("response.output_text.delta", {**at, "delta": delta}) for delta in deltas]
    frames += [("response.output_text.done", {**at, "text": text}),
               ("response.content_part.done", {**at, "part": {**part, "text": text}}),
               ("response.output_item.done", {"output_index": 0, "item": text_response(text)["output"][0]}),
               ("response.completed", {"response": text_response(text)})]
    kept = [(kind, fields) for kind, fields in frames if kind not in drop]
    return "".join(frame(kind, sequence_number=n, **fields) for n, (kind, fields) in enumerate(kept)).encode()


def chunk(delta: dict | None, finish: str | None = None, usage: dict | None = None) -> str:
    body = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "ref-text-1",
            "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage:
        body["usage"] = usage
    return f"data: {json.dumps(body)}\n\n"


REQUEST = {"model": "ref-text-1", "input": "Say hello"}
CHAT_REQUEST = {"model": "ref-text-1", "messages": [{"role": "user", "content": "Say hello"}]}
CHAT_USAGE = {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}


def responses(views, body: bytes | dict, operation="responses.create", status=200, headers=JSON, request=REQUEST):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return views.view(replay_of(operation, request, status, headers, raw))


# --- responses ---------------------------------------------------------------

def test_a_well_formed_response_gives_its_values(views):
    view = responses(views, text_response())
    assert view == {"raised": None, "values": {
        "id": "resp_1", "status": "completed", "output_text": "Hello world", "function_calls": [],
        "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}, "parsed": None}}


def test_a_stream_is_rebuilt_by_the_sdk(views):
    view = responses(views, text_stream(("Hel", "lo", " world")), "responses.stream", headers=SSE)
    assert view["raised"] is None
    assert view["values"]["output_text"] == "Hello world"
    assert view["values"]["status"] == "completed"
    assert view["values"]["usage"] == {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}


def test_a_long_stream_is_read_across_body_chunks(views):
    """Over 16 KiB the body reaches the SDK in several pieces, cutting events in two."""
    deltas = tuple(f"word{n} " for n in range(2000))
    body = text_stream(deltas)
    assert len(body) > 10 * 16 * 1024
    view = responses(views, body, "responses.stream", headers=SSE)
    assert view["raised"] is None
    assert view["values"]["output_text"] == "".join(deltas)


def test_a_stream_without_output_item_added_breaks_the_sdk(views):
    view = responses(views, text_stream(drop=("response.output_item.added",)), "responses.stream", headers=SSE)
    assert view["raised"] == {"type": "OpenAIError", "message": "missing output at index 0", "status": None,
                              "api_error": False, "code": None}
    assert view["values"] == {}


def test_a_stream_without_content_part_added_breaks_the_sdk(views):
    view = responses(views, text_stream(drop=("response.content_part.added",)), "responses.stream", headers=SSE)
    assert view["raised"]["type"] == "OpenAIError"
    assert view["raised"]["message"] == "missing content at index 0"


def test_a_stream_without_its_terminal_event_is_not_raised_by_the_node_sdk(views):
    """Unlike openai-python, the npm SDK's finalResponse() hands back the snapshot
    it has when the stream ends early: the response still in_progress, no usage."""
    view = responses(views, text_stream(drop=("response.completed",)), "responses.stream", headers=SSE)
    assert view["raised"] is None
    assert view["values"]["status"] == "in_progress"
    assert view["values"]["usage"] is None
    assert view["values"]["output_text"] == "Hello world"


def test_a_stream_without_any_event_breaks_the_sdk(views):
    for body in (b"", b"data: [DONE]\n\n"):
        view = responses(views, body, "responses.stream", headers=SSE)
        assert view["raised"]["type"] == "OpenAIError", body
        assert view["raised"]["message"] == "request ended without sending any events"


def test_an_error_event_rejects_with_the_event_itself(views):
    """The SDK rejects finalResponse() with the error event's object, not an Error."""
    body = text_stream(drop=("response.completed",)) + frame("error", code="server_error", message="boom").encode()
    view = responses(views, body, "responses.stream", headers=SSE)
    assert view["raised"] == {"type": "Object", "message": "boom", "status": None, "api_error": False,
                              "code": None}


def test_an_http_error_is_the_sdks_status_error(views):
    error = {"error": {"message": "The model does not exist", "type": "invalid_request_error",
                       "param": "model", "code": "model_not_found"}}
    view = responses(views, error, status=400)
    assert view["raised"] == {"type": "BadRequestError", "message": "400 The model does not exist",
                              "status": 400, "api_error": True, "code": "model_not_found"}
    view = responses(views, b"upstream fell over", status=503, headers={"content-type": "text/plain"})
    assert view["raised"]["type"] == "InternalServerError"
    assert view["raised"]["status"] == 503 and view["raised"]["api_error"] is True
    assert view["raised"]["code"] is None


def test_an_error_on_a_stream_call_is_raised_before_any_event(views):
    error = {"error": {"message": "Rate limited", "type": "rate_limit_error", "code": "rate_limit_exceeded"}}
    view = responses(views, error, "responses.stream", status=429)
    assert view["raised"]["type"] == "RateLimitError"
    assert (view["raised"]["status"], view["raised"]["code"]) == (429, "rate_limit_exceeded")


def test_a_200_whose_body_is_not_a_response(views):
    """What the SDK does with a 200 that holds no Response object."""
    null = responses(views, b"null")
    assert null["raised"]["type"] == "TypeError"
    assert null["raised"]["message"] == "Cannot use 'in' operator to search for 'object' in null"
    assert null["raised"]["api_error"] is False
    broken = responses(views, b"{not json")
    assert broken["raised"]["type"] == "SyntaxError"
    assert "JSON" in broken["raised"]["message"]
    text = responses(views, b"hello", headers={"content-type": "text/plain"})
    assert text["raised"]["type"] == "TypeError"
    empty = responses(views, b"", status=204)
    assert empty["raised"]["type"] == "TypeError"


def test_a_response_without_object_gets_no_output_text(views):
    """The SDK adds output_text only to a body whose object is "response"."""
    body = {key: value for key, value in text_response().items() if key != "object"}
    view = responses(views, body)
    assert view["raised"] is None
    assert view["values"]["output_text"] is None
    assert view["values"]["id"] == "resp_1"


def test_a_function_call_is_read_from_its_output_item(views):
    call = {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "get_weather",
            "arguments": '{"city": "Paris"}', "status": "completed"}
    body = {**text_response(), "output": [call]}
    view = responses(views, body)
    assert view["raised"] is None
    assert view["values"]["function_calls"] == [{"name": "get_weather", "arguments": '{"city": "Paris"}',
                                                 "call_id": "call_1"}]
    assert view["values"]["output_text"] == ""


def test_a_streamed_function_call_joins_its_argument_deltas(views):
    started = {**text_response(status="in_progress", usage=False), "output": []}
    call = {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": ""}
    done = {**call, "arguments": '{"city":"Paris"}', "status": "completed"}
    at = {"output_index": 0, "item_id": "fc_1"}
    body = "".join([
        frame("response.created", response=started, sequence_number=0),
        frame("response.output_item.added", output_index=0, item=call, sequence_number=1),
        frame("response.function_call_arguments.delta", **at, delta='{"city":', sequence_number=2),
        frame("response.function_call_arguments.delta", **at, delta='"Paris"}', sequence_number=3),
        frame("response.function_call_arguments.done", **at, arguments='{"city":"Paris"}', sequence_number=4),
        frame("response.output_item.done", output_index=0, item=done, sequence_number=5),
        frame("response.completed", response={**text_response(), "output": [done]}, sequence_number=6)]).encode()
    view = responses(views, body, "responses.stream", headers=SSE)
    assert view["raised"] is None
    assert view["values"]["function_calls"] == [{"name": "get_weather", "arguments": '{"city":"Paris"}',
                                                 "call_id": "call_1"}]


STRUCTURED = {**REQUEST, "text": {"format": {"type": "json_schema", "name": "answer", "strict": True,
                                             "schema": {"type": "object", "properties": {"a": {"type": "integer"}},
                                                        "required": ["a"], "additionalProperties": False}}}}


def test_structured_output_is_parsed_from_output_text(views):
    view = responses(views, text_response('{"a": 1}'), request=STRUCTURED)
    assert view["values"]["parsed"] == {"a": 1}
    assert "parse_error" not in view["values"]
    streamed = responses(views, text_stream(('{"a":', " 2}")), "responses.stream", headers=SSE, request=STRUCTURED)
    assert streamed["raised"] is None
    assert streamed["values"]["parsed"] == {"a": 2}


def test_structured_output_that_does_not_parse_says_why(views):
    view = responses(views, text_response("not json at all"), request=STRUCTURED)
    assert view["raised"] is None
    assert view["values"]["parsed"] is None
    assert view["values"]["parse_error"].startswith("SyntaxError: ")


def test_plain_text_requests_are_not_parsed(views):
    """Legal: a JSON-looking answer to a request that asked for no JSON stays text."""
    view = responses(views, text_response('{"a": 1}'))
    assert view["values"]["parsed"] is None
    assert "parse_error" not in view["values"]


# --- chat completions and models ---------------------------------------------

def test_a_chat_completion(views):
    body = {"id": "chatcmpl-2", "object": "chat.completion", "created": 1, "model": "ref-text-1",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "Hello"}}], "usage": CHAT_USAGE}
    view = views.view(replay_of("chat.completions.create", CHAT_REQUEST, 200, JSON, json.dumps(body).encode()))
    assert view == {"raised": None, "values": {"id": "chatcmpl-2", "chat_content": "Hello", "chat_tool_calls": [],
                                               "chat_usage": CHAT_USAGE, "finish_reason": "stop", "parsed": None}}


def test_a_chat_stream_with_usage(views):
    body = (chunk({"role": "assistant", "content": ""}) + chunk({"content": "Hel"}) + chunk({"content": "lo"})
            + chunk({}, "stop") + chunk(None, usage=CHAT_USAGE) + "data: [DONE]\n\n").encode()
    view = views.view(replay_of("chat.completions.stream", CHAT_REQUEST, 200, SSE, body))
    assert view["raised"] is None
    assert view["values"]["chat_content"] == "Hello"
    assert view["values"]["chat_usage"] == CHAT_USAGE
    assert view["values"]["finish_reason"] == "stop"


def test_a_chat_stream_tool_call(views):
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
    body = (chunk({"role": "assistant", "tool_calls": [call]})
            + chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]})
            + chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]})
            + chunk({}, "tool_calls") + "data: [DONE]\n\n").encode()
    view = views.view(replay_of("chat.completions.stream", CHAT_REQUEST, 200, SSE, body))
    assert view["raised"] is None
    assert view["values"]["chat_tool_calls"] == [{"name": "get_weather", "arguments": '{"city":"Paris"}',
                                                  "id": "call_1"}]
    assert view["values"]["finish_reason"] == "tool_calls"
    assert view["values"]["chat_usage"] is None


def test_a_chat_stream_without_finish_reason_breaks_the_sdk(views):
    body = (chunk({"role": "assistant", "content": "Hello"}) + "data: [DONE]\n\n").encode()
    view = views.view(replay_of("chat.completions.stream", CHAT_REQUEST, 200, SSE, body))
    assert view["raised"]["type"] == "OpenAIError"
    assert view["raised"]["message"] == "missing finish_reason for choice 0"


def test_models_list_is_iterated(views):
    body = {"object": "list", "data": [{"id": "ref-text-1", "object": "model", "created": 1, "owned_by": "x"},
                                       {"id": "ref-vision-1", "object": "model", "created": 1, "owned_by": "x"}]}
    view = views.view(replay_of("models.list", None, 200, JSON, json.dumps(body).encode()))
    assert view == {"raised": None, "values": {"model_ids": ["ref-text-1", "ref-vision-1"]}}


# --- bounds and robustness ---------------------------------------------------

def test_a_huge_error_message_is_one_bounded_line(views):
    error = {"error": {"message": "line one\nline two " + "x" * 20000, "type": "invalid_request_error"}}
    view = responses(views, error, status=400)
    message = view["raised"]["message"]
    assert "\n" not in message and message.startswith("400 line one line two x")
    assert len(message) <= 501


def test_a_view_too_large_is_refused(views):
    ids = [{"id": f"model-{n:08d}-" + "m" * 100, "object": "model"} for n in range(80000)]
    view = views.view(replay_of("models.list", None, 200, JSON, json.dumps({"object": "list", "data": ids}).encode()))
    assert view["raised"]["type"] == "DriverError"
    assert view["raised"]["message"].startswith("view too large (")
    assert views.view(replay_of("models.list", None, 200, JSON, b'{"data": []}'))["values"] == {"model_ids": []}


def test_malformed_replays_are_driver_errors_and_the_driver_survives(views):
    views.view(replay_of("models.list", None, 200, JSON, b'{"data": []}'))
    pid = views._child.proc.pid
    garbage = views._view_raw(b"this is not json")
    assert garbage["raised"]["type"] == "DriverError"
    assert garbage["raised"]["message"].startswith("the line is not JSON")
    assert views._view_raw(b"[1, 2]")["raised"]["message"] == "a replay is a JSON object"
    assert views.view({"operation": "files.create", "body_b64": ""})["raised"]["message"] == \
        'unknown operation "files.create"'
    assert views.view({"operation": "models.list", "status": 200})["raised"]["message"] == "body_b64 is not a string"
    assert views.view({**replay_of("responses.create", REQUEST, 200, JSON, b"{}"), "request": [1]})["raised"][
        "message"] == "request is neither an object nor null"
    assert views.view(replay_of("responses.create", REQUEST, 99, JSON, b"{}"))["raised"]["type"] == "DriverError"
    assert views.view({"operation": "models.list", "body_b64": b"bytes"})["raised"]["message"].startswith(
        "the replay is not JSON")
    assert views._child.proc.pid == pid
    assert responses(views, text_response())["raised"] is None


def test_a_hanging_replay_times_out_and_the_driver_restarts(hooked):
    assert hooked.view(replay_of("models.list", None, 200, JSON, b'{"data": []}'))["raised"] is None
    pid = hooked._child.proc.pid
    started = time.monotonic()
    view = hooked.view({"operation": "test.hang"})
    assert time.monotonic() - started < 60
    assert view["raised"]["type"] == "Timeout"
    assert "within 10 s" in view["raised"]["message"]
    assert hooked._child is None
    after = hooked.view(replay_of("models.list", None, 200, JSON, b'{"data": [{"id": "m"}]}'))
    assert after == {"raised": None, "values": {"model_ids": ["m"]}}
    assert hooked._child.proc.pid != pid


def test_a_driver_that_dies_is_reported_and_restarted(hooked):
    view = hooked.view({"operation": "test.exit"})
    assert view["raised"]["type"] == "DriverError"
    assert view["raised"]["message"].startswith("node driver exited (code 3)")
    assert hooked.view(replay_of("models.list", None, 200, JSON, b'{"data": []}'))["raised"] is None


def test_hooks_are_off_unless_asked_for(views):
    assert views.view({"operation": "test.hang", "body_b64": ""})["raised"]["message"] == \
        'unknown operation "test.hang"'


def test_views_from_many_threads_match_their_replays(views):
    answers: dict[tuple[int, int], dict] = {}

    def work(thread: int) -> None:
        for n in range(15):
            body = json.dumps({"data": [{"id": f"t{thread}-{n}"}]}).encode()
            answers[thread, n] = views.view(replay_of("models.list", None, 200, JSON, body))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 90
    for (thread, n), view in answers.items():
        assert view == {"raised": None, "values": {"model_ids": [f"t{thread}-{n}"]}}


def test_the_loaded_version_is_the_pinned_one(views):
    views.view(replay_of("models.list", None, 200, JSON, b'{"data": []}'))
    assert views.version == node.PINNED_VERSION
    assert node.installed_version(views.cache_dir) == node.PINNED_VERSION


# --- availability and installing (no node and no network needed) -------------

def fake_npm(script: str):
    """An _npm_argv that runs a Python script (given the staging folder as argv[1]) in npm's place."""
    return lambda prefix: [sys.executable, "-c", script, str(prefix)]


WRITES_PACKAGE = (
    "import json, pathlib, sys\n"
    "pkg = pathlib.Path(sys.argv[1], 'node_modules', 'openai')\n"
    "pkg.mkdir(parents=True)\n"
    f"(pkg / 'package.json').write_text(json.dumps({{'name': 'openai', 'version': {node.PINNED_VERSION!r}}}))\n")


def test_without_node_one_line_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(node, "_install_failure", None)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert node.unavailable_reason() == "node not on PATH"


def test_a_failed_install_is_one_clear_error_and_is_not_retried(monkeypatch, tmp_path):
    monkeypatch.setattr(node, "_install_failure", None)
    runs = tmp_path / "runs"
    monkeypatch.setattr(node, "_npm_argv", fake_npm(
        f"import sys; open({str(runs)!r}, 'a').write('x'); "
        "print('npm error code E404', file=sys.stderr); print('npm error 404 Not Found', file=sys.stderr); "
        "sys.exit(1)"))
    client = NodeViews(cache_dir=tmp_path / "cache")
    message = "openai-node: npm install failed: npm error code E404 / npm error 404 Not Found"
    with pytest.raises(RuntimeError) as first:
        client.view(replay_of("models.list", None, 200, JSON, b"{}"))
    assert str(first.value) == message
    with pytest.raises(RuntimeError) as second:
        client.view(replay_of("models.list", None, 200, JSON, b"{}"))
    assert str(second.value) == message
    assert runs.read_text() == "x"
    assert node.unavailable_reason() == "npm install failed: npm error code E404 / npm error 404 Not Found"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]   # no staging folder left behind


def test_install_renames_into_place(monkeypatch, tmp_path):
    monkeypatch.setattr(node, "_npm_argv", fake_npm(WRITES_PACKAGE))
    target = tmp_path / "cache"
    assert node.ensure_installed(target) == node.PINNED_VERSION
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert node.ensure_installed(empty) == node.PINNED_VERSION


def test_a_second_install_leaves_the_first_in_place(monkeypatch, tmp_path):
    """Two processes install at once: the one that renames second keeps the first's copy."""
    monkeypatch.setattr(node, "_npm_argv", fake_npm(WRITES_PACKAGE))
    target = tmp_path / "cache"
    node.ensure_installed(target)
    marker = target / "node_modules" / "openai" / "first"
    marker.write_text("")
    node._install(target)    # as if it had not seen the first one in time
    assert marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]


def test_a_folder_of_the_users_gets_node_modules_only(monkeypatch, tmp_path):
    monkeypatch.setattr(node, "_npm_argv", fake_npm(WRITES_PACKAGE))
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert node.ensure_installed(target) == node.PINNED_VERSION
    assert (target / "notes.txt").read_text() == "mine"


def test_another_version_in_the_cache_is_refused(tmp_path):
    pkg = tmp_path / "node_modules" / "openai"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text('{"name": "openai", "version": "1.0.0"}')
    with pytest.raises(RuntimeError, match=r"holds openai 1\.0\.0, not the pinned"):
        node.ensure_installed(tmp_path)


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("RESPCHECK_NODE_CACHE", raising=False)
    monkeypatch.setenv("RESPCHECK_CACHE", str(tmp_path))
    assert node.default_cache_dir() == tmp_path / f"node-openai-{node.PINNED_VERSION}"
    monkeypatch.setenv("RESPCHECK_NODE_CACHE", str(tmp_path / "here"))
    assert node.default_cache_dir() == tmp_path / "here"


def test_the_driver_ships_with_the_package(repo):
    import tomllib

    setuptools = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "respcheck.clients" in setuptools["packages"]
    assert setuptools["package-data"]["respcheck.clients"] == ["node_driver.mjs"]
    assert node.DRIVER.is_file()


# --- the embedded reference gateway's own answers ----------------------------

WEATHER = {"type": "function", "name": "get_weather", "description": "Weather for a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
GATEWAY_CALLS = [
    ("responses.create", "/responses", {"model": "ref-text-1", "input": "Say hello"}),
    ("responses.stream", "/responses", {"model": "ref-text-1", "input": "Say hello", "stream": True}),
    ("responses.create", "/responses", {"model": "ref-text-1", "input": "Call get_weather for Paris.",
                                        "tools": [WEATHER]}),
    ("responses.stream", "/responses", {**STRUCTURED, "stream": True}),
    ("chat.completions.create", "/chat/completions", CHAT_REQUEST),
    ("chat.completions.stream", "/chat/completions",
     {**CHAT_REQUEST, "stream": True, "stream_options": {"include_usage": True}}),
]


def recorded(http, server, path: str, request: dict | None) -> tuple[int, dict, bytes]:
    from respcheck.reference.app import DEFAULT_API_KEY

    headers = {"authorization": f"Bearer {DEFAULT_API_KEY}"}
    url = server.base_url + path
    answer = http.get(url, headers=headers) if request is None else http.post(url, json=request, headers=headers)
    return answer.status_code, dict(answer.headers), answer.content


@pytest.mark.parametrize("operation, path, request_body", GATEWAY_CALLS, ids=[f"{op}-{n}" for n, (op, _, _)
                                                                              in enumerate(GATEWAY_CALLS)])
def test_the_clean_reference_gateway_breaks_nothing(views, http, server, operation, path, request_body):
    status, headers, body = recorded(http, server, path, request_body)
    assert status == 200
    view = views.view(replay_of(operation, request_body, status, headers, body))
    assert view["raised"] is None
    values = view["values"]
    if operation.startswith("responses."):
        assert values["status"] == "completed" and values["id"].startswith("resp_")
        assert values["usage"]["total_tokens"] > 0
        if "tools" in request_body:
            assert [call["name"] for call in values["function_calls"]] == ["get_weather"]
            assert json.loads(values["function_calls"][0]["arguments"]) == {"city": "Paris"}
        elif "text" in request_body:
            assert isinstance(values["parsed"], dict) and "parse_error" not in values
        else:
            assert values["output_text"]
    else:
        assert values["chat_content"] and values["finish_reason"] == "stop"
        assert values["chat_usage"]["total_tokens"] > 0


def test_the_reference_gateways_model_list(views, http, server):
    status, headers, body = recorded(http, server, "/models", None)
    listed = [entry["id"] for entry in json.loads(body)["data"]]
    assert views.view(replay_of("models.list", None, status, headers, body)) == {
        "raised": None, "values": {"model_ids": listed}}


def test_a_driver_killed_between_views_is_started_afresh(views):
    views.view(replay_of("models.list", None, 200, JSON, b'{"data": []}'))
    views._child.proc.kill()
    views._child.proc.wait()
    assert views.view(replay_of("models.list", None, 200, JSON, b'{"data": [{"id": "m"}]}'))["values"] == {
        "model_ids": ["m"]}


def test_a_chat_style_error_frame_in_a_responses_stream_is_an_api_error_without_status(views):
    body = text_stream(drop=("response.completed",)) + \
        b'data: {"error": {"message": "upstream failed", "type": "server_error", "code": "server_error"}}\n\n'
    view = responses(views, body, "responses.stream", headers=SSE)
    assert view["raised"] == {"type": "APIError", "message": "upstream failed", "status": None,
                              "api_error": False, "code": "server_error"}


def test_an_unknown_stream_event_breaks_the_sdks_stream_helper(views):
    """The npm SDK's accumulator refuses an event type it does not know (a vendor keep-alive)."""
    frames = text_stream().split(b"\n\n")
    body = b"\n\n".join(frames[:2] + [frame("response.keepalive", sequence_number=99).encode().rstrip()] + frames[2:])
    view = responses(views, body, "responses.stream", headers=SSE)
    assert view["raised"]["type"] == "OpenAIError"
    assert view["raised"]["message"].startswith("Unhandled response stream event: ")
