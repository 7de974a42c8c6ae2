"""Fault switches of the reference gateway.

Each switch makes the gateway break exactly one rule of the contract, so the
project's own tests can prove that the check guarding that rule can fail.
The switches are implemented as plain `if "<name>" in faults:` branches at the
point where the behaviour happens; this module only names and describes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    description: str  # one line: what the gateway does wrong
    rule: str  # the rule a conformance check reports when it catches this
    area: str


# How `respcheck faults` lists the class of drop switches (drop:reasoning.effort, drop:gateway.routing.optimize, ...).
DROP_TEMPLATE = "drop:<dotted.field>"

_FAULT_LIST = [
    # --- added to prove the rules no other switch reached ---
    Fault("error_headers_missing", "omits the X-Error-Type and X-Error-Retryable headers on errors",
          "header", "errors"),
    Fault("completed_with_incomplete_details", "says status completed while incomplete_details is set",
          "response.status", "responses"),
    Fault("tool_name_unoffered", "names its function calls after a tool the request did not offer",
          "tool.name", "tools"),
    Fault("logprobs_positive", "reports logprobs above 0", "logprobs.shape", "logprobs"),
    Fault("stream_error_code_wrong", "reports an upstream failure in the stream as code server_error",
          "stream.error_expected", "streaming"),
    Fault("chat_tool_name_unoffered", "names chat tool calls after a tool the request did not offer",
          "chat.tool_name", "chat"),
    Fault("chat_usage_missing", "omits usage from chat completions", "chat.usage.present", "chat"),
    Fault("routing_model_mismatch", "reports a `model` other than the model_canonical that served a routed request",
          "routing.model", "routing"),
    Fault("model_list_object_wrong", 'answers GET /v1/models with object "models" instead of "list"',
          "schema", "models"),
    # --- success responses ---
    Fault("success_status_202", "answers a successful request with HTTP 202 instead of 200",
          "status", "responses"),
    Fault("json_content_type_wrong", "sends JSON success bodies as text/plain",
          "content_type", "http"),
    Fault("request_id_missing", "omits the X-Request-ID header", "request_id", "http"),
    Fault("usage_missing", "omits the usage object", "usage.present", "usage"),
    Fault("usage_total_wrong", "reports total_tokens = input + output + 1", "usage.total", "usage"),
    Fault("response_id_unprefixed", "returns a response id without the resp_ prefix",
          "response.id_prefix", "responses"),
    Fault("created_at_string", "returns created_at as an ISO-8601 string, not Unix seconds",
          "response.schema", "responses"),
    Fault("object_wrong", 'returns object "chat.completion" instead of "response"',
          "response.schema", "responses"),
    Fault("metadata_dropped", "answers request metadata as {}", "field", "responses"),
    Fault("empty_output", "returns output: [] on a completed response", "response.output_empty", "responses"),
    Fault("response_body_null", "answers a successful non-stream POST /v1/responses with the JSON body null",
          "response.schema", "responses"),
    Fault("content_string", "returns message content as a plain string, chat style",
          "response.schema", "responses"),
    Fault("role_wrong", 'returns the output message with role "model"',
          "response.schema", "responses"),
    Fault("text_empty", "returns an empty output_text", "output.text", "responses"),
    # --- what reaches the model ---
    Fault("instructions_ignored", "does not pass instructions to the model", "output.text", "responses"),
    Fault("history_dropped", "passes only the last input message to the model", "output.text", "responses"),
    # --- error envelopes ---
    Fault("error_type_missing", "sends error envelopes without type", "error.envelope", "errors"),
    Fault("error_code_http_status", 'sets error code to the HTTP status as a string, e.g. "400"',
          "error.code_is_status", "errors"),
    Fault("error_param_missing", "always sets error param to null", "error.param", "errors"),
    Fault("error_not_json", 'sends error bodies as text/plain, e.g. "Bad Request"', "error.envelope", "errors"),
    Fault("missing_model_400_wrong_param", "names param input instead of model when model is missing",
          "error.param", "errors"),
    # --- status codes of rejected requests ---
    Fault("bad_json_500", "answers malformed JSON with 500 internal_error instead of 400",
          "status", "errors"),
    Fault("unknown_model_400", "answers an unknown model with 400 invalid_parameter_value instead of 404",
          "status", "errors"),
    Fault("unknown_field_ignored", "silently accepts unknown top-level fields", "status", "errors"),
    Fault("auth_ignored", "serves requests with a missing or invalid API key", "status", "auth"),
    Fault("unavailable_model_200", "serves the always-unavailable model instead of 503",
          "status", "routing"),
    # --- unsupported-by-design features silently accepted ---
    Fault("store_accepted", "serves store: true as a normal 200", "status", "unsupported"),
    Fault("previous_response_id_ignored", "ignores previous_response_id and answers 200",
          "status", "unsupported"),
    Fault("background_accepted", "serves background: true as a normal 200", "status", "unsupported"),
    Fault("file_input_accepted", "ignores input_file content and answers 200", "status", "unsupported"),
    Fault("audio_input_accepted", "ignores input_audio content and answers 200", "status",
          "unsupported"),
    # --- streaming (stream: true); see streaming.py ---
    Fault("stream_seq_missing", "sends text and refusal delta events without sequence_number",
          "stream.sequence_number", "streaming"),
    Fault("stream_seq_duplicate", "gives the 3rd event the same sequence_number as the 2nd",
          "stream.sequence_number", "streaming"),
    Fault("stream_seq_gap", "skips one sequence_number mid-stream (a jump by 2)",
          "stream.sequence_contiguous", "streaming"),
    Fault("stream_event_line_mismatch", "labels content_part.added with the event line response.content_part.done",
          "stream.event_line", "streaming"),
    Fault("stream_event_line_missing", "sends data lines without event: lines", "stream.event_line", "streaming"),
    Fault("stream_delta_dropped", "drops the last delta of the first content part; the .done text is complete",
          "stream.delta_join", "streaming"),
    Fault("stream_done_text_differs", "sends output_item.done with a text that differs from output_text.done",
          "stream.done_matches_item", "streaming"),
    Fault("stream_completed_empty_output", "sends the terminal event with response.output []",
          "stream.reconstruct", "streaming"),
    Fault("stream_item_added_missing", "never sends response.output_item.added", "stream.item_order", "streaming"),
    Fault("stream_part_added_missing", "never sends response.content_part.added", "stream.item_order", "streaming"),
    Fault("stream_item_done_missing", "never sends response.output_item.done", "stream.item_order", "streaming"),
    Fault("stream_two_terminals", "sends the terminal event twice", "stream.terminal", "streaming"),
    Fault("stream_event_after_terminal", "sends an empty output_text.delta after the terminal event",
          "stream.terminal", "streaming"),
    Fault("stream_no_terminal", "ends the stream cleanly without a terminal event", "stream.terminal", "streaming"),
    Fault("stream_done_sentinel", "sends data: [DONE] after the terminal event", "stream.done_sentinel", "streaming"),
    Fault("stream_chat_error_frame", 'sends a mid-stream failure as a chat-style data: {"error": ...} frame',
          "stream.error_event", "streaming"),
    Fault("stream_error_not_failed",
          "ends a stream that sent an error event with response.completed (status completed)",
          "stream.error_event", "streaming"),
    Fault("stream_truncation_completed", "ends a truncated answer with response.completed, not response.incomplete",
          "stream.sequence", "streaming"),
    Fault("stream_usage_missing", "sends the terminal response without usage", "usage.present", "streaming"),
    Fault("stream_first_event_wrong", "omits response.created; response.in_progress comes first",
          "stream.first_event", "streaming"),
    Fault("stream_wrong_content_type", "sends the event stream as application/json",
          "stream.content_type", "streaming"),
    Fault("stream_stall", "stops sending after 3 events and holds the connection open until the client or the server gives up",
          "stream.stall", "streaming"),
    Fault("stream_cut", "drops the connection after 3 events, mid-body", "stream.cut", "streaming"),
    Fault("stream_index_mismatch", "sends text and refusal deltas with output_index 1 instead of 0",
          "stream.indexes", "streaming"),
    Fault("stream_item_id_mismatch", "sends text and refusal deltas with another item_id",
          "stream.indexes", "streaming"),
    Fault("stream_bad_json", "sends an extra, unnumbered delta frame whose data line is not JSON",
          "stream.json", "streaming"),
    Fault("stream_event_schema", "sends text and refusal deltas with delta as a number",
          "stream.event_schema", "streaming"),
    Fault("stream_unknown_event", "sends an extra response.keepalive event after response.in_progress",
          "stream.unknown_event", "streaming"),
    Fault("stream_created_usage", 'sends response.created with a snapshot whose status is "completed"',
          "stream.lifecycle", "streaming"),
    # --- function tools; see tools.py ---
    Fault("tools_dropped", "ignores tools: answers in text, never calls one", "output.items", "tools"),
    Fault("tool_choice_none_ignored", "calls a tool the message names although tool_choice is none",
          "tool.choice", "tools"),
    Fault("tool_choice_forced_ignored", "calls the first tool of the list instead of the one tool_choice forces",
          "tool.choice", "tools"),
    Fault("tool_required_ignored", "answers in text when tool_choice is required and the message names no tool",
          "tool.choice", "tools"),
    Fault("tool_parallel_ignored", "returns every call although parallel_tool_calls is false",
          "tool.parallel", "tools"),
    Fault("tool_arguments_invalid_json", "cuts the closing brace off the arguments string", "tool.arguments", "tools"),
    Fault("tool_arguments_schema_violation", "leaves the first required property out of the arguments",
          "tool.arguments", "tools"),
    Fault("tool_call_chat_shape", 'nests name and arguments chat-style: {"type": "function_call", "function": {...}}',
          "tool.chat_shape", "tools"),
    Fault("tool_output_ignored", "ignores a function_call_output: the round trip answers the default sentence",
          "output.text", "tools"),
    Fault("stream_tool_arguments_mismatch", "never streams the last function_call_arguments.delta; .done is complete",
          "stream.delta_join", "tools"),
    # --- structured output; see structured.py ---
    Fault("structured_output_ignored", "ignores a json_schema text.format: answers plain text",
          "structured.schema", "structured"),
    Fault("structured_schema_violated", "leaves the first required property out of the json_schema document",
          "structured.schema", "structured"),
    Fault("json_object_ignored", "ignores a json_object text.format: answers plain text", "structured.json",
          "structured"),
    # --- vision; see vision.py ---
    Fault("vision_image_dropped", 'drops images before the model: it answers "I see no image."', "output.text",
          "vision"),
    Fault("vision_text_model_accepts", "serves an image to a model without vision (200, blind) instead of 400",
          "status", "vision"),
    # --- reasoning; see reasoning.py ---
    Fault("reasoning_dropped", "ignores reasoning on the reasoning model: no reasoning item, reasoning_tokens 0",
          "output.items", "reasoning"),
    Fault("reasoning_effort_minimal_rejected", 'rejects reasoning.effort "minimal" with 400 invalid_parameter_value',
          "status", "reasoning"),
    Fault("reasoning_tokens_missing", "shows a reasoning item but reports reasoning_tokens 0",
          "reasoning.tokens", "reasoning"),
    Fault("stream_reasoning_summary_missing",
          "streams no reasoning summary part/text events, though the done reasoning item has the summary",
          "stream.done_matches_item", "reasoning"),
    # --- token logprobs; see logprobs.py ---
    Fault("logprobs_dropped", "answers include message.output_text.logprobs with logprobs: []", "field", "logprobs"),
    Fault("logprobs_top_too_many", "lists top_logprobs + 1 alternatives per token", "logprobs.top_count",
          "logprobs"),
    Fault("logprobs_tokens_wrong", "alters the last logprob token, so the tokens no longer join to the text",
          "logprobs.join", "logprobs"),
    Fault("logprobs_ignore_include", "returns logprobs for top_logprobs without the include", "field", "logprobs"),
    # --- prompt caching; see cache.py ---
    Fault("cache_ignored", "reports cached_tokens 0 on a repeated prompt", "field", "caching"),
    Fault("cache_tokens_exceed", "reports cached_tokens = input_tokens + 5 on a cache hit", "usage.details",
          "caching"),
    # --- truncation (max_output_tokens) ---
    Fault("truncation_reported_completed",
          "reports a truncated non-streaming answer as completed, incomplete_details null", "field", "truncation"),
    Fault("truncation_usage_missing", "omits usage from an incomplete (truncated) response", "usage.present",
          "truncation"),
    # --- chat completions; see chat.py and chat_streaming.py ---
    Fault("chat_usage_total_wrong", "reports chat total_tokens = prompt + completion + 1", "chat.usage.total", "chat"),
    Fault("chat_tool_call_flat", "returns chat tool_calls flat, {id, type, name, arguments}, without function",
          "chat.schema", "chat"),
    Fault("chat_tool_arguments_invalid", "cuts the closing brace off chat tool call arguments",
          "chat.tool_arguments", "chat"),
    Fault("chat_tool_result_ignored", "drops role tool messages before the model", "output.text", "chat"),
    Fault("chat_response_format_ignored", "ignores response_format on chat: answers prose",
          "structured.schema", "chat"),
    Fault("chat_vision_dropped", "drops image_url parts of chat messages before the model", "output.text", "chat"),
    Fault("chat_reasoning_effort_dropped",
          "drops reasoning_effort on chat: the reasoning model runs without reasoning (reasoning_tokens 0)",
          "field", "chat"),
    Fault("chat_stream_no_done", "ends chat streams without data: [DONE]", "chat.stream.done", "chat"),
    Fault("chat_stream_no_finish_reason", "sends no chat chunk with a finish_reason", "chat.stream.finish_reason",
          "chat"),
    Fault("chat_stream_no_usage_chunk", "sends no usage chunk at the end of chat streams", "chat.stream.usage",
          "chat"),
    Fault("chat_stream_error_as_event", 'sends a chat mid-stream failure as a Responses-style {"type": "error"} frame',
          "chat.stream.error", "chat"),
    Fault("chat_stream_tool_index_wrong", "streams the first tool call's argument fragments with index 1",
          "chat.stream.tool_calls", "chat"),
    Fault("chat_chunk_object_wrong", 'sends chat chunks with object "chat.completion"', "chat.stream.chunk_schema",
          "chat"),
    Fault("chat_stream_text_differs", "never sends the last content delta of a chat stream",
          "output.text", "chat"),
    Fault("response_api_only_served", "serves a chat request to a responses-only model with 200", "status", "chat"),
    Fault("response_api_only_wrong_code", "refuses chat to a responses-only model with code model_not_found",
          "error.code", "chat"),
    # --- routing; see routing.py ---
    Fault("fallback_not_followed", "answers 503 in fallback mode when the first model is unavailable",
          "status", "routing"),
    Fault("fallback_reports_requested_model",
          "names the first requested model in model and model_canonical when the next one served",
          "field", "routing"),
    Fault("allow_fallbacks_ignored", "falls back to the next model although allow_fallbacks is false",
          "status", "routing"),
    Fault("optimize_cost_ignored", "serves optimize cost (and the cost-focus default) by the most expensive provider",
          "routing.cheapest", "routing"),
    Fault("providers_ignored", "ignores the gateway.routing.providers allowlist", "routing.providers", "routing"),
    Fault("exclude_providers_ignored", "ignores gateway.routing.exclude_providers", "routing.providers", "routing"),
    Fault("routing_metadata_missing", "omits routing_metadata from non-streamed answers of both endpoints",
          "routing.metadata", "routing"),
    Fault("stream_routing_metadata_missing", "omits routing_metadata from the streams of both endpoints",
          "routing.metadata", "routing"),
    Fault("model_and_gateway_models_accepted", "serves a request with both model and gateway.models (model wins)",
          "status", "routing"),
    # --- model listing and directory; see catalog.py ---
    Fault("models_list_includes_responses_only", "lists the responses-only model in the default GET /v1/models",
          "models.listing", "models"),
    Fault("models_responses_listing_incomplete", "leaves the responses-only model out of ?endpoint=responses",
          "models.listing", "models"),
    Fault("directory_claims_chat_for_responses_only",
          "says in the directory that the responses-only model supports chat_completions (chat still refuses it)",
          "models.endpoints", "models"),
    Fault("directory_claims_vision_falsely", "says in the directory that ref-text-2 has vision (it refuses images)",
          "models.capabilities", "models"),
    Fault("model_entry_404", "answers GET /v1/models/{id} with 404 for a listed model", "status", "models"),
    Fault("models_list_claims_chat_for_responses_only",
          "lists the responses-only model under ?endpoint=responses with supported_endpoints including chat_completions",
          "models.listing", "models"),
    Fault("models_list_endpoints_missing", "leaves supported_endpoints out of every GET /v1/models entry",
          "models.listing", "models"),
    # --- the request echoed in the Response, and effects an echo could hide ---
    Fault("echo_tools_empty", "echoes tools: [] in the Response although tools were sent (and used)",
          "request.echo", "responses"),
    Fault("echo_prompt_cache_key_missing", "echoes prompt_cache_key null although one was sent",
          "request.echo", "caching"),
    Fault("reasoning_effort_ignored",
          "runs every reasoning request at the default effort, while echoing the effort that was sent",
          "field", "reasoning"),
    # --- the connection ---
    Fault("keepalive_closed_after_error",
          "closes a kept-alive connection, unanswered, when a request arrives on it after an error answer",
          "transport", "http"),
    # --- request fields: an effect or echo for each (cases/responses/fields.yaml) ---
    Fault("max_tool_calls_ignored", "makes every call the prompt asks for, beyond max_tool_calls",
          "tool.max_calls", "fields"),
    Fault("verbosity_ignored", "answers at medium verbosity whatever text.verbosity asks (the echo is right)",
          "field", "fields"),
    Fault("service_tier_ignored", "serves every request at the default tier and reports default, whatever was asked",
          "field", "fields"),
    Fault("service_tier_auto_echoed", "reports service_tier auto, the word of the request, not the tier that served",
          "field", "fields"),
    Fault("echo_safety_identifier_missing", "echoes safety_identifier as null", "request.echo", "fields"),
    Fault("encrypted_content_missing", "leaves encrypted_content off the reasoning item although include asks for it",
          "field", "fields"),
    Fault("include_unknown_accepted", "accepts an include value the API does not know (200) instead of 400",
          "status", "fields"),
    Fault("effort_none_ignored", "reasons at the default effort when reasoning.effort is none (the echo says none)",
          "output.items", "fields"),
    Fault("effort_xhigh_rejected", 'rejects reasoning.effort "xhigh" with 400 invalid_parameter_value',
          "status", "fields"),
    Fault("input_wrong_type_500", "answers an input that is neither a string nor a list (input: 42) with 500",
          "status", "fields"),
    # --- stateful API (respcheck serve --stateful, profile reference-stateful); see stateful.py ---
    Fault("retrieve_output_differs", "GET /v1/responses/{id} returns an output text other than the one created",
          "field", "state"),
    Fault("retrieve_include_ignored", "GET /v1/responses/{id} ignores include (no token logprobs)", "field", "state"),
    Fault("retrieve_stream_ignored", "answers GET /v1/responses/{id}?stream=true with JSON, not the replayed events",
          "stream.content_type", "state"),
    Fault("delete_keeps_response", "DELETE /v1/responses/{id} answers deleted, yet GET still returns it", "status",
          "state"),
    Fault("store_false_stored", "stores a store: false response: GET returns it", "status", "state"),
    Fault("input_items_order_wrong", "lists input and conversation items in the opposite of the order asked",
          "field", "state"),
    Fault("input_items_has_more_wrong", "says has_more false on every page of a list", "field", "state"),
    Fault("input_items_after_ignored", "ignores a list's after cursor: every page starts at the first item",
          "field", "state"),
    Fault("background_never_completes", "leaves a background response in_progress however often it is polled",
          "field", "state"),
    Fault("background_completed_at_once", "answers background: true with the completed response at once",
          "field", "state"),
    Fault("cancel_finished_succeeds", "cancels a foreground (finished) response with 200 instead of 400",
          "status", "state"),
    Fault("cancel_ignored", "answers a cancel of a background response without cancelling it", "field", "state"),
    Fault("previous_response_id_dropped", "stores responses but answers previous_response_id without the history",
          "output.text", "state"),
    Fault("function_call_output_unmatched",
          "forgets the stored function calls: a function_call_output answering one is refused with 400",
          "status", "state"),
    Fault("unknown_previous_accepted", "serves an unknown previous_response_id as a fresh conversation (200)",
          "status", "state"),
    Fault("conversation_items_missing", "lists a conversation's items without the responses' output", "field",
          "state"),
    Fault("input_tokens_wrong", "counts one input token more than the response's usage says", "field", "state"),
    Fault("compact_context_lost", "makes compaction items that carry nothing: the next turn has lost the context",
          "output.text", "state"),
    Fault("not_found_envelope_wrong", 'answers an unknown stored id 404 with {"detail": "Not Found"}',
          "error.envelope", "state"),
    # --- a class of switches: one per request field (see DROP_PREFIX) ---
    Fault(DROP_TEMPLATE,
          "removes that request field at the door, before anything reads it (echo included), on both endpoints, "
          "e.g. drop:reasoning.effort; the rule that catches it depends on the field (tests/test_silent_drops.py)",
          "request.echo", "requests"),
]
# The areas of the seed's feature table; their faults are proven in tests/test_reference_features.py.
FEATURE_AREAS = frozenset({"tools", "structured", "vision", "reasoning", "logprobs", "caching", "truncation"})
# Chat Completions, routing and the model endpoints; their faults are proven in tests/test_reference_routing.py.
GATEWAY_AREAS = frozenset({"chat", "routing", "models"})
# Request fields with an effect or echo; their faults are proven in tests/test_reference_fields.py.
FIELD_AREAS = frozenset({"fields"})
# The stateful API; its faults are proven with --profile reference-stateful (tests/test_faults.py, STATEFUL_EXPECTED).
STATE_AREAS = frozenset({"state"})

FAULTS: dict[str, Fault] = {fault.name: fault for fault in _FAULT_LIST}
# `drop:<dotted.field>` names a field path of the request body: a.b.c, each part a JSON key of letters,
# digits and underscores. The template itself (listed in FAULTS for `respcheck faults`) is not a switch.
DROP_PREFIX = "drop:"
_DROP = re.compile(r"drop:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def is_drop(name: str) -> bool:
    return bool(_DROP.fullmatch(name))


def dropped_fields(faults: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """The field paths the active drop switches remove, each split into its keys."""
    return tuple(tuple(name[len(DROP_PREFIX):].split(".")) for name in sorted(faults) if is_drop(name))


def switches(faults: Iterable[str]) -> frozenset[str]:
    """The named switches among `faults` (the drop switches are applied at the door, see app.py)."""
    return frozenset(name for name in faults if not is_drop(name))


def validate_faults(names: Iterable[str]) -> frozenset[str]:
    """Return the names as a frozenset; raise ValueError naming the valid ones on a typo."""
    if isinstance(names, str):  # a lone name, not an iterable of characters
        names = [names]
    chosen = frozenset(names)
    unknown = sorted(name for name in chosen if (name not in FAULTS or name == DROP_TEMPLATE) and not is_drop(name))
    if unknown:
        raise ValueError(
            f"unknown fault(s): {', '.join(unknown)}; valid faults: {', '.join(sorted(FAULTS))} "
            f"(drop:<dotted.field> with a real field path, e.g. drop:reasoning.effort)"
        )
    return chosen
