"""Validating a `POST /v1/responses` body and turning its input into (role, text) messages,
image URLs and the result of a tool call.

Everything here raises `ApiError`; the order of the checks decides which error
a request with several problems gets: unknown fields, model, types, features
the gateway refuses by design, the input items, then tools, text.format and
reasoning (their own modules). The `gateway` block's routing options are checked
in `routing`. Checks that need the model (vision, reasoning, logprobs support)
come later, in `output.generate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import reasoning, routing, service_tier, structured, tools, verbosity
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
IGNORED_PARTS = frozenset({"refusal"})
IGNORED_ITEMS = frozenset({"reasoning"})
MAX_GATEWAY_MODELS = 10
# The openai SDK's ResponseIncludable. Those for tools the gateway lacks are accepted and produce nothing.
INCLUDABLE = frozenset({
    "file_search_call.results", "web_search_call.results", "web_search_call.action.sources",
    "message.input_image.image_url", "computer_call_output.output.image_url", "code_interpreter_call.outputs",
    "reasoning.encrypted_content", "message.output_text.logprobs",
})

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
class ParsedInput:
    messages: list[Message] = field(default_factory=list)  # function_call_output items are ("tool", output)
    images: list[str] = field(default_factory=list)  # image_url of every input_image part, in order
    tool_output: str | None = None  # the output of a function_call_output that ends the input


@dataclass
class ParsedRequest:
    body: dict  # the request as sent, echoed back in the Response
    models: list[str]  # [model], or gateway.models in order
    instructions: str | None
    messages: list[Message]
    images: list[str] = field(default_factory=list)
    tool_output: str | None = None


def _bad_value(param: str, message: str) -> ApiError:
    return invalid("invalid_parameter_value", message, param)


def _not_allowed(param: str, message: str) -> ApiError:
    return invalid("operation_not_allowed", message, param)


def parse_request(body: dict, faults: frozenset[str]) -> ParsedRequest:
    _check_fields(body, faults)
    models = _requested_models(body, faults)
    routing.validate(body)
    if "input" not in body:
        raise invalid("missing_required_parameter", "Missing required parameter: 'input'.", "input")
    _check_types(body, faults)
    _check_refused_features(body, faults)
    parsed = parse_input(body["input"], faults)
    tools.validate(body)
    structured.validate(body, body.get("instructions"), parsed.messages)
    reasoning.validate(body, faults)
    verbosity.validate(body)
    service_tier.validate(body)
    _check_include(body.get("include") or [], faults)
    return ParsedRequest(body, models, body.get("instructions"), parsed.messages, parsed.images, parsed.tool_output)


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
        if "model_and_gateway_models_accepted" not in faults:
            raise _bad_value("gateway.models", "Send either 'model' or 'gateway.models', not both.")
        gateway_models = None  # the fault: `model` wins, gateway.models is dropped
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


def _check_include(include: list, faults: frozenset[str]) -> None:
    if not all(isinstance(value, str) for value in include):
        raise _bad_value("include", "'include' must be a list of strings.")
    unknown = [value for value in include if value not in INCLUDABLE]
    if unknown and "include_unknown_accepted" not in faults:
        raise _bad_value("include", f"include value {unknown[0]!r} is unknown; use one of {', '.join(sorted(INCLUDABLE))}.")


def _check_types(body: dict, faults: frozenset[str]) -> None:
    value = body["input"]
    if not isinstance(value, (str, list)) and "input_wrong_type_500" in faults:
        raise ApiError(500, "api_error", "internal_error", "Internal server error.")  # a crash on input.__iter__
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


def parse_input(value: str | list, faults: frozenset[str]) -> ParsedInput:
    if isinstance(value, str):
        return ParsedInput([("user", value)])
    parsed = ParsedInput()
    calls: set[str] = set()  # call_ids of the function_call items so far
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise _bad_value("input", f"input[{index}] must be an object.")
        kind = item.get("type", "message")
        parsed.tool_output = None
        if kind == "message":
            parsed.messages.append(_parse_message(item, index, faults, parsed.images))
        elif kind == "function_call":
            if not all(isinstance(item.get(key), str) and item[key] for key in ("call_id", "name")) \
                    or not isinstance(item.get("arguments"), str):
                raise _bad_value("input", f"input[{index}]: a function_call needs call_id, name and arguments "
                                          "(a JSON string).")
            calls.add(item["call_id"])
        elif kind == "function_call_output":
            if item.get("call_id") not in calls:
                raise _bad_value("input", f"input[{index}]: no function_call with call_id "
                                          f"{item.get('call_id')!r} comes before this function_call_output.")
            parsed.tool_output = _tool_output(item.get("output"), index)
            parsed.messages.append(("tool", parsed.tool_output))
        elif kind in ("input_file", "input_audio"):
            _check_media(kind, faults)
        elif kind == "item_reference":
            raise _not_allowed("input", "item_reference needs stored items; send the items themselves.")
        elif kind not in IGNORED_ITEMS:
            raise _bad_value("input", f"input[{index}] has an unknown type {kind!r}.")
    return parsed


def _tool_output(output, index: int) -> str:
    """A function_call_output's output: a string, or a list of input_text parts."""
    if isinstance(output, str):
        return output
    if isinstance(output, list) and all(isinstance(p, dict) and isinstance(p.get("text"), str) for p in output):
        return "".join(part["text"] for part in output)
    raise _bad_value("input", f"input[{index}].output must be a string or a list of input_text parts.")


def _parse_message(item: dict, index: int, faults: frozenset[str], images: list[str]) -> Message:
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
        elif kind == "input_image":
            url = part.get("image_url")
            if not isinstance(url, str) or not url:
                raise _bad_value("input", f"input[{index}].content[{part_index}]: input_image needs image_url, "
                                          "a URL or data URL string.")
            images.append(url)
        elif kind in ("input_file", "input_audio"):
            _check_media(kind, faults)
        elif kind not in IGNORED_PARTS:
            raise _bad_value("input", f"input[{index}].content[{part_index}] is not a valid content part.")
    return (role, "\n".join(texts))
