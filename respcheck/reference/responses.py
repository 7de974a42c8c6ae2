"""From a validated request to the final Response object.

`build_response` is the one place the final Response dict is made (its `output`
comes from `output.generate`); `streaming` replays that dict as server-sent
events, so streamed and plain answers agree. The body-level fault switches are
applied at the end of it, in plain sight. The server's `PromptCache` is passed in
so that cached input tokens can be reported.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone

from . import engine, output, reasoning
from .cache import PromptCache, cached_tokens
from .catalog import MODELS, Model, cost_usd
from .errors import ApiError, invalid
from .request import ParsedRequest, parse_request
from .streaming import reported_as_completed

ROUTING_STRATEGY = "cost-focus"  # Auriko's default `gateway.routing.optimize`


def prepare_response(body: dict, faults: frozenset[str], cache: PromptCache | None = None) -> dict:
    """Validate the request and build its final Response, whatever its status (a stream replays it)."""
    parsed = parse_request(body, faults)
    model = resolve_model(parsed, faults)
    return build_response(parsed, model, faults, cache)


def create_response(body: dict, faults: frozenset[str], cache: PromptCache | None = None) -> dict:
    """The non-streaming answer: an upstream failure becomes HTTP 502 instead of a failed Response."""
    response = prepare_response(body, faults, cache)
    if response.get("status") == "failed":
        error = response["error"]
        raise ApiError(502, "api_error", error["code"], error["message"])
    if "truncation_reported_completed" in faults and response.get("status") == "incomplete":
        response = reported_as_completed(response)
    return response


def resolve_model(parsed: ParsedRequest, faults: frozenset[str]) -> Model:
    """The requested model, or with gateway.models the first available one (routing comes later)."""
    param = "model" if "model" in parsed.body else "gateway.models"
    known = [MODELS[model_id] for model_id in parsed.models if model_id in MODELS]
    if not known:
        missing = parsed.models[0]
        if "unknown_model_400" in faults:
            raise invalid("invalid_parameter_value", f"Invalid model: '{missing}'.", param)
        raise ApiError(404, "not_found_error", "model_not_found",
                       f"The model '{missing}' does not exist.", param)
    available = [model for model in known if model.available]
    if available:
        return available[0]
    if "unavailable_model_200" in faults:
        return known[0]
    raise ApiError(503, "api_error", "no_provider_available",
                   f"No provider is currently available for '{known[0].id}'.")


def build_response(parsed: ParsedRequest, model: Model, faults: frozenset[str],
                   cache: PromptCache | None = None) -> dict:
    request = parsed.body
    provider = model.cheapest_provider()
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
        "model": model.id,
        "output": out.items,
        "usage": usage,
        "error": {"code": "upstream_error", "message": engine.UPSTREAM_FAILURE_MESSAGE} if status == "failed" else None,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "instructions": parsed.instructions,
        "metadata": request.get("metadata") or {},
        "tools": request.get("tools") or [],
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
        "service_tier": "default",
        "routing_metadata": {
            "provider": provider.name,
            "provider_model_id": provider.provider_model_id(model.id),
            "model_canonical": model.id,
            "routing_strategy": ROUTING_STRATEGY,
            "cost": {"usd": cost_usd(provider, usage["input_tokens"], usage["output_tokens"])},
        },
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
    return body
