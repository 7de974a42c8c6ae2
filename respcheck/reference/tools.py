"""Function tools: validating `tools` / `tool_choice`, deciding which calls the model makes, and
the function_call output items.

The decision reads the last user message: tools named in it are called in order
of mention, each "for X" phrase giving one call of the tool mentioned before it
(X fills the tool's first required string property).
"""

from __future__ import annotations

import json
import re
import secrets

from .errors import invalid

DEFAULT_VALUE = "example"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_FOR = re.compile(r"\bfor\s+(.+?)(?=\s+and\b|[.,;:!?\n]|$)", re.IGNORECASE)
_CAPITALISED = re.compile(r"\b[A-Z][\w-]*")

Call = tuple[str, dict]  # (tool name, arguments)


def _bad(param: str, message: str):
    return invalid("invalid_parameter_value", message, param)


def validate(body: dict) -> None:
    """`tools` must be flat function tools; `tool_choice` must name one of them."""
    tools = body.get("tools") or []
    names = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise _bad("tools", f"tools[{index}] must be an object.")
        if "function" in tool:
            raise _bad("tools", f"tools[{index}] is a nested Chat Completions tool; the Responses API takes "
                                "flat tools: {\"type\": \"function\", \"name\", \"parameters\", ...}.")
        if tool.get("type") != "function":
            raise _bad("tools", f"tools[{index}].type {tool.get('type')!r} is not supported; use 'function'.")
        name = tool.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise _bad("tools", f"tools[{index}].name must match [A-Za-z0-9_-]{{1,64}}.")
        if tool.get("parameters") is not None and not isinstance(tool["parameters"], dict):
            raise _bad("tools", f"tools[{index}].parameters must be a JSON Schema object.")
        if tool.get("description") is not None and not isinstance(tool["description"], str):
            raise _bad("tools", f"tools[{index}].description must be a string.")
        if tool.get("strict") is not None and not isinstance(tool["strict"], bool):
            raise _bad("tools", f"tools[{index}].strict must be a boolean.")
        if name in names:
            raise _bad("tools", f"tools[{index}].name {name!r} is used twice.")
        names.append(name)

    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        if choice.get("type") != "function" or "function" in choice or not isinstance(choice.get("name"), str):
            raise _bad("tool_choice", "tool_choice must be none, auto, required or {\"type\": \"function\", \"name\"}.")
        if choice["name"] not in names:
            raise _bad("tool_choice", f"tool_choice names {choice['name']!r}, which is not among the tools.")
    elif choice == "required" and not names:
        raise _bad("tool_choice", "tool_choice 'required' needs at least one tool.")


def echo(tool: dict) -> dict:
    """A tool as the Response echoes it: with the defaults OpenAI fills in (description null, strict true)."""
    return {"type": "function", "description": None, "strict": True, **tool}


# --- the model's decision ---------------------------------------------------------------------

def _fallback_value(question: str) -> str:
    """The last capitalised word after the first one, else "example"."""
    words = _CAPITALISED.findall(question)[1:] if question[:1].isupper() else _CAPITALISED.findall(question)
    return words[-1] if words else DEFAULT_VALUE


def _mentions(tools: list[dict], question: str) -> list[tuple[str, str | None]]:
    """(tool name, its "for X" value or None) per call the message asks for, in order of mention."""
    events = []  # (position, kind, value)
    for tool in tools:
        for match in re.finditer(rf"(?<![\w-]){re.escape(tool['name'])}(?![\w-])", question):
            events.append((match.start(), "tool", tool["name"]))
    for match in _FOR.finditer(question):
        events.append((match.start(), "for", match.group(1).strip()))
    events.sort()
    calls: list[tuple[str, str | None]] = []
    current: str | None = None
    used = True  # whether the current tool already got a call from a "for" phrase
    for _, kind, value in events:
        if kind == "tool":
            if current is not None and not used:
                calls.append((current, None))
            current, used = value, False
        elif current is not None:
            calls.append((current, value))
            used = True
    if current is not None and not used:
        calls.append((current, None))
    return calls


def decide(body: dict, question: str, faults: frozenset[str]) -> list[Call]:
    """The calls the model makes for this request (empty: it answers in text)."""
    tools = body.get("tools") or []
    if not tools or "tools_dropped" in faults:
        return []
    by_name = {tool["name"]: tool for tool in tools}
    choice = body.get("tool_choice", "auto")
    if choice == "none" and "tool_choice_none_ignored" not in faults:
        return []
    mentioned = _mentions(tools, question)
    fallback = _fallback_value(question)
    if isinstance(choice, dict):
        name = choice["name"]
        if "tool_choice_forced_ignored" in faults:
            name = tools[0]["name"]
        phrase = _FOR.search(question)
        wanted = [(name, phrase.group(1).strip() if phrase else None)]
    elif choice == "required" and not mentioned and "tool_required_ignored" not in faults:
        wanted = [(tools[0]["name"], None)]
    else:
        wanted = mentioned
    if body.get("parallel_tool_calls") is False and "tool_parallel_ignored" not in faults:
        wanted = wanted[:1]
    limit = body.get("max_tool_calls")
    if limit is not None and "max_tool_calls_ignored" not in faults:
        wanted = wanted[:limit]  # the calls beyond the limit are not made
    calls = []
    for name, value in wanted:
        arguments = build_arguments(by_name[name].get("parameters") or {}, value or fallback)
        if "tool_arguments_schema_violation" in faults:
            required = _required(by_name[name].get("parameters") or {})
            arguments.pop(required[0] if required else next(iter(arguments), None), None)
        calls.append((name, arguments))
    return calls


def _required(schema: dict) -> list[str]:
    required = schema.get("required")
    return [name for name in required if isinstance(name, str)] if isinstance(required, list) else []


def _type(schema: dict) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def build_arguments(parameters: dict, value: str) -> dict:
    """Arguments from the tool's schema: the first required string gets `value`; other required
    properties get a placeholder of their type; optional ones are left out."""
    properties = parameters.get("properties") if isinstance(parameters.get("properties"), dict) else {}
    arguments: dict = {}
    value_used = False
    for name in _required(parameters):
        schema = properties.get(name) if isinstance(properties.get(name), dict) else {}
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            arguments[name] = schema["enum"][0]
        elif "const" in schema:
            arguments[name] = schema["const"]
        elif _type(schema) == "string" or _type(schema) is None:
            arguments[name] = DEFAULT_VALUE if value_used else value
            value_used = True
        else:
            arguments[name] = _placeholder(schema)
    return arguments


def _placeholder(schema: dict):
    kind = _type(schema)
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return build_arguments(schema, DEFAULT_VALUE)
    if kind == "null":
        return None
    return DEFAULT_VALUE


# --- output items ------------------------------------------------------------------------------

def call_item(name: str, arguments: dict, faults: frozenset[str]) -> dict:
    """One function_call output item; `arguments` is a compact JSON string."""
    text = json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)
    if "tool_arguments_invalid_json" in faults:
        text = text[:-1]  # the closing brace cut off
    if "tool_name_unoffered" in faults:
        name = name + "_v2"
    item = {"type": "function_call", "id": f"fc_{secrets.token_hex(12)}", "call_id": f"call_{secrets.token_hex(12)}",
            "name": name, "arguments": text, "status": "completed"}
    if "tool_call_chat_shape" in faults:
        item = {"type": "function_call", "id": item["id"], "call_id": item["call_id"],
                "function": {"name": name, "arguments": text}, "status": "completed"}
    return item


def round_trip_answer(output: str) -> str:
    return f"The tool returned: {output}"
