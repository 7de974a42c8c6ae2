"""POST /v1/chat/completions: a chat request mapped to a Responses request, served by the
same code, and the Response mapped back to a chat completion.

The mapping is the seed's parameter table: leading system / developer messages
-> `instructions` (later ones stay in the input as system / developer messages);
user and assistant messages -> message items (`text` parts -> `input_text`,
`image_url {url, detail}` -> `input_image`); an assistant's nested `tool_calls`
-> `function_call` items; `{"role": "tool", "tool_call_id", "content"}` ->
`function_call_output`; nested tools / tool_choice -> flat; `response_format` ->
`text.format`; `reasoning_effort` -> `reasoning.effort`; `max_tokens` /
`max_completion_tokens` -> `max_output_tokens`; `logprobs: true` (+ `top_logprobs`)
-> `include: ["message.output_text.logprobs"]` (+ `top_logprobs`). Then
`request.parse_request`, `routing.route` (endpoint chat_completions: a
responses-only model gets 400 `response_api_only`) and `responses.build_response`
make the same Response a /v1/responses request would get, and `completion` reads
the chat answer off it: the same text, the same usage (prompt_tokens =
input_tokens, completion_tokens = output_tokens), the same routing_metadata.
`chat_streaming` replays that answer as chunks.

Errors the shared validators raise name the Responses parameter; `_chat_param`
renames it to the chat one (`input` -> `messages`, `text.format` ->
`response_format`, ...).

Fault switches: the chat endpoint honours its own (area "chat") and those of
the shared machinery that are not specific to /v1/responses (areas http,
errors, auth, routing, models); the Responses-body, stream and feature faults
of /v1/responses leave it alone (`inner_faults`).
"""

from __future__ import annotations

import secrets

from . import routing
from .cache import PromptCache
from .errors import ApiError, invalid
from .faults import FAULTS
from .logprobs import INCLUDE
from .request import parse_request
from .responses import build_response

KNOWN_FIELDS = frozenset({
    "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "response_format", "reasoning_effort",
    "max_tokens", "max_completion_tokens", "temperature", "top_p", "logprobs", "top_logprobs", "stream",
    "stream_options", "metadata", "user", "gateway", "extensions", "prompt_cache_key", "safety_identifier",
    "frequency_penalty", "presence_penalty", "store", "service_tier", "seed",
})
# Fields with the same name and meaning on both endpoints.
FORWARDED = ("model", "parallel_tool_calls", "temperature", "top_p", "metadata", "user", "gateway", "extensions",
             "prompt_cache_key", "safety_identifier", "frequency_penalty", "presence_penalty", "store",
             "service_tier")
SHARED_AREAS = frozenset({"http", "errors", "auth", "routing", "models", "chat"})
# Responses parameter -> the chat parameter that carried it.
PARAM_NAMES = {
    "input": "messages", "instructions": "messages",
    "text.format": "response_format", "text.format.name": "response_format.json_schema.name",
    "text.format.schema": "response_format.json_schema.schema",
    "text.format.strict": "response_format.json_schema.strict",
    "reasoning": "reasoning_effort", "reasoning.effort": "reasoning_effort", "include": "logprobs",
}
USER_PARTS = {"text": "input_text", "image_url": "input_image", "input_audio": "input_audio", "file": "input_file"}


def inner_faults(faults: frozenset[str]) -> frozenset[str]:
    """The faults the chat endpoint honours (see the module docstring)."""
    return frozenset(name for name in faults if FAULTS[name].area in SHARED_AREAS)


def _bad(param: str, message: str) -> ApiError:
    return invalid("invalid_parameter_value", message, param)


# --- chat request -> Responses request --------------------------------------------------------

