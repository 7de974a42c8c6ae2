"""The reference gateway's stateful mode: the store, the stored-response and
conversation endpoints (read back with the openai SDK, whose types are the
shapes), and that the default gateway is unchanged by it."""

from __future__ import annotations

import json
import re
import threading

import httpx
import openai
import pytest

from respcheck.cli import main
from respcheck.execution.runner import run_case
from respcheck.model.case import CaseError, load_case_file
from respcheck.model.profile import load_profile
from respcheck.reference import DEFAULT_API_KEY, ReferenceServer
from respcheck.reference.store import Store, StoredResponse, page

TEXT = "ref-text-1"
WEATHER = {"type": "function", "name": "get_weather",
           "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}


@pytest.fixture(scope="module")
def server():
    with ReferenceServer(stateful=True) as running:
        yield running


@pytest.fixture(scope="module")
def sdk(server):
    with openai.OpenAI(base_url=server.base_url, api_key=DEFAULT_API_KEY, max_retries=0) as client:
        yield client


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
                      timeout=30) as client:
        yield client


def _items(*texts: str) -> list[dict]:
    return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": t}]} for t in texts]


# --- the store ---------------------------------------------------------------------------------------------
def test_page_walks_both_orders_with_limit_and_after():
    items = [{"id": f"i{n}", "type": "message"} for n in range(1, 4)]
    first = page(items, limit=2, after=None, order="asc")
    assert [i["id"] for i in first["data"]] == ["i1", "i2"] and first["has_more"] is True
    assert (first["first_id"], first["last_id"]) == ("i1", "i2")
    rest = page(items, limit=2, after="i2", order="asc")
    assert [i["id"] for i in rest["data"]] == ["i3"] and rest["has_more"] is False
    newest = page(items, limit=20, after=None, order="desc")
    assert [i["id"] for i in newest["data"]] == ["i3", "i2", "i1"] and newest["has_more"] is False
    assert page(items, limit=1, after="i1", order="desc")["data"] == []  # nothing is older than the oldest
    empty = page([], limit=5, after=None, order="asc")
    assert empty == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}


def test_the_store_hands_out_copies_and_counts_ids():
    store = Store()
    assert store.new_id("msg") != store.new_id("msg")
    record = StoredResponse({"id": "resp_1", "output": []}, [], [])
    store.put(record)
    got = store.get("resp_1")
    got.response["output"].append("changed")
    assert store.get("resp_1").response["output"] == []
    assert store.delete("resp_1") and not store.delete("resp_1") and store.get("resp_1") is None


def test_the_store_is_safe_on_many_threads():
    store = Store()
    ids: list[str] = []
    lock = threading.Lock()

    def work():
        for _ in range(200):
            new = store.new_id("resp")
            with lock:
                ids.append(new)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 800


# --- stored responses through the SDK -------------------------------------------------------------------------
def test_retrieve_equals_the_created_response(sdk):
    created = sdk.responses.create(model=TEXT, input="Reply with exactly: KEPT", store=True)
    again = sdk.responses.retrieve(created.id)
    assert again.model_dump() == created.model_dump()
    assert again.output_text == "KEPT" and again.store is True


def test_store_defaults_to_true_and_false_is_not_kept(sdk, http):
    kept = sdk.responses.create(model=TEXT, input="Reply with exactly: A")
    assert kept.store is True and sdk.responses.retrieve(kept.id).id == kept.id
    gone = sdk.responses.create(model=TEXT, input="Reply with exactly: B", store=False)
    assert gone.store is False
    with pytest.raises(openai.NotFoundError):
        sdk.responses.retrieve(gone.id)
    assert http.get(f"/responses/{gone.id}/input_items").status_code == 404


def test_include_on_retrieve_adds_logprobs_in_either_query_spelling(sdk, http):
    created = sdk.responses.create(model=TEXT, input="Reply with exactly: two words", top_logprobs=2)
    with_them = sdk.responses.retrieve(created.id, include=["message.output_text.logprobs"])
    tokens = with_them.output[0].content[0].logprobs
    assert "".join(t.token for t in tokens) == "two words" and len(tokens[0].top_logprobs) == 2
    bracketed = http.get(f"/responses/{created.id}", params={"include[]": "message.output_text.logprobs"}).json()
    assert bracketed["output"][0]["content"][0]["logprobs"]
    assert sdk.responses.retrieve(created.id).output[0].content[0].logprobs == []


