"""Function calls checked against the request that asked for them.

Every function_call item names a tool the request offered, carries arguments
that parse as a JSON object valid under that tool's `parameters`, and obeys
`tool_choice`, `parallel_tool_calls` and `max_tool_calls`. A gateway that drops the tools, or
translates the call into Chat Completions' nested shape, fails here whatever
the case says.
"""

from __future__ import annotations


from ..exchange import jsonstrict
from ..failures import Failure
from ..schemastore import default_store
from .context import CheckContext


def _request(ctx: CheckContext) -> dict:
    body = ctx.exchange.request_json
    return body if isinstance(body, dict) else {}


def _output(ctx: CheckContext) -> list:
    if not (ctx.ok_status and ctx.is_responses_create) or not isinstance(ctx.body, dict):
        return []
    output = ctx.body.get("output")
    return output if isinstance(output, list) else []


def _calls(output: list) -> list[tuple[int, dict]]:
    return [(i, item) for i, item in enumerate(output) if isinstance(item, dict) and item.get("type") == "function_call"]


def check_chat_shape(ctx: CheckContext) -> list[Failure]:
    """Chat Completions' tool-call shapes have no place in a Responses output."""
    failures = []
    for i, item in enumerate(_output(ctx)):
        if not isinstance(item, dict):
            continue
        nested = "function" in item and item.get("type") in ("function_call", "function")
        if nested or item.get("type") == "function" or "tool_calls" in item:
            failures.append(ctx.fail("tool.chat_shape", "a chat-style tool call (nested `function` / `tool_calls`); "
                                     "the Responses API puts name and arguments on a flat function_call item",
                                     path=f"$.output[{i}]"))
    return failures


def check_tool_calls(ctx: CheckContext) -> list[Failure]:
    output = _output(ctx)
    calls = _calls(output)
    request = _request(ctx)
    tools = {t.get("name"): t for t in request.get("tools") or [] if isinstance(t, dict) and t.get("type") == "function"}
    failures = []
    for i, call in calls:
        name = call.get("name")
        if name not in tools:
            failures.append(ctx.fail("tool.name", f"the call names {name!r}; the request offered {sorted(tools)}",
                                     path=f"$.output[{i}].name"))
            continue
        failures += _arguments(ctx, i, call, tools[name])
    failures += _choice(ctx, request, calls, output)
    if request.get("parallel_tool_calls") is False and len(calls) > 1:
        failures.append(ctx.fail("tool.parallel", f"parallel_tool_calls is false, yet {len(calls)} calls came back",
                                 path="$.output"))
    limit = request.get("max_tool_calls")
    if isinstance(limit, int) and not isinstance(limit, bool) and len(calls) > limit:
        failures.append(ctx.fail("tool.max_calls", f"max_tool_calls is {limit}, yet {len(calls)} calls came back",
                                 path="$.output"))
    return failures


def _arguments(ctx: CheckContext, i: int, call: dict, tool: dict) -> list[Failure]:
    raw = call.get("arguments")
    path = f"$.output[{i}].arguments"
    if not isinstance(raw, str):
        return []  # the Response schema rule reports a non-string
    try:
        arguments = jsonstrict.loads(raw)
    except ValueError as exc:
        return [ctx.fail("tool.arguments", f"arguments are not JSON ({exc}): {raw[:80]!r}", path=path)]
    if not isinstance(arguments, dict):
        return [ctx.fail("tool.arguments", f"arguments must be a JSON object, got {raw[:80]!r}", path=path)]
    parameters = tool.get("parameters")
    if not isinstance(parameters, dict):
        return []
    issues = default_store().issues_or_none(parameters, arguments)
    return [ctx.fail("tool.arguments", f"arguments do not fit the tool's parameters: {issue.path}: {issue.message}",
                     path=path) for issue in issues[:3]]


def _choice(ctx: CheckContext, request: dict, calls: list, output: list) -> list[Failure]:
    choice = request.get("tool_choice")
    if not request.get("tools") or not output:
        return []
    if choice == "none" and calls:
        return [ctx.fail("tool.choice", f"tool_choice is none, yet {len(calls)} function call(s) came back",
                         path="$.output")]
    if choice == "required" and not calls:
        return [ctx.fail("tool.choice", "tool_choice is required, yet no function call came back", path="$.output")]
    if isinstance(choice, dict) and choice.get("type") == "function":
        wanted = choice.get("name")
        names = [c.get("name") for _, c in calls]
        if not calls or any(n != wanted for n in names):
            return [ctx.fail("tool.choice", f"tool_choice forces {wanted!r}, the calls were {names}",
                             path="$.output")]
    return []