def to_responses(body: dict, faults: frozenset[str]) -> dict:
    """The Responses request that means the same as this chat request (validated where chat differs)."""
    unknown = [name for name in body if name not in KNOWN_FIELDS]
    if unknown and "unknown_field_ignored" not in faults:
        raise invalid("unknown_field", f"Unknown parameter: '{unknown[0]}'.", unknown[0])
    if "messages" not in body:
        gateway = body.get("gateway")
        if "model" not in body and (gateway.get("models") if isinstance(gateway, dict) else None) is None:
            param = "messages" if "missing_model_400_wrong_param" in faults else "model"
            raise invalid("missing_required_parameter", "Missing required parameter: 'model' (or 'gateway.models').",
                          param)
        raise invalid("missing_required_parameter", "Missing required parameter: 'messages'.", "messages")
    translated = {name: body[name] for name in FORWARDED if name in body}
    instructions, items = _messages(body["messages"], faults)
    if instructions is not None:
        translated["instructions"] = instructions
    translated["input"] = items or ""  # only system messages: an empty user turn

    if body.get("stream") is not None and not isinstance(body["stream"], bool):
        raise _bad("stream", "'stream' must be a boolean.")
    options = body.get("stream_options")
    if options is not None and (not isinstance(options, dict)
                                or not isinstance(options.get("include_usage", False), bool)):
        raise _bad("stream_options", "'stream_options' must be an object; include_usage a boolean.")
    if body.get("seed") is not None and (isinstance(body["seed"], bool) or not isinstance(body["seed"], int)):
        raise _bad("seed", "'seed' must be an integer.")  # accepted: the answers are deterministic anyway
    if body.get("tools") is not None:
        translated["tools"] = _tools(body["tools"])
    if body.get("tool_choice") is not None:
        translated["tool_choice"] = _tool_choice(body["tool_choice"])
    if body.get("response_format") is not None and "chat_response_format_ignored" not in faults:
        translated["text"] = {"format": _response_format(body["response_format"])}
    effort = body.get("reasoning_effort")
    if effort is not None:
        if not isinstance(effort, str):
            raise _bad("reasoning_effort", "'reasoning_effort' must be a string.")
        if "chat_reasoning_effort_dropped" in faults:
            effort = "none"  # the gateway drops it and the provider runs without reasoning
        translated["reasoning"] = {"effort": effort}
    if body.get("max_tokens") is not None and body.get("max_completion_tokens") is not None:
        raise _bad("max_tokens", "Send max_completion_tokens or max_tokens, not both.")
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if limit is not None:
        translated["max_output_tokens"] = limit
    translated.update(_logprobs(body))
    return translated


