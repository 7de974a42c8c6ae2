"""Validating a `POST /v1/responses` body and turning its input into (role, text) messages.

Everything here raises `ApiError`; the order of the checks decides which error
a request with several problems gets: unknown fields, model, types, features
the gateway refuses by design, then the input items.
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine import Message
from .errors import ApiError, invalid

KNOWN_FIELDS = frozenset({
    "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "text",
    "reasoning", "top_logprobs", "include", "prompt_cache_key", "max_output_tokens",
    "max_tool_calls", "temperature", "top_p", "metadata", "stream", "stream_options", "store",
    "previous_response_id", "background", "user", "safety_identifier", "truncation", "gateway",
    "extensions", "service_tier", "frequency_penalty", "presence_penalty", "top_k",
    "conversation", "prompt",
})
MESSAGE_ROLES = frozenset({"user", "assistant", "system", "developer"})
TEXT_PARTS = frozenset({"input_text", "output_text"})
IGNORED_PARTS = frozenset({"input_image", "refusal"})  # accepted; images are not looked at yet
IGNORED_ITEMS = frozenset({"function_call", "function_call_output", "reasoning"})
MAX_GATEWAY_MODELS = 10

# Optional fields checked by JSON type only (null always allowed).
_TYPES: dict[str, type | tuple[type, ...]] = {
    "instructions": str, "tools": list, "tool_choice": (str, dict), "parallel_tool_calls": bool,
    "text": dict, "reasoning": dict, "include": list, "prompt_cache_key": str, "stream": bool,
    "stream_options": dict, "store": bool, "background": bool, "user": str,
    "safety_identifier": str, "truncation": str, "extensions": dict, "service_tier": str,
}
# Optional string fields with a closed set of values (tool_choice may also be an object).
_CHOICES = {"truncation": ("auto", "disabled"), "tool_choice": ("none", "auto", "required")}
# Optional numeric fields: (minimum, maximum or None, integers only).
_RANGES: dict[str, tuple[float, float | None, bool]] = {
    "temperature": (0, 2, False), "top_p": (0, 1, False), "top_logprobs": (0, 20, True),
    "max_output_tokens": (1, None, True), "max_tool_calls": (1, None, True),
    "frequency_penalty": (-2, 2, False), "presence_penalty": (-2, 2, False), "top_k": (0, None, True),
}


@dataclass
class ParsedRequest:
    body: dict  # the request as sent, echoed back in the Response
    models: list[str]  # [model], or gateway.models in order
    instructions: str | None
    messages: list[Message]


def _bad_value(param: str, message: str) -> ApiError:
    return invalid("invalid_parameter_value", message, param)


def _not_allowed(param: str, message: str) -> ApiError:
    return invalid("operation_not_allowed", message, param)


def parse_request(body: dict, faults: frozenset[str]) -> ParsedRequest:
    _check_fields(body, faults)
    models = _requested_models(body, faults)
    if "input" not in body:
        raise invalid("missing_required_parameter", "Missing required parameter: 'input'.", "input")
    _check_types(body)
    _check_refused_features(body, faults)
    messages = parse_input(body["input"], faults)
    return ParsedRequest(body, models, body.get("instructions"), messages)


def _check_fields(body: dict, faults: frozenset[str]) -> None:
    unknown = [name for name in body if name not in KNOWN_FIELDS]
    if unknown and "unknown_field_ignored" not in faults:
        raise invalid("unknown_field", f"Unknown parameter: '{unknown[0]}'.", unknown[0])


def _requested_models(body: dict, faults: frozenset[str]) -> list[str]:
    gateway = body.get("gateway")
    if gateway is not None and not isinstance(gateway, dict):
        raise _bad_value("gateway", "'gateway' must be an object.")
    gateway_models = (gateway or {}).get("models")
    if "model" in body and gateway_models is not None:
        raise _bad_value("gateway.models", "Send either 'model' or 'gateway.models', not both.")
    if gateway_models is not None:
        if (not isinstance(gateway_models, list) or not gateway_models
                or len(gateway_models) > MAX_GATEWAY_MODELS
                or not all(isinstance(m, str) and m for m in gateway_models)):
            raise _bad_value("gateway.models",
                             f"'gateway.models' must be a list of 1 to {MAX_GATEWAY_MODELS} model ids.")
        return list(gateway_models)
    if "model" not in body:
        param = "input" if "missing_model_400_wrong_param" in faults else "model"
        raise invalid("missing_required_parameter",
                      "Missing required parameter: 'model' (or 'gateway.models').", param)
    model = body["model"]
    if not isinstance(model, str) or not model:
        raise _bad_value("model", "'model' must be a non-empty string.")
    return [model]


def _check_types(body: dict) -> None:
    value = body["input"]
    if not isinstance(value, (str, list)):
        raise _bad_value("input", "'input' must be a string or a list of input items.")
    if isinstance(value, list) and not value:
        raise _bad_value("input", "'input' must not be an empty list.")
    for name, expected in _TYPES.items():
        if body.get(name) is not None and not isinstance(body[name], expected):
            raise _bad_value(name, f"'{name}' has the wrong type.")
    for name, allowed in _CHOICES.items():
        if isinstance(body.get(name), str) and body[name] not in allowed:
            raise _bad_value(name, f"'{name}' must be one of {', '.join(allowed)}.")
    for name, (low, high, integer) in _RANGES.items():
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
            raise _bad_value(name, f"'{name}' must be {'an integer' if integer else 'a number'}.")
        if value < low or (high is not None and value > high):
            upper = f" and at most {high}" if high is not None else ""
            raise _bad_value(name, f"'{name}' must be at least {low}{upper}.")
    metadata = body.get("metadata")
    if metadata is not None and not (
        isinstance(metadata, dict) and len(metadata) <= 16
        and all(isinstance(k, str) and len(k) <= 64 and isinstance(v, str) and len(v) <= 512
                for k, v in metadata.items())
    ):
        raise _bad_value("metadata", "'metadata' must map at most 16 string keys to string values.")


def _check_refused_features(body: dict, faults: frozenset[str]) -> None:
    """The gateway is stateless and synchronous by design (see the seed page)."""
    if body.get("store") is True and "store_accepted" not in faults:
        raise _not_allowed("store", "store: true is not supported; omit it or send false.")
    if body.get("previous_response_id") is not None and "previous_response_id_ignored" not in faults:
        raise _not_allowed("previous_response_id",
                           "previous_response_id is not supported; send the full conversation.")
    if body.get("background") is True and "background_accepted" not in faults:
        raise _not_allowed("background", "background: true is not supported.")


def _check_media(kind: str, faults: frozenset[str]) -> None:
    """File and audio inputs are refused with operation_not_allowed (unless a fault ignores them)."""
    if kind == "input_file" and "file_input_accepted" not in faults:
        raise _not_allowed("input", "File inputs (input_file) are not supported.")
    if kind == "input_audio" and "audio_input_accepted" not in faults:
        raise _not_allowed("input", "Audio inputs (input_audio) are not supported.")


def parse_input(value: str | list, faults: frozenset[str]) -> list[Message]:
    if isinstance(value, str):
        return [("user", value)]
    messages: list[Message] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise _bad_value("input", f"input[{index}] must be an object.")
        kind = item.get("type", "message")
        if kind == "message":
            messages.append(_parse_message(item, index, faults))
        elif kind in ("input_file", "input_audio"):
            _check_media(kind, faults)
        elif kind == "item_reference":
            raise _not_allowed("input", "item_reference needs stored items; send the items themselves.")
        elif kind not in IGNORED_ITEMS:
            raise _bad_value("input", f"input[{index}] has an unknown type {kind!r}.")
    return messages


def _parse_message(item: dict, index: int, faults: frozenset[str]) -> Message:
    role, content = item.get("role"), item.get("content")
    if role not in MESSAGE_ROLES:
        raise _bad_value("input", f"input[{index}].role must be one of {sorted(MESSAGE_ROLES)}.")
    if isinstance(content, str):
        return (role, content)
    if not isinstance(content, list):
        raise _bad_value("input", f"input[{index}].content must be a string or a list of parts.")
    texts = []
    for part_index, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in TEXT_PARTS and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind in ("input_file", "input_audio"):
            _check_media(kind, faults)
        elif kind not in IGNORED_PARTS:
            raise _bad_value("input", f"input[{index}].content[{part_index}] is not a valid content part.")
    return (role, "\n".join(texts))