def test_retrieve_with_stream_replays_the_events_of_the_stored_response(sdk):
    created = sdk.responses.create(model=TEXT, input="Reply with exactly: REPLAYED")
    events = list(sdk.responses.retrieve(created.id, stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert events[-1].response.model_dump() == created.model_dump()
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "REPLAYED"


def test_delete_then_retrieve_is_404_and_a_second_delete_too(sdk, http):
    created = sdk.responses.create(model=TEXT, input="Reply with exactly: C")
    answer = http.delete(f"/responses/{created.id}")
    assert answer.json() == {"id": created.id, "object": "response", "deleted": True}
    for again in (http.get(f"/responses/{created.id}"), http.delete(f"/responses/{created.id}")):
        assert again.status_code == 404 and again.json()["error"]["type"] == "not_found_error"


def test_input_items_list_what_was_sent_with_sdk_pagination(sdk):
    created = sdk.responses.create(model=TEXT, input=_items("one", "two", "Reply with exactly: three"))
    listed = sdk.responses.input_items.list(created.id, order="asc")
    assert [item.content[0].text for item in listed.data] == ["one", "two", "Reply with exactly: three"]
    walked = [item.content[0].text for item in sdk.responses.input_items.list(created.id, order="asc", limit=1)]
    assert walked == ["one", "two", "Reply with exactly: three"]  # the SDK follows has_more / after
    newest = sdk.responses.input_items.list(created.id)
    assert newest.data[0].content[0].text == "Reply with exactly: three"


def test_a_string_input_is_one_user_message_item(sdk):
    created = sdk.responses.create(model=TEXT, input="Reply with exactly: D")
    (item,) = sdk.responses.input_items.list(created.id).data
    assert (item.type, item.role, item.content[0].type, item.content[0].text) == \
        ("message", "user", "input_text", "Reply with exactly: D")


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"order": "up"},
                                   {"after": "msg_unknown"}])
def test_bad_list_parameters_are_400_naming_them(sdk, http, query):
    created = sdk.responses.create(model=TEXT, input="Reply with exactly: E")
    answer = http.get(f"/responses/{created.id}/input_items", params=query)
    assert answer.status_code == 400 and answer.json()["error"]["param"] == next(iter(query))


def test_background_moves_one_state_per_poll_and_cancel_stops_it(sdk, http):
    created = sdk.responses.create(model=TEXT, input="Reply with exactly: LATER", background=True)
    assert (created.status, created.background, created.output, created.usage) == ("queued", True, [], None)
    assert [sdk.responses.retrieve(created.id).status for _ in range(3)] == ["in_progress", "completed", "completed"]
    assert sdk.responses.retrieve(created.id).output_text == "LATER"
    # A finished background response cannot be cancelled any more.
    assert http.post(f"/responses/{created.id}/cancel").status_code == 400

    running = sdk.responses.create(model=TEXT, input="Reply with exactly: NEVER", background=True)
    cancelled = sdk.responses.cancel(running.id)
    assert cancelled.status == "cancelled" and cancelled.output == []
    assert sdk.responses.cancel(running.id).status == "cancelled"  # cancelling twice is no error
    assert [sdk.responses.retrieve(running.id).status for _ in range(3)] == ["cancelled"] * 3


def test_cancel_of_a_foreground_or_unknown_response(sdk, http):
    created = sdk.responses.create(model=TEXT, input="Reply with exactly: F")
    refused = http.post(f"/responses/{created.id}/cancel")
    assert refused.status_code == 400 and refused.json()["error"]["type"] == "invalid_request_error"
    assert http.post("/responses/resp_nobody/cancel").status_code == 404


def test_background_needs_store(http):
    answer = http.post("/responses", json={"model": TEXT, "input": "x", "background": True, "store": False})
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "background"


def test_previous_response_id_chains_a_function_call(sdk):
    call = sdk.responses.create(model=TEXT, input="Use the get_weather tool for Paris.", tools=[WEATHER])
    (item,) = call.output
    answer = sdk.responses.create(model=TEXT, previous_response_id=call.id, tools=[WEATHER],
                                  input=[{"type": "function_call_output", "call_id": item.call_id,
                                          "output": "Sunny, 21 degrees"}])
    assert answer.previous_response_id == call.id and "Sunny" in answer.output_text
    # The chain's input counts the stored turn too.
    assert answer.usage.input_tokens > call.usage.input_tokens


def test_a_three_turn_chain_remembers_the_first(sdk):
    first = sdk.responses.create(model=TEXT, input="My code word is MAGPIE. Reply with exactly: OK")
    second = sdk.responses.create(model=TEXT, previous_response_id=first.id, input="Reply with exactly: STILL")
    third = sdk.responses.create(model=TEXT, previous_response_id=second.id, input="What is my code word?")
    assert third.output_text == "MAGPIE"