def _text(content, where: str, kinds: tuple[str, ...] = ("text",)) -> str:
    """A message's content as text: a string or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") in kinds
                                         and isinstance(p.get("text", p.get("refusal")), str) for p in content):
        return "".join(p.get("text", p.get("refusal")) for p in content)
    raise _bad("messages", f"{where}.content must be a string or a list of text parts.")


def _user_parts(content, index: int, faults: frozenset[str]) -> str | list[dict]:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise _bad("messages", f"messages[{index}].content must be a string or a list of content parts.")
    parts = []
    for part_index, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        where = f"messages[{index}].content[{part_index}]"
        if kind == "text" and isinstance(part.get("text"), str):
            parts.append({"type": "input_text", "text": part["text"]})
        elif kind == "image_url":
            image = part.get("image_url")
            if not isinstance(image, dict) or not isinstance(image.get("url"), str) or not image["url"]:
                raise _bad("messages", f"{where}: an image_url part needs image_url: {{url, detail?}}.")
            if "chat_vision_dropped" in faults:
                continue  # the image never reaches the model
            parts.append({"type": "input_image", "image_url": image["url"], "detail": image.get("detail", "auto")})
        elif kind in ("input_audio", "file"):
            parts.append({"type": USER_PARTS[kind]})  # refused (operation_not_allowed) by the shared parser
        else:
            raise _bad("messages", f"{where} is not a valid content part (text, image_url).")
    return parts


def _tool_calls(calls, index: int) -> list[dict]:
    if not isinstance(calls, list):
        raise _bad("messages", f"messages[{index}].tool_calls must be a list.")
    items = []
    for call_index, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or call.get("type", "function") != "function" \
                or not isinstance(call.get("id"), str) or not call["id"] \
                or not isinstance(function.get("name"), str) or not isinstance(function.get("arguments"), str):
            raise _bad("messages", f"messages[{index}].tool_calls[{call_index}] must be "
                                   "{id, type: function, function: {name, arguments (a JSON string)}}.")
        items.append({"type": "function_call", "call_id": call["id"], "name": function["name"],
                      "arguments": function["arguments"]})
    return items


def _messages(messages, faults: frozenset[str]) -> tuple[str | None, list[dict]]:
    """(instructions from the leading system/developer messages, the input items)."""
    if not isinstance(messages, list) or not messages:
        raise _bad("messages", "'messages' must be a non-empty list of messages.")
    system: list[str] = []
    items: list[dict] = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _bad("messages", f"messages[{index}] must be an object.")
        role, content = message.get("role"), message.get("content")
        if role in ("system", "developer"):
            text = _text(content, f"messages[{index}]")
            if not items:
                system.append(text)
            else:
                items.append({"type": "message", "role": role, "content": text})
        elif role == "user":
            items.append({"type": "message", "role": "user", "content": _user_parts(content, index, faults)})
        elif role == "assistant":
            calls = message.get("tool_calls")
            if content is None and not calls:
                raise _bad("messages", f"messages[{index}]: an assistant message needs content or tool_calls.")
            if content is not None:
                text = _text(content, f"messages[{index}]", ("text", "refusal"))
                items.append({"type": "message", "role": "assistant",
                              "content": [{"type": "output_text", "text": text}]})
            if calls:
                items.extend(_tool_calls(calls, index))
        elif role == "tool":
            if not isinstance(message.get("tool_call_id"), str) or not message["tool_call_id"]:
                raise invalid("missing_required_parameter", f"messages[{index}]: a tool message needs tool_call_id.",
                              "messages")
            output = _text(content, f"messages[{index}]")
            if "chat_tool_result_ignored" in faults:
                continue  # the tool's result never reaches the model
            items.append({"type": "function_call_output", "call_id": message["tool_call_id"], "output": output})
        else:
            raise _bad("messages", f"messages[{index}].role must be one of system, developer, user, assistant, "
                                   "tool.")
    return ("\n".join(system) if system else None), items


def _tools(tools) -> list:
    if not isinstance(tools, list):
        raise _bad("tools", "'tools' must be a list.")
    flat = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise _bad("tools", f"tools[{index}] must be an object.")
        if "function" not in tool:
            raise _bad("tools", f"tools[{index}] is a flat Responses-style tool; Chat Completions takes nested "
                                "tools: {\"type\": \"function\", \"function\": {\"name\", \"parameters\", ...}}.")
        function = tool["function"]
        if tool.get("type") != "function" or not isinstance(function, dict):
            raise _bad("tools", f"tools[{index}] must be {{\"type\": \"function\", \"function\": {{...}}}}.")
        flat.append({"type": "function", **{key: function[key] for key in ("name", "description", "parameters",
                                                                            "strict") if key in function}})
    return flat


def _tool_choice(choice):
    if isinstance(choice, dict):
        function = choice.get("function")
        if choice.get("type") != "function" or not isinstance(function, dict) \
                or not isinstance(function.get("name"), str):
            raise _bad("tool_choice", "tool_choice must be none, auto, required or "
                                      "{\"type\": \"function\", \"function\": {\"name\"}}.")
        return {"type": "function", "name": function["name"]}
    if not isinstance(choice, str):
        raise _bad("tool_choice", "tool_choice must be a string or an object.")
    return choice


def _response_format(fmt) -> dict:
    if not isinstance(fmt, dict):
        raise _bad("response_format", "'response_format' must be an object.")
    kind = fmt.get("type")
    if kind in ("text", "json_object"):
        return {"type": kind}
    if kind != "json_schema":
        raise _bad("response_format", f"response_format.type {kind!r} is not one of text, json_object, json_schema.")
    if "json_schema" not in fmt:
        if "schema" in fmt or "name" in fmt:
            raise _bad("response_format", "response_format is flat Responses style; Chat Completions takes "
                                          "{\"type\": \"json_schema\", \"json_schema\": {\"name\", \"schema\"}}.")
        raise invalid("missing_required_parameter", "Missing required parameter: 'response_format.json_schema'.",
                      "response_format.json_schema")
    schema = fmt["json_schema"]
    if not isinstance(schema, dict):
        raise _bad("response_format.json_schema", "response_format.json_schema must be an object.")
    return {"type": "json_schema", **{key: schema[key] for key in ("name", "description", "schema", "strict")
                                      if key in schema}}


def _logprobs(body: dict) -> dict:
    wanted, top = body.get("logprobs"), body.get("top_logprobs")
    if wanted is not None and not isinstance(wanted, bool):
        raise _bad("logprobs", "'logprobs' must be a boolean.")
    if top is not None and wanted is not True:
        raise _bad("top_logprobs", "top_logprobs needs logprobs: true.")
    if not wanted:
        return {}
    return {"include": [INCLUDE], **({"top_logprobs": top} if top is not None else {})}


def _chat_param(param: str | None, body: dict) -> str | None:
    if param == "max_output_tokens":
        return "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
    return PARAM_NAMES.get(param, param)


# --- serving ----------------------------------------------------------------------------------

def prepare(body: dict, faults: frozenset[str], cache: PromptCache | None = None) -> dict:
    """Validate the chat request and build the Response it maps to (a stream replays it)."""
    inner = inner_faults(faults)
    translated = to_responses(body, inner)
    try:
        parsed = parse_request(translated, inner)
        chosen = routing.route(parsed, inner, endpoint="chat_completions")
        return build_response(parsed, chosen.model, inner, cache, chosen)
    except ApiError as exc:
        exc.param = _chat_param(exc.param, body)
        raise


def create_chat_completion(body: dict, faults: frozenset[str], cache: PromptCache | None = None) -> dict:
    """The non-streaming answer: an upstream failure becomes HTTP 502, as on /v1/responses."""
    response = prepare(body, faults, cache)
    if response["status"] == "failed":
        raise ApiError(502, "api_error", response["error"]["code"], response["error"]["message"])
    answer = completion(response, body, faults)
    if "routing_metadata_missing" in faults:
        del answer["routing_metadata"]
    if "chat_usage_missing" in faults:
        del answer["usage"]
    return answer


# --- Response -> chat completion --------------------------------------------------------------

def call_arguments(item: dict, faults: frozenset[str]) -> str:
    arguments = item["arguments"]
    if "chat_tool_arguments_invalid" in faults:
        arguments = arguments[:-1]  # the closing brace cut off
    return arguments


def tool_call(item: dict, faults: frozenset[str]) -> dict:
    """A function_call output item as a chat tool call (nested, unless a fault flattens it)."""
    arguments = call_arguments(item, faults)
    name = item["name"] + "_v2" if "chat_tool_name_unoffered" in faults else item["name"]
    if "chat_tool_call_flat" in faults:
        return {"id": item["call_id"], "type": "function", "name": name, "arguments": arguments}
    return {"id": item["call_id"], "type": "function", "function": {"name": name, "arguments": arguments}}


def message_parts(response: dict) -> list[dict]:
    """The content parts of the Response's message (none when it called tools)."""
    return [part for item in response["output"] if item["type"] == "message" for part in item["content"]]


