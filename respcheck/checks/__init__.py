"""The catalogue of checks, in the order they run on one exchange.

Each check is a plain function CheckContext -> list[Failure]; none knows
about pytest. Universal checks decide for themselves whether they apply
(e.g. Response rules only on a 2xx answer of POST /responses).
"""

from __future__ import annotations

from .body import check_fields, check_output, check_schema
from .chat import check_chat_schema, check_chat_structured, check_chat_tool_calls, check_chat_usage
from .context import CheckContext
from .echo import check_request_echo
from .envelope import check_error_envelope, check_expected_error
from .response import (check_json_body, check_output_present, check_response_schema, check_status_consistency,
                       check_usage)
from .logprobs import check_logprobs
from .models import check_listings
from .reasoning import check_reasoning_tokens
from .routing import check_cheapest, check_routing_metadata, check_routing_request
from .status import check_headers, check_request_id, check_status, is_redirect
from .structured import check_structured_output
from .tools import check_chat_shape, check_tool_calls

CHECKS = (
    check_status,
    check_headers,
    check_request_id,
    check_error_envelope,
    check_expected_error,
    check_json_body,
    check_response_schema,
    check_usage,
    check_status_consistency,
    check_output_present,
    check_request_echo,
    check_chat_shape,
    check_tool_calls,
    check_structured_output,
    check_logprobs,
    check_reasoning_tokens,
    check_chat_schema,
    check_chat_usage,
    check_chat_tool_calls,
    check_chat_structured,
    check_routing_metadata,
    check_routing_request,
    check_cheapest,
    check_listings,
    check_schema,
    check_fields,
    check_output,
)

# Rules a case may switch off with `skip_rules`, and what each checks.
RULES = {
    "transport": "the request got a complete HTTP answer within the timeout and size limits",
    "template": "every {{placeholder}} in the case could be filled in",
    "status": "the HTTP status is the expected one",
    "header": "an expected response header matches",
    "content_type": "the Content-Type is the expected one (JSON answers are application/json)",
    "request_id": "every answer carries the profile's request-id header",
    "error.content_type": "error answers are application/json",
    "error.envelope": "error answers follow {error: {message, type, code, param}}",
    "error.code_is_status": "error code names the error instead of repeating the HTTP status",
    "error.type": "the error type is the expected one",
    "error.code": "the error code is the expected one",
    "error.param": "the error param is the expected one",
    "error.message": "the error message matches",
    "body.json": "a JSON answer parses",
    "response.schema": "a Response validates against schemas/response.schema.json",
    "response.id_prefix": "Response ids carry the profile's prefix",
    "response.status": "status agrees with error and incomplete_details",
    "response.output_empty": "a completed Response has at least one output item",
    "request.echo": "a setting the Response echoes (reasoning, tools, text.format, ...) equals what the request sent",
    "usage.present": "a finished Response reports usage",
    "usage.total": "total_tokens = input_tokens + output_tokens",
    "usage.details": "cached_tokens <= input_tokens and reasoning_tokens <= output_tokens",
    "tool.chat_shape": "no Chat Completions tool-call shape (nested function / tool_calls) in the output",
    "tool.name": "a function call names a tool the request offered",
    "tool.arguments": "call arguments are a JSON object valid under the tool's parameters",
    "tool.choice": "tool_choice none / required / a forced function is obeyed",
    "tool.parallel": "parallel_tool_calls false gives at most one call",
    "tool.max_calls": "no more function calls than max_tool_calls",
    "structured.schema": "with text.format json_schema the output text is JSON valid under that schema",
    "structured.json": "with text.format json_object the output text is a JSON object",
    "logprobs.shape": "logprob entries are well formed (logprob <= 0)",
    "logprobs.top_count": "no more top_logprobs than asked for",
    "logprobs.join": "logprob tokens join to the part's text",
    "reasoning.tokens": "reasoning items come with reasoning_tokens > 0 in usage",
    "chat.schema": "a chat completion validates against schemas/chat-completion.schema.json",
    "chat.usage.present": "a chat completion reports usage",
    "chat.usage.total": "total_tokens = prompt_tokens + completion_tokens",
    "chat.tool_name": "a chat tool call names a tool the request offered",
    "chat.tool_arguments": "chat tool-call arguments are JSON valid under the tool's parameters",
    "chat.stream.chunk_schema": "every chat chunk validates against schemas/chat-chunk.schema.json, one id and model",
    "chat.stream.done": "a chat stream ends with data: [DONE] (nothing after it)",
    "chat.stream.finish_reason": "exactly one finish_reason in a chat stream",
    "chat.stream.usage": "a usage chunk when include_usage was asked (or the profile says always)",
    "chat.stream.error": "a mid-stream error is a data: {\"error\": {...}} frame",
    "chat.stream.tool_calls": "tool-call deltas start with id and name, use indexes 0..n-1, join to JSON",
    "routing.metadata": "every answer says who served it (routing_metadata, or the profile's headers)",
    "routing.model": "the serving model is among gateway.models and is what `model` reports",
    "routing.providers": "providers / exclude_providers are obeyed",
    "routing.cheapest": "optimize cost is served by the cheapest eligible provider of the directory",
    "models.listing": "the model listings agree with the directory's supported_endpoints",
    "stream.error_expected": "the stream carries the error the case expects",
    "schema": "the body validates against the case's schema",
    "field": "a body field matches the case's matcher",
    "output.items": "the expected output items are present",
    "output.text": "the output text matches",
    "capture": "a value to capture from a step is there",
}


# Expectations on a success body; when an error came back instead, the status
# rule has said all there is to say.
_BODY_CHECKS = (check_schema, check_fields, check_output)


def run_checks(ctx: CheckContext, skip_rules: frozenset[str] = frozenset()) -> list:
    if is_redirect(ctx) and ctx.exchange.status not in _expected_statuses(ctx):
        # A redirect is no error answer: the envelope rules do not apply, the status rule says where it points.
        return [f for f in check_status(ctx) if f.rule not in skip_rules]
    failures = []
    for check in CHECKS:
        if check in _BODY_CHECKS and not ctx.ok_status and any(f.rule == "status" for f in failures):
            continue
        failures.extend(f for f in check(ctx) if f.rule not in skip_rules)
    return failures


def _expected_statuses(ctx: CheckContext) -> list:
    expected = ctx.expect.get("status", 200)
    return expected if isinstance(expected, list) else [expected]


__all__ = ["CHECKS", "RULES", "CheckContext", "run_checks"]