def test_unknown_previous_id_and_both_ids(http):
    unknown = http.post("/responses", json={"model": TEXT, "input": "x", "previous_response_id": "resp_nobody"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "previous_response_not_found"
    assert unknown.json()["error"]["param"] == "previous_response_id"
    both = http.post("/responses", json={"model": TEXT, "input": "x", "previous_response_id": "resp_a",
                                         "conversation": "conv_a"})
    assert both.status_code == 400


def test_a_stream_is_stored_as_well(sdk):
    events = list(sdk.responses.create(model=TEXT, input="Reply with exactly: STREAMED", stream=True))
    final = events[-1].response
    assert final.status == "completed"
    assert sdk.responses.retrieve(final.id).model_dump() == final.model_dump()


# --- conversations ------------------------------------------------------------------------------------------
def test_conversation_lifecycle_through_the_sdk(sdk):
    conversation = sdk.conversations.create(items=_items("My code word is HERON."), metadata={"k": "v"})
    assert conversation.object == "conversation" and conversation.metadata == {"k": "v"}
    # `conversation` may be the id or {"id": ...}.
    answer = sdk.responses.create(model=TEXT, conversation={"id": conversation.id}, input="What is my code word?")
    assert answer.output_text == "HERON"
    texts = [item.content[0].text for item in sdk.conversations.items.list(conversation.id, order="asc").data]
    assert texts == ["My code word is HERON.", "What is my code word?", "HERON"]
    added = sdk.conversations.items.create(conversation.id, items=_items("More."))
    assert [item.content[0].text for item in added.data] == ["More."]
    assert sdk.conversations.update(conversation.id, metadata={"k": "w"}).metadata == {"k": "w"}
    assert sdk.conversations.retrieve(conversation.id).metadata == {"k": "w"}
    deleted = sdk.conversations.delete(conversation.id)
    assert (deleted.object, deleted.deleted) == ("conversation.deleted", True)
    with pytest.raises(openai.NotFoundError):
        sdk.conversations.retrieve(conversation.id)


def test_a_response_in_an_unknown_conversation_is_404(http):
    answer = http.post("/responses", json={"model": TEXT, "input": "x", "conversation": "conv_nobody"})
    assert answer.status_code == 404 and answer.json()["error"]["param"] == "conversation"


# --- input_tokens and compact ------------------------------------------------------------------------------
def test_input_tokens_count_what_usage_says(sdk):
    body = {"instructions": "Be brief.", "input": "Reply with exactly: COUNTED"}
    created = sdk.responses.create(model=TEXT, **body)
    counted = sdk.responses.input_tokens.count(model=TEXT, **body)
    assert counted.object == "response.input_tokens" and counted.input_tokens == created.usage.input_tokens
    # Without a model, and over a stored chain.
    assert sdk.responses.input_tokens.count(input="one two three").input_tokens == 3
    # Over a stored chain: its input and output come first; instructions are not carried over (as at OpenAI).
    chained = sdk.responses.input_tokens.count(model=TEXT, previous_response_id=created.id, input="four five")
    assert chained.input_tokens == len("Reply with exactly: COUNTED".split()) + len(created.output_text.split()) + 2


def test_compact_keeps_user_messages_and_carries_the_rest(sdk, http):
    turns = [{"type": "message", "role": "user", "content": "Remember it."},
             {"type": "message", "role": "assistant", "content": "Your code word is WREN."}]
    compacted = sdk.responses.compact(model=TEXT, input=turns)
    assert compacted.object == "response.compaction"
    assert [item.type for item in compacted.output] == ["message", "compaction"]
    # Sent back as they came (raw JSON: the SDK types the kept user message as an output message).
    output = http.post("/responses/compact", json={"model": TEXT, "input": turns}).json()["output"]
    follow_up = sdk.responses.create(model=TEXT, input=[
        *output, {"type": "message", "role": "user", "content": "What is my code word?"}])
    assert follow_up.output_text == "WREN"


def test_a_compaction_item_the_gateway_did_not_make_is_400(http):
    answer = http.post("/responses", json={"model": TEXT, "input": [
        {"type": "compaction", "id": "cmp_1", "encrypted_content": "opaque"}, {"role": "user", "content": "hi"}]})
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "input"


# --- the default gateway is as it was ------------------------------------------------------------------------
def test_the_stateless_gateway_refuses_state_and_has_none_of_the_new_paths():
    with ReferenceServer() as stateless, httpx.Client(base_url=stateless.base_url, timeout=30,
                                                      headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as http:
        for field, value in (("store", True), ("background", True), ("previous_response_id", "resp_x")):
            refused = http.post("/responses", json={"model": TEXT, "input": "x", field: value})
            assert refused.status_code == 400 and refused.json()["error"]["code"] == "operation_not_allowed"
        assert http.post("/responses", json={"model": TEXT, "input": "x"}).json()["store"] is False
        for method, path in (("GET", "/responses/resp_x"), ("DELETE", "/responses/resp_x"),
                             ("GET", "/responses/resp_x/input_items"), ("POST", "/responses/resp_x/cancel"),
                             ("POST", "/responses/input_tokens"), ("POST", "/responses/compact"),
                             ("POST", "/conversations"), ("GET", "/conversations/conv_x")):
            answer = http.request(method, path, json={} if method == "POST" else None)
            assert answer.status_code == 404, (method, path)


# --- the suite's side: profile, poll steps, serve ----------------------------------------------------------
def test_the_stateful_profile_extends_reference_and_asks_for_the_stateful_gateway():
    profile = load_profile("reference-stateful")
    assert profile.embedded == {"stateful": True}
    assert profile.capabilities["responses.store"] == "supported"
    assert profile.models == load_profile("reference").models
    assert load_profile("reference").embedded == {}


def _poll_case(tmp_path, poll: str):
    file = tmp_path / "poll.yaml"
    file.write_text(f"""
- id: poll.case
  title: polls
  steps:
    - name: create
      request: {{body: {{model: ref-text-1, input: "Reply with exactly: LATER", background: true}}}}
      capture: {{id: $.id}}
    - name: wait
      request: {{method: GET, path: "/responses/{{{{captured.id}}}}"}}
      poll: {poll}
      expect:
        fields: {{$.status: completed}}
""", encoding="utf-8")
    return file


def test_a_poll_step_resends_until_the_body_matches(tmp_path, server):
    from respcheck.exchange.client import Client, Target

    (case,) = load_case_file(_poll_case(tmp_path, "{until: {$.status: completed}, interval: 0}"))
    profile = load_profile("reference-stateful")
    client = Client(Target(base_url=server.base_url, api_key=DEFAULT_API_KEY))
    try:
        run = run_case(case, client, profile, profile.models)
    finally:
        client.close()
    assert not run.failures and run.steps[-1].exchange.json["status"] == "completed"
    (case,) = load_case_file(_poll_case(tmp_path, "{until: {$.status: completed}, attempts: 2, interval: 0}"))
    with ReferenceServer(stateful=True, faults=["background_never_completes"]) as broken:
        client = Client(Target(base_url=broken.base_url, api_key=DEFAULT_API_KEY))
        try:
            run = run_case(case, client, profile, profile.models)
        finally:
            client.close()
    assert [f.rule for f in run.failures] == ["field"]  # two attempts, still in_progress: judged as it stands


@pytest.mark.parametrize(("poll", "message"), [
    ("{until: {output: done}}", "JSON path must start with '$'"),
    ("{until: {$.status: {equal: completed}}}", "'equal'"),
    ("{attempts: 3}", "until"),
])
def test_a_broken_poll_is_a_case_error(tmp_path, poll, message):
    with pytest.raises(CaseError) as caught:
        load_case_file(_poll_case(tmp_path, poll))
    assert message in str(caught.value)


def test_serve_help_names_the_stateful_switch(capsys):
    try:
        main(["serve", "--help"])
    except SystemExit:
        pass
    assert "--stateful" in capsys.readouterr().out


# --- a whole run against the stateful profile ----------------------------------------------------------------
def _stateful_run(pytester, repo, report_dir, *args):
    result = pytester.runpytest_inprocess(
        str(repo / "cases" / "state"), str(repo / "cases" / "unsupported"), "-p", "no:cacheprovider", "-q",
        "--rootdir", str(repo), "-W", "ignore::pytest.PytestAssertRewriteWarning", "--profile", "reference-stateful",
        "--report-dir", str(report_dir), *args)
    return result, json.loads((report_dir / "results.json").read_text(encoding="utf-8"))


def test_results_name_endpoint_templates_and_a_concurrent_run_reads_like_a_sequential_one(pytester, repo):
    documents = {}
    for n in ("1", "8"):
        result, documents[n] = _stateful_run(pytester, repo, pytester.path / f"r{n}", "--concurrency", n)
        assert result.ret == 0
    cases = {c["name"]: c for c in documents["1"]["cases"]}
    assert cases["state.delete"]["endpoint"] == "GET /responses/{id}"
    assert cases["state.cancel.foreground"]["endpoint"] == "POST /responses/{id}/cancel"
    assert cases["state.conversations.lifecycle"]["endpoint"] == "GET /conversations/{id}"
    # Never an id the gateway made (a literal id a case writes, resp_respcheck_never_stored, is the same every run).
    assert not any(re.search(r"_[0-9a-f]{24}", c["endpoint"] or "") for c in cases.values())

    def comparable(document):
        return [{k: v for k, v in c.items() if k != "duration"} for c in document["cases"]]

    assert comparable(documents["1"]) == comparable(documents["8"])
    # Coverage counts every stateful endpoint as exercised.
    missing = documents["1"]["coverage"]["endpoints"]["missing"]
    assert not [e for e in missing if "/responses/" in e or "/conversations" in e], missing