def function_calls(response: dict) -> list[dict]:
    return [item for item in response["output"] if item["type"] == "function_call"]


def finish_reason(response: dict) -> str:
    if function_calls(response):
        return "tool_calls"
    return "length" if response["status"] == "incomplete" else "stop"


def usage(response: dict, faults: frozenset[str]) -> dict:
    found = response["usage"]
    prompt, completion_tokens = found["input_tokens"], found["output_tokens"]
    total = found["total_tokens"]
    if "chat_usage_total_wrong" in faults:
        total = prompt + completion_tokens + 1
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": total,
        "prompt_tokens_details": {"cached_tokens": found["input_tokens_details"]["cached_tokens"]},
        "completion_tokens_details": {"reasoning_tokens": found["output_tokens_details"]["reasoning_tokens"]},
    }


def completion(response: dict, body: dict, faults: frozenset[str]) -> dict:
    """The chat completion that carries the same answer as `response`."""
    parts = message_parts(response)
    texts = [part for part in parts if part["type"] == "output_text"]
    refusals = [part for part in parts if part["type"] == "refusal"]
    message = {
        "role": "assistant",
        "content": "".join(part["text"] for part in texts) if texts else None,
        "refusal": "".join(part["refusal"] for part in refusals) if refusals else None,
    }
    calls = function_calls(response)
    if calls:
        message["tool_calls"] = [tool_call(item, faults) for item in calls]
    logprobs = None
    if body.get("logprobs") is True:
        logprobs = {"content": [entry for part in texts for entry in part.get("logprobs") or []], "refusal": None}
    return {
        "id": f"chatcmpl-{secrets.token_hex(12)}",
        "object": "chat.completion",
        "created": response["created_at"],
        "model": response["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(response),
                     "logprobs": logprobs}],
        "usage": usage(response, faults),
        "routing_metadata": response["routing_metadata"],
    }
