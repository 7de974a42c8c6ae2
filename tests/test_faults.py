"""Every check is proven to fail: the suite's own cases run against the
reference gateway with each fault switch on, and exactly the cases covering
the broken rule fail — each naming that rule — while the rest pass."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from respcheck.reference.faults import DROP_TEMPLATE, FAULTS
from suite_runs import REPO, Outcome, run_suite

OK, ERR, ALL = "cases with a 2xx answer", "cases with an error answer", "every case"
STREAMED = "cases that read a stream"
OK_JSON = "cases with a 2xx JSON answer (not a stream)"
OK_MESSAGE = "cases whose 2xx answer holds a message item"
CHAT_OK = "chat cases with a 2xx answer"
CHAT_STREAMED = "chat cases that read a stream"
CHAT_JSON = "chat cases with a 2xx JSON answer (not a stream)"
ROUTED = "cases with a 2xx non-streamed answer on either endpoint"
JSON_ANY = "cases with a 2xx JSON answer on any endpoint"
ROUTED_STREAMS = "cases that read a stream on either endpoint"
STREAMED_MESSAGE = "cases that read a stream holding a message item"
# The failure stream stops mid-item: it has no .done events to spoil, and a
# failed response is not held to report usage.
NOT_FAILED = frozenset({"streaming.error", "chat.stream_error"})

ERROR_PARAM_CASES = {
    "responses.errors.unknown_field", "responses.errors.missing_model", "responses.errors.missing_input",
    "responses.errors.wrong_type", "responses.errors.unknown_model", "responses.errors.model_and_gateway_models",
    "responses.errors.input_wrong_type", "responses.errors.include_unknown",
}
# A case whose message comes from an earlier step than the last one.
FIRST_STEP_MESSAGE = frozenset({"responses.state.previous_response_id"})
TOOL_CALL_CASES = frozenset({
    "tools.call.auto", "tools.choice.forced", "tools.choice.required", "tools.parallel.allowed",
    "tools.parallel.disabled", "tools.round_trip", "parity.tool_call", "responses.max_tool_calls",
})
PARITY = frozenset({"parity.text_and_usage", "parity.tool_call"})
# The cases that send tools to POST /responses and get a 2xx answer (parity.tool_call in its first step).
TOOLS_SENT = TOOL_CALL_CASES | {"tools.choice.none"}
# The cases that hold xhigh and max to more reasoning than high.
EFFORT_BEYOND_HIGH = ("reasoning.effort_xhigh_changes_work", "reasoning.effort_max_changes_work")
TEXT_CASES = frozenset({
    "responses.text.string_input", "responses.text.message_items", "responses.text.easy_message",
    "responses.text.multi_turn", "responses.text.instructions", "responses.text.store_false",
})


@dataclass(frozen=True)
class Expect:
    rule: str  # the rule the fault breaks: named by the failing cases
    cases: frozenset | str  # the exact set of failing case ids, or one of OK/ERR/ALL
    also: frozenset = frozenset()  # rules that may stand in for `rule` in a case that checks the effect otherwise
    exclude: frozenset = frozenset()  # cases of a selector the fault cannot touch (named, with the reason)
    plus: frozenset = frozenset()  # cases a selector misses (it looks at the last step only)


def only(*ids: str) -> frozenset:
    return frozenset(ids)


EXPECTED = {
    "success_status_202": Expect("status", OK),
    "usage_missing": Expect("usage.present", OK, exclude=NOT_FAILED),
    "usage_total_wrong": Expect("usage.total", OK, exclude=NOT_FAILED),
    "error_type_missing": Expect("error.envelope", ERR),
    "error_code_http_status": Expect("error.code_is_status", ERR),
    "error_param_missing": Expect("error.param", frozenset(ERROR_PARAM_CASES)),
    "error_not_json": Expect("error.envelope", ERR),
    "store_accepted": Expect("status", only("responses.state.store_true")),
    "previous_response_id_ignored": Expect("status", only("responses.state.previous_response_id")),
    "background_accepted": Expect("status", only("responses.state.background")),
    "file_input_accepted": Expect("status", only("responses.inputs.input_file")),
    "audio_input_accepted": Expect("status", only("responses.inputs.input_audio")),
    "bad_json_500": Expect("status", only("responses.errors.bad_json")),
    "unknown_model_400": Expect("status", only("responses.errors.unknown_model", "responses.errors.error_headers")),
    "unknown_field_ignored": Expect("status", only("responses.errors.unknown_field")),
    "auth_ignored": Expect("status", only("auth.missing_key", "auth.invalid_key")),
    "instructions_ignored": Expect("output.text", only("responses.text.instructions", "parity.text_and_usage")),
    # The encrypted-reasoning case's next turn recalls a code word from the first turn's message.
    "history_dropped": Expect("output.text", only("responses.text.multi_turn",
                                                   "responses.include.reasoning_encrypted_content")),
    "metadata_dropped": Expect("field", only("responses.text.metadata_echo")),
    # Every case that reads the answer's text sees it, through whichever rule reads it.
    "text_empty": Expect("output.text", OK_MESSAGE,
                         also=frozenset({"field", "output.items", "structured.schema", "structured.json"}),
                         exclude=frozenset({  # these read usage, metadata, logprobs or item kinds, not the text
                             "caching.repeat_prompt", "logprobs.without_include", "responses.text.metadata_echo",
                             "streaming.error", "tools.choice.none", "routing.optimize_cost", "routing.pool",
                             "routing.providers", "reasoning.effort_changes_work",
                             "reasoning.effort_xhigh_changes_work", "reasoning.effort_max_changes_work",
                             "responses.service_tier.auto", "responses.service_tier.requested",
                             "responses.safety_identifier", "responses.user"})),
    # Every case that reads a non-stream Response: the body is none at all.
    "response_body_null": Expect("response.schema", OK_JSON, plus=frozenset({"tools.round_trip[stream=true]"})),
    "empty_output": Expect("response.output_empty", OK, exclude=frozenset({
        "streaming.error", "streaming.truncation", "responses.truncation.max_output_tokens"})),
    "response_id_unprefixed": Expect("response.id_prefix", OK, also=frozenset({"response.schema"})),
    "created_at_string": Expect("response.schema", OK),
    "object_wrong": Expect("response.schema", OK),
    "content_string": Expect("response.schema", OK_MESSAGE, plus=FIRST_STEP_MESSAGE),
    "role_wrong": Expect("response.schema", OK_MESSAGE, plus=FIRST_STEP_MESSAGE),
    "json_content_type_wrong": Expect("content_type", JSON_ANY, plus=frozenset({"tools.round_trip[stream=true]"})),
    "request_id_missing": Expect("request_id", ALL),
    "missing_model_400_wrong_param": Expect("error.param", only("responses.errors.missing_model")),
    "unavailable_model_200": Expect("status", only("responses.errors.unavailable_model", "routing.no_fallbacks")),
    # -- streams ---------------------------------------------------------------
    "stream_seq_missing": Expect("stream.sequence_number", STREAMED_MESSAGE, also=frozenset({"stream.event_schema"})),
    "stream_seq_duplicate": Expect("stream.sequence_number", STREAMED),
    "stream_seq_gap": Expect("stream.sequence_contiguous", STREAMED),
    "stream_event_line_mismatch": Expect("stream.event_line", STREAMED_MESSAGE),
    "stream_event_line_missing": Expect("stream.event_line", STREAMED),
    "stream_delta_dropped": Expect("stream.delta_join", STREAMED_MESSAGE, exclude=NOT_FAILED),
    "stream_done_text_differs": Expect("stream.done_matches_item", STREAMED_MESSAGE, exclude=NOT_FAILED),
    "stream_completed_empty_output": Expect("stream.reconstruct", STREAMED),
    "stream_item_added_missing": Expect("stream.item_order", STREAMED),
    # every stream holding a message: its deltas name a part never added (the Python SDK's IndexError)
    "stream_part_added_missing": Expect("stream.item_order", STREAMED_MESSAGE),
    "stream_item_done_missing": Expect("stream.item_order", STREAMED, exclude=NOT_FAILED),
    "stream_two_terminals": Expect("stream.terminal", STREAMED),
    "stream_event_after_terminal": Expect("stream.terminal", STREAMED),
    "stream_no_terminal": Expect("stream.terminal", STREAMED),
    "stream_done_sentinel": Expect("stream.done_sentinel", STREAMED),
    "stream_chat_error_frame": Expect("stream.error_event", only("streaming.error")),
    "stream_error_not_failed": Expect("stream.error_event", only("streaming.error")),
    "stream_truncation_completed": Expect("stream.sequence", only("streaming.truncation")),
    "stream_usage_missing": Expect("usage.present", STREAMED, exclude=NOT_FAILED),
    "stream_first_event_wrong": Expect("stream.first_event", STREAMED),
    "stream_wrong_content_type": Expect("stream.content_type", STREAMED),
    "stream_stall": Expect("stream.stall", STREAMED),
    "stream_cut": Expect("stream.cut", STREAMED),
    "stream_index_mismatch": Expect("stream.indexes", STREAMED_MESSAGE),
    "stream_item_id_mismatch": Expect("stream.indexes", STREAMED_MESSAGE),
    "stream_bad_json": Expect("stream.json", STREAMED_MESSAGE),
    "stream_event_schema": Expect("stream.event_schema", STREAMED_MESSAGE),
    "stream_unknown_event": Expect("stream.unknown_event", STREAMED),
    "stream_created_usage": Expect("stream.lifecycle", STREAMED),
    # -- features ----------------------------------------------------------------
    "tools_dropped": Expect("output.items", TOOL_CALL_CASES, also=frozenset({"tool.choice", "field"})),
    "tool_choice_none_ignored": Expect("tool.choice", only("tools.choice.none"), also=frozenset({"output.items"})),
    "tool_choice_forced_ignored": Expect("tool.choice", only("tools.choice.forced"), also=frozenset({"output.items"})),
    "tool_required_ignored": Expect("tool.choice", only("tools.choice.required"), also=frozenset({"output.items"})),
    "tool_parallel_ignored": Expect("tool.parallel", only("tools.parallel.disabled"), also=frozenset({"output.items"})),
    "tool_arguments_invalid_json": Expect("tool.arguments", TOOL_CALL_CASES, also=frozenset({"field"})),
    "tool_arguments_schema_violation": Expect("tool.arguments", TOOL_CALL_CASES, also=frozenset({"field"})),
    "tool_call_chat_shape": Expect("tool.chat_shape", TOOL_CALL_CASES, also=frozenset({"response.schema"})),
    "tool_output_ignored": Expect("output.text", only("tools.round_trip")),
    "stream_tool_arguments_mismatch": Expect("stream.delta_join", only(
        "tools.call.auto[stream=true]", "tools.choice.forced[stream=true]", "tools.parallel.allowed[stream=true]",
        "responses.max_tool_calls[stream=true]")),
    "structured_output_ignored": Expect("structured.schema", only("structured.json_schema"),
                                        also=frozenset({"output.text"})),
    "structured_schema_violated": Expect("structured.schema", only("structured.json_schema"),
                                         also=frozenset({"output.text"})),
    "json_object_ignored": Expect("structured.json", only("structured.json_object"), also=frozenset({"output.text"})),
    "vision_image_dropped": Expect("output.text", only("vision.data_url", "vision.image_url")),
    "vision_text_model_accepts": Expect("status", only("vision.text_only_model")),
    "reasoning_dropped": Expect("output.items", only("reasoning.summary", "reasoning.effort_changes_work",
                                                     *EFFORT_BEYOND_HIGH, "responses.include.reasoning_encrypted_content"),
                                also=frozenset({"field"})),
    "reasoning_effort_minimal_rejected": Expect("status", only("reasoning.effort[effort=minimal]")),
    "reasoning_tokens_missing": Expect("reasoning.tokens", only("reasoning.summary", "reasoning.effort",
                                                                "reasoning.effort_changes_work", *EFFORT_BEYOND_HIGH,
                                                                "responses.include.reasoning_encrypted_content"),
                                       also=frozenset({"field"})),
    "stream_reasoning_summary_missing": Expect("stream.done_matches_item", only("reasoning.summary[stream=true]")),
    "logprobs_dropped": Expect("field", only("logprobs.with_include")),
    "logprobs_top_too_many": Expect("logprobs.top_count", only("logprobs.with_include")),
    "logprobs_tokens_wrong": Expect("logprobs.join", only("logprobs.with_include")),
    "logprobs_ignore_include": Expect("field", only("logprobs.without_include")),
    "cache_ignored": Expect("field", only("caching.repeat_prompt")),
    "cache_tokens_exceed": Expect("usage.details", only("caching.repeat_prompt")),
    "truncation_reported_completed": Expect("field", only("responses.truncation.max_output_tokens")),
    "truncation_usage_missing": Expect("usage.present", only("responses.truncation.max_output_tokens",
                                                             "streaming.truncation")),
    # -- chat ---------------------------------------------------------------------
    "chat_usage_total_wrong": Expect("chat.usage.total", CHAT_OK, plus=PARITY, exclude=NOT_FAILED),
    "chat_tool_call_flat": Expect("chat.schema", only("chat.tools[stream=false]", "chat.tool_round_trip",
                                                      "parity.tool_call")),
    "chat_tool_arguments_invalid": Expect("chat.tool_arguments", only("chat.tools", "chat.tool_round_trip",
                                                                      "parity.tool_call")),
    "chat_tool_result_ignored": Expect("output.text", only("chat.tool_round_trip")),
    "chat_response_format_ignored": Expect("structured.schema", only("chat.response_format")),
    "chat_vision_dropped": Expect("output.text", only("chat.vision")),
    "chat_reasoning_effort_dropped": Expect("field", only("chat.reasoning_effort")),
    "chat_stream_no_done": Expect("chat.stream.done", CHAT_STREAMED, exclude=NOT_FAILED),
    "chat_stream_no_finish_reason": Expect("chat.stream.finish_reason", CHAT_STREAMED, exclude=NOT_FAILED),
    "chat_stream_no_usage_chunk": Expect("chat.stream.usage", CHAT_STREAMED, exclude=NOT_FAILED),
    "chat_stream_error_as_event": Expect("chat.stream.error", only("chat.stream_error")),
    "chat_stream_tool_index_wrong": Expect("chat.stream.tool_calls", only("chat.tools[stream=true]")),
    "chat_chunk_object_wrong": Expect("chat.stream.chunk_schema", CHAT_STREAMED),
    "chat_stream_text_differs": Expect("output.text", only("chat.text[stream=true]", "chat.response_format[stream=true]")),
    "response_api_only_served": Expect("status", only("chat.responses_only_model")),
    "response_api_only_wrong_code": Expect("error.code", only("chat.responses_only_model")),
    # -- routing --------------------------------------------------------------------
    "fallback_not_followed": Expect("status", only("routing.fallback", "routing.fallback_chat")),
    # Only the case knows which model should have served: its field check catches the lie.
    "fallback_reports_requested_model": Expect("field", only("routing.fallback", "routing.fallback_chat"),
                                               also=frozenset({"routing.model"})),
    "allow_fallbacks_ignored": Expect("status", only("routing.no_fallbacks")),
    "optimize_cost_ignored": Expect("routing.cheapest", only("routing.optimize_cost", "routing.optimize_cost_chat")),
    "providers_ignored": Expect("routing.providers", only("routing.providers")),
    "exclude_providers_ignored": Expect("routing.providers", only("routing.providers")),
    "routing_metadata_missing": Expect("routing.metadata", ROUTED, plus=frozenset({"tools.round_trip[stream=true]"})),
    "stream_routing_metadata_missing": Expect("routing.metadata", ROUTED_STREAMS, exclude=NOT_FAILED),
    "model_and_gateway_models_accepted": Expect("status", only("responses.errors.model_and_gateway_models")),
    # -- models -------------------------------------------------------------------------
    "models_list_includes_responses_only": Expect("models.listing", only("models.listings_agree")),
    "models_responses_listing_incomplete": Expect("models.listing", only("models.listings_agree")),
    "model_entry_404": Expect("status", only("models.get_one", "models.responses_only_listed")),
    "models_list_claims_chat_for_responses_only": Expect("models.listing", only("models.listings_agree")),
    "models_list_endpoints_missing": Expect("models.listing", only("models.listings_agree")),
    # -- the echo of the request, and an effect an echo could hide ----------------------
    "echo_tools_empty": Expect("request.echo", TOOLS_SENT),
    "echo_prompt_cache_key_missing": Expect("request.echo", only("caching.repeat_prompt")),
    "reasoning_effort_ignored": Expect("field", only("reasoning.effort_changes_work", *EFFORT_BEYOND_HIGH)),
    # -- switches that prove the rules no switch above reaches --------------------------
    "error_headers_missing": Expect("header", only("responses.errors.error_headers")),
    "completed_with_incomplete_details": Expect("response.status", OK, exclude=frozenset({
        "streaming.error", "streaming.truncation", "responses.truncation.max_output_tokens"})),
    "tool_name_unoffered": Expect("tool.name", TOOL_CALL_CASES, also=frozenset({"output.items", "field", "tool.choice"})),
    "logprobs_positive": Expect("logprobs.shape", only("logprobs.with_include"), also=frozenset({"field"})),
    "stream_error_code_wrong": Expect("stream.error_expected", only("streaming.error", "chat.stream_error")),
    "chat_tool_name_unoffered": Expect("chat.tool_name", only("chat.tools[stream=false]", "chat.tool_round_trip",
                                                               "parity.tool_call"), also=frozenset({"field"})),
    # Chat streams carry their usage in the usage chunk (chat.stream.usage has its own switch).
    "chat_usage_missing": Expect("chat.usage.present", CHAT_JSON, plus=PARITY, also=frozenset({"field"})),
    "routing_model_mismatch": Expect("routing.model", only("routing.fallback", "routing.fallback_chat",
                                                           "routing.pool"), also=frozenset({"field"})),
    "model_list_object_wrong": Expect("schema", only("models.list", "models.listings_agree"),
                                      also=frozenset({"field"})),
    # --- request fields ---
    "max_tool_calls_ignored": Expect("tool.max_calls", only("responses.max_tool_calls"),
                                     also=frozenset({"output.items"})),
    "verbosity_ignored": Expect("field", only("responses.text.verbosity_changes_length")),
    "service_tier_ignored": Expect("field", only("responses.service_tier.requested[tier=flex]",
                                                 "responses.service_tier.requested[tier=priority]")),
    "service_tier_auto_echoed": Expect("field", only("responses.service_tier.auto")),
    "echo_safety_identifier_missing": Expect("request.echo", only("responses.safety_identifier"),
                                             also=frozenset({"field"})),
    "encrypted_content_missing": Expect("field", only("responses.include.reasoning_encrypted_content")),
    "include_unknown_accepted": Expect("status", only("responses.errors.include_unknown")),
    "effort_none_ignored": Expect("output.items", only("reasoning.effort_none"), also=frozenset({"field"})),
    "effort_xhigh_rejected": Expect("status", only("reasoning.effort[effort=xhigh]",
                                                   "reasoning.effort_xhigh_changes_work")),
    "input_wrong_type_500": Expect("status", only("responses.errors.input_wrong_type")),
}


_CLEAN: dict = {}


@pytest.fixture
def clean_run(pytester, repo):
    """The clean run, done once (pytester itself is function-scoped)."""
    if not _CLEAN:
        _CLEAN.update(run_suite(pytester, repo))
    return _CLEAN


# Switches the whole suite must pass against: what they break, a client must cope with.
PASSES = {
    "keepalive_closed_after_error": "a request that a reused connection dropped unanswered is retried once on a "
                                    "fresh connection",
}
# Extra options of one switch's run. Only the stall needs an idle timeout: a few seconds, so that no pause
# of a loaded machine reads as a stall (each stalled stream costs that long).
RUN_ARGS = {"stream_stall": ("--stream-idle-timeout", "3")}


# --- stateful API: switches of the stateful mode, proven with --profile reference-stateful ---------------------
STATEFUL = ("--profile", "reference-stateful")
STATEFUL_EXPECTED = {
    "retrieve_output_differs": Expect("field", only("state.retrieve.equal", "state.retrieve.include",
                                                    "state.retrieve.stream", "state.background.poll"),
                                      also=frozenset({"output.text"})),
    "retrieve_include_ignored": Expect("field", only("state.retrieve.include")),
    "retrieve_stream_ignored": Expect("stream.content_type", only("state.retrieve.stream")),
    "delete_keeps_response": Expect("status", only("state.delete")),
    "store_false_stored": Expect("status", only("state.store_false_not_retrievable")),
    # Conversation items are paged by the same list code as input items.
    "input_items_order_wrong": Expect("field", only("state.input_items.in_order", "state.input_items.pages",
                                                    "state.conversations.lifecycle")),
    "input_items_has_more_wrong": Expect("field", only("state.input_items.pages", "state.conversations.lifecycle")),
    "input_items_after_ignored": Expect("field", only("state.input_items.pages")),
    "background_never_completes": Expect("field", only("state.background.poll"), also=frozenset({"output.text"})),
    "background_completed_at_once": Expect("field", only("state.background.poll", "state.cancel.background")),
    "cancel_finished_succeeds": Expect("status", only("state.cancel.foreground")),
    "cancel_ignored": Expect("field", only("state.cancel.background")),
    # Without the history the function_call_output answers no call the gateway knows: a 400.
    "previous_response_id_dropped": Expect("output.text", only("responses.state.previous_response_id",
                                                               "state.chain.function_call_output"),
                                           also=frozenset({"status"})),
    "function_call_output_unmatched": Expect("status", only("state.chain.function_call_output")),
    "unknown_previous_accepted": Expect("status", only("state.chain.unknown_previous")),
    "conversation_items_missing": Expect("field", only("state.conversations.lifecycle")),
    "input_tokens_wrong": Expect("field", only("state.input_tokens.count")),
    "compact_context_lost": Expect("output.text", only("state.compact.carries_context")),
    "not_found_envelope_wrong": Expect("error.envelope", only("state.retrieve.unknown_id", "state.delete",
                                                              "state.store_false_not_retrievable",
                                                              "state.conversations.lifecycle")),
}
_CLEAN_STATEFUL: dict = {}


@pytest.fixture
def clean_stateful_run(pytester, repo):
    if not _CLEAN_STATEFUL:
        _CLEAN_STATEFUL.update(run_suite(pytester, repo, *STATEFUL))
    return _CLEAN_STATEFUL


def test_clean_stateful_reference_gateway_passes_every_case(clean_stateful_run, clean_run):
    bad = {cid: o.text for cid, o in clean_stateful_run.items()
           if o.outcome != "passed" and not (o.outcome == "skipped" and "lacks capability" in o.text)}
    assert not bad, bad
    state_cases = {cid for cid, o in clean_stateful_run.items() if o.file.startswith("cases/state/")}
    assert state_cases and all(clean_stateful_run[cid].outcome == "passed" for cid in state_cases)
    # ... which the stateless default run skips, its own results otherwise as they were.
    assert all(clean_run[cid].outcome == "skipped" for cid in state_cases)
    assert clean_stateful_run["responses.state.store_true"].statuses == [200]
    assert clean_run["responses.state.store_true"].statuses == [400]


@pytest.mark.parametrize("fault", sorted(STATEFUL_EXPECTED))
def test_stateful_fault_fails_exactly_the_cases_of_its_rule(fault, pytester, repo, clean_stateful_run):
    expect = STATEFUL_EXPECTED[fault]
    outcomes = run_suite(pytester, repo, *STATEFUL, "--reference-fault", fault)
    failed = {cid for cid, o in outcomes.items() if o.outcome == "failed"}
    wanted = _expected_ids(expect, clean_stateful_run)
    assert failed == wanted, (f"{fault}: unexpected failures {sorted(failed - wanted)}, "
                              f"missed {sorted(wanted - failed)}")
    accepted = {expect.rule} | expect.also
    for cid in failed:
        named = outcomes[cid].rules & accepted
        assert named, f"{fault}: {cid} failed on {outcomes[cid].rules}, not {expect.rule}"
        assert any(f"[{rule}]" in outcomes[cid].text for rule in named)
    assert any(expect.rule in outcomes[cid].rules for cid in failed), f"{fault}: no case names {expect.rule}"
    passed = {cid for cid, o in outcomes.items() if o.outcome == "passed"}
    assert passed | failed == {cid for cid, o in clean_stateful_run.items() if o.outcome == "passed"}


def test_every_fault_has_an_expectation():
    rows = {**EXPECTED, **DISCOVER_EXPECTED, **STATEFUL_EXPECTED}
    # The drop:<field> class is proven field by field in tests/test_silent_drops.py.
    assert set(rows) | set(PASSES) | {DROP_TEMPLATE} == set(FAULTS), \
        "each fault switch needs a row in EXPECTED, DISCOVER_EXPECTED, STATEFUL_EXPECTED or PASSES (and vice versa)"
    assert not set(rows) & set(PASSES)
    for name, row in rows.items():
        assert FAULTS[name].rule == row.rule, f"{name}: faults.py says {FAULTS[name].rule!r}, the checks report {row.rule!r}"


def test_clean_reference_gateway_passes_every_case(clean_run):
    bad = {cid: o.text for cid, o in clean_run.items()
           if o.outcome != "passed" and not (o.outcome == "skipped" and "lacks capability" in o.text)}
    assert not bad, bad
    assert sum(o.outcome == "passed" for o in clean_run.values()) >= 60


def _expected_ids(expect: Expect, clean: dict[str, Outcome]) -> set:
    ran = {name for name, o in clean.items() if o.outcome == "passed"}
    plus = {name for name in clean if name in expect.plus or name.split("[")[0] in expect.plus}
    return {name for name in (_selected(expect, clean) | plus) & ran if name.split("[")[0] not in expect.exclude}


def _selected(expect: Expect, clean: dict[str, Outcome]) -> set:
    if expect.cases == OK:
        return {cid for cid, o in clean.items() if o.endpoint == "POST /responses" and any(200 <= s < 300 for s in o.statuses)}
    if expect.cases == ERR:
        return {cid for cid, o in clean.items() if any(s >= 400 for s in o.statuses)}
    if expect.cases == ALL:
        return set(clean)
    responses = {cid for cid, o in clean.items() if o.endpoint == "POST /responses"}
    if expect.cases == OK_JSON:
        return {cid for cid in responses if not clean[cid].streamed and any(200 <= s < 300 for s in clean[cid].statuses)}
    if expect.cases == STREAMED:
        return {cid for cid in responses if clean[cid].streamed}
    if expect.cases == OK_MESSAGE:
        return {cid for cid in responses if "message" in clean[cid].output_types}
    if expect.cases == STREAMED_MESSAGE:
        return {cid for cid in responses if clean[cid].streamed and "message" in clean[cid].output_types}
    if expect.cases == CHAT_JSON:
        return {cid for cid, o in clean.items() if o.endpoint == "POST /chat/completions" and not o.streamed
                and any(200 <= s < 300 for s in o.statuses)}
    if expect.cases == CHAT_STREAMED:
        return {cid for cid, o in clean.items() if o.endpoint == "POST /chat/completions" and o.streamed}
    if expect.cases == JSON_ANY:
        return {cid for cid, o in clean.items() if not o.streamed and any(200 <= s < 300 for s in o.statuses)}
    if expect.cases == ROUTED:
        return {cid for cid, o in clean.items() if o.endpoint in ("POST /responses", "POST /chat/completions")
                and not o.streamed and any(200 <= s < 300 for s in o.statuses)}
    if expect.cases == ROUTED_STREAMS:
        return {cid for cid, o in clean.items() if o.streamed}
    if expect.cases == CHAT_OK:
        return {cid for cid, o in clean.items() if o.endpoint == "POST /chat/completions"
                and any(200 <= s < 300 for s in o.statuses)}
    # An id names all of its matrix variants (responses.text.x -> responses.text.x[stream=true], ...).
    return {name for name in clean if name in expect.cases or name.split("[")[0] in expect.cases}


# A stalled stream costs the whole idle timeout, so the stall's run is split by case file into shards
# that xdist workers share (each shard is held to exactly the cases of its files).
SHARDS = {"stream_stall": 4}


def _shard_files(clean: dict[str, Outcome], shard: int, shards: int) -> tuple[str, ...]:
    """The case files of one shard, dealt so that the shards read about as many streams."""
    files = sorted(str(path.relative_to(REPO)) for path in (REPO / "cases").rglob("*.yaml"))
    weight = {f: 1 + 10 * sum(o.streamed for o in clean.values() if o.file == f) for f in files}
    loads, dealt = [0] * shards, [[] for _ in range(shards)]
    for file in sorted(files, key=lambda f: (-weight[f], f)):
        lightest = loads.index(min(loads))
        loads[lightest] += weight[file]
        dealt[lightest].append(file)
    return tuple(dealt[shard])


def _runs() -> list:
    return [pytest.param(fault, shard, SHARDS.get(fault, 1), id=fault if fault not in SHARDS else f"{fault}-{shard}")
            for fault in sorted(EXPECTED) for shard in range(SHARDS.get(fault, 1))]


@pytest.mark.parametrize(("fault", "shard", "shards"), _runs())
def test_fault_fails_exactly_the_cases_of_its_rule(fault, shard, shards, pytester, repo, clean_run):
    expect = EXPECTED[fault]
    files = _shard_files(clean_run, shard, shards) if shards > 1 else ("cases",)
    outcomes = run_suite(pytester, repo, "--reference-fault", fault, *RUN_ARGS.get(fault, ()), paths=files)
    if shards > 1:
        clean_run = {cid: o for cid, o in clean_run.items() if o.file in files}
    failed = {cid for cid, o in outcomes.items() if o.outcome == "failed"}
    wanted = _expected_ids(expect, clean_run)
    assert wanted, f"{fault}: no case is expected to catch it"
    assert failed == wanted, (f"{fault}: unexpected failures {sorted(failed - wanted)}, "
                              f"missed {sorted(wanted - failed)}")
    accepted = {expect.rule} | expect.also
    for cid in failed:
        assert outcomes[cid].rules & accepted, f"{fault}: {cid} failed on {outcomes[cid].rules}, not {expect.rule}"
        named = outcomes[cid].rules & accepted
        assert any(f"[{rule}]" in outcomes[cid].text for rule in named)
    assert any(expect.rule in outcomes[cid].rules for cid in failed), f"{fault}: no case names {expect.rule}"
    passed = {cid for cid, o in outcomes.items() if o.outcome == "passed"}
    assert passed | failed == {cid for cid, o in clean_run.items() if o.outcome == "passed"}


# Directory claims are tested by calling each model (--discover), so these
# faults are proven against an onboarding run.
DISCOVER_EXPECTED = {
    # The false claim also breaks the listings' agreement with the directory.
    "directory_claims_chat_for_responses_only": Expect("models.endpoints", frozenset({"@ref-pro-1"}),
                                                       also=frozenset({"models.listings_agree"})),
    "directory_claims_vision_falsely": Expect("models.capabilities", frozenset({"@ref-text-2"})),
}
_CLEAN_DISCOVER: dict = {}


def test_clean_discover_run_passes(pytester, repo):
    if not _CLEAN_DISCOVER:
        _CLEAN_DISCOVER.update(run_suite(pytester, repo, "--discover"))
    bad = {n: o.text[:300] for n, o in _CLEAN_DISCOVER.items() if o.outcome == "failed"}
    assert not bad, bad
    models = {n.split("@")[1] for n in _CLEAN_DISCOVER if "@" in n}
    assert {"ref-text-1", "ref-text-2", "ref-reason-1", "ref-vision-1", "ref-pro-1"} <= models


@pytest.mark.parametrize("fault", sorted(DISCOVER_EXPECTED))
def test_discover_fault_fails_exactly_the_claims_it_breaks(fault, pytester, repo):
    if not _CLEAN_DISCOVER:
        _CLEAN_DISCOVER.update(run_suite(pytester, repo, "--discover"))
    expect = DISCOVER_EXPECTED[fault]
    outcomes = run_suite(pytester, repo, "--discover", "--reference-fault", fault)
    failed = {n for n, o in outcomes.items() if o.outcome == "failed"}
    (suffix,) = expect.cases
    claimed = {n for n in failed if n.endswith(suffix)}
    assert claimed, f"{fault}: no item of {suffix} failed ({sorted(failed)})"
    assert failed - claimed <= expect.also, f"{fault}: {sorted(failed - claimed)} failed too"
    for name in claimed:
        assert expect.rule in outcomes[name].rules, (name, outcomes[name].rules)


def test_every_rule_a_fault_breaks_is_listed_by_respcheck_rules(capsys):
    from respcheck.cli import main

    assert main(["rules"]) == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert {fault.rule for fault in FAULTS.values()} <= listed


@pytest.mark.parametrize("fault", sorted(PASSES))
def test_suite_passes_against(fault, pytester, repo, clean_run):
    """What the switch breaks is the connection, not the contract: every case that passes on the clean
    gateway passes against it (PASSES says what the client must do)."""
    outcomes = run_suite(pytester, repo, "--reference-fault", fault)
    errors = sum(any(s >= 400 for s in o.statuses) for o in clean_run.values())
    assert errors >= 10, "the switch acts after error answers: the suite must have some"
    bad = {cid: o.text[:300] for cid, o in outcomes.items() if o.outcome != clean_run[cid].outcome}
    assert not bad, f"{fault}: {PASSES[fault]}, but these cases changed: {bad}"
