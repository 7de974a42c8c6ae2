"""From a validated request to the final Response object.

`build_response` is the one place the final Response dict is made (its `output`
comes from `output.generate`, who serves it from `routing.route`); `streaming`
replays that dict as server-sent events, and `chat` maps it to a chat
completion, so streamed, plain and chat answers agree. The body-level fault
switches are applied at the end of it, in plain sight. The server's
`PromptCache` is passed in so that cached input tokens can be reported.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone

from . import engine, output, reasoning, routing, service_tier, tools
from .cache import PromptCache, cached_tokens
from .catalog import Model
from .errors import ApiError
from .request import ParsedRequest, parse_request
from .streaming import reported_as_completed


def prepare_response(body: dict, faults: frozenset[str], cache: PromptCache | None = None) -> dict:
    """Validate the request and build its final Response, whatever its status (a stream replays it)."""
    parsed = parse_request(body, faults)
    chosen = routing.route(parsed, faults)
    return build_response(parsed, chosen.model, faults, cache, chosen)


def create_response(body: dict, faults: frozenset[str], cache: PromptCache | None = None) -> dict:
    """The non-streaming answer: an upstream failure becomes HTTP 502 instead of a failed Response."""
    response = prepare_response(body, faults, cache)
    if response.get("status") == "failed":
        error = response["error"]
        raise ApiError(502, "api_error", error["code"], error["message"])
    if "truncation_reported_completed" in faults and response.get("status") == "incomplete":
        response = reported_as_completed(response)
    if "routing_metadata_missing" in faults:
        del response["routing_metadata"]
    return response


def resolve_model(parsed: ParsedRequest, faults: frozenset[str]) -> Model:
    """The model that serves the request (see `routing.route`)."""
    return routing.route(parsed, faults).model


def build_response(parsed: ParsedRequest, model: Model, faults: frozenset[str],
                   cache: PromptCache | None = None, chosen: routing.Route | None = None) -> dict:
    """The Response of `model` (served as `chosen` decided; by default routed within that model)."""
    request = parsed.body
    if chosen is None or chosen.model is not model:
        chosen = routing.route(parsed, faults, only=model)
    out = output.generate(parsed, model, faults)
    status = out.status
    message = out.message

    # Usage counts what the client sent, even when a fault keeps it from the model,
    # and the text actually returned.
    usage = engine.usage(parsed.instructions, parsed.messages, " ".join(text for _, text in out.parts),
                         extra_output_tokens=out.call_tokens, reasoning_tokens=out.reasoning_tokens)
    if cache is not None:
        hit = cache.visit(request.get("prompt_cache_key"), model.id, [parsed.instructions, parsed.messages])
        usage["input_tokens_details"]["cached_tokens"] = cached_tokens(hit, usage["input_tokens"], faults)

    now = int(time.time())
    body = {
        "id": f"resp_{secrets.token_hex(12)}",
        "object": "response",
        "created_at": now,
        "status": status,
        "completed_at": now if status == "completed" else None,
        "model": chosen.reported_model,
        "output": out.items,
        "usage": usage,
        "error": {"code": "upstream_error", "message": engine.UPSTREAM_FAILURE_MESSAGE} if status == "failed" else None,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "instructions": parsed.instructions,
        "metadata": request.get("metadata") or {},
        "tools": [tools.echo(tool) for tool in request.get("tools") or []],
        "tool_choice": request.get("tool_choice", "auto"),
        "parallel_tool_calls": request.get("parallel_tool_calls", True),
        "temperature": request.get("temperature", 1.0),
        "top_p": request.get("top_p", 1.0),
        "text": {"format": {"type": "text"}, **(request.get("text") or {})},
        "reasoning": reasoning.echo(request, out.effort),
        "max_output_tokens": request.get("max_output_tokens"),
        "max_tool_calls": request.get("max_tool_calls"),
        "top_logprobs": request.get("top_logprobs", 0),
        "prompt_cache_key": request.get("prompt_cache_key"),
        "safety_identifier": request.get("safety_identifier"),
        "user": request.get("user"),
        "store": False,
        "previous_response_id": None,
        "background": False,
        "truncation": request.get("truncation") or "disabled",
        "service_tier": service_tier.used(request, faults),
        "routing_metadata": chosen.metadata(usage["input_tokens"], usage["output_tokens"]),
    }

    # Body-level fault switches: each breaks one field and nothing else.
    if "usage_missing" in faults:
        del body["usage"]
    if "usage_total_wrong" in faults:
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"] + 1
    if "metadata_dropped" in faults:
        body["metadata"] = {}
    if "empty_output" in faults:
        body["output"] = []
    if "response_id_unprefixed" in faults:
        body["id"] = body["id"].removeprefix("resp_")
    if "created_at_string" in faults:
        body["created_at"] = datetime.fromtimestamp(now, timezone.utc).isoformat()
    if "object_wrong" in faults:
        body["object"] = "chat.completion"
    if "content_string" in faults and message is not None:
        message["content"] = "".join(text for _, text in out.parts)
    if "role_wrong" in faults and message is not None:
        message["role"] = "model"
    if "truncation_usage_missing" in faults and status == "incomplete":
        del body["usage"]
    if "completed_with_incomplete_details" in faults and status == "completed":
        body["incomplete_details"] = {"reason": "max_output_tokens"}
    if "echo_tools_empty" in faults:
        body["tools"] = []
    if "echo_prompt_cache_key_missing" in faults:
        body["prompt_cache_key"] = None
    if "echo_safety_identifier_missing" in faults:
        body["safety_identifier"] = None
    if "routing_model_mismatch" in faults and (parsed.body.get("gateway") or {}).get("models"):
        body["model"] = body["model"] + "-latest"  # an alias, while routing_metadata names the real model
    return body
