"""Universal rules for a Chat Completions answer (2xx of POST /chat/completions):
its schema, usage arithmetic, and tool calls held to the request's tools."""

from __future__ import annotations


from ..exchange import jsonstrict
from ..failures import Failure
from ..schemastore import default_store
from .context import CheckContext

COMPLETION_SCHEMA = "chat-completion.schema.json"


def is_chat(ctx: CheckContext) -> bool:
    return ctx.method == "POST" and ctx.path.rstrip("/") == "/chat/completions"


def _completion(ctx: CheckContext):
    if not (ctx.ok_status and is_chat(ctx)) or not isinstance(ctx.body, dict):
        return None
    return ctx.body


def chat_text(body) -> str:
    """choices[0].message.content, the Chat counterpart of output_text."""
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return ""
    return content if isinstance(content, str) else ""


def check_chat_schema(ctx: CheckContext) -> list[Failure]:
    body = _completion(ctx)
    if body is None or ctx.exchange.streamed:
        return []  # a stream's chunks are checked one by one; the rebuilt completion is ours, not the wire's
    return [ctx.fail("chat.schema", issue.message, path=issue.path)
            for issue in default_store().issues(COMPLETION_SCHEMA, body)]


def check_chat_usage(ctx: CheckContext) -> list[Failure]:
    body = _completion(ctx)
    usage = body.get("usage") if body is not None else None
    if body is None:
        return []
    if not isinstance(usage, dict):
        if ctx.exchange.streamed and not _stream_usage_due(ctx):
            return []  # usage comes in a stream only when asked for: the stream checker holds that rule
        return [ctx.fail("chat.usage.present", "a chat completion must report usage", path="$.usage")]
    numbers = [usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")]
    if all(isinstance(n, int) and not isinstance(n, bool) for n in numbers) and numbers[2] != numbers[0] + numbers[1]:
        return [ctx.fail("chat.usage.total", f"total_tokens {numbers[2]} != prompt_tokens {numbers[0]} + "
                         f"completion_tokens {numbers[1]}", path="$.usage.total_tokens")]
    return []


def _stream_usage_due(ctx: CheckContext) -> bool:
    """Whether a chat stream owes a usage chunk: `stream_options.include_usage`
    was sent, or the profile says the target always sends one."""
    if ctx.profile.settings.get("chat_usage_chunk") == "always":
        return True
    request = ctx.exchange.request_json if isinstance(ctx.exchange.request_json, dict) else {}
    options = request.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def check_chat_tool_calls(ctx: CheckContext) -> list[Failure]:
    body = _completion(ctx)
    request = ctx.exchange.request_json if isinstance(ctx.exchange.request_json, dict) else {}
    if body is None:
        return []
    tools = {}
    for tool in request.get("tools") or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict):
            tools[function.get("name")] = function
    failures = []
    for c, choice in enumerate(body.get("choices") or []):
        message = choice.get("message") if isinstance(choice, dict) else None
        for t, call in enumerate((message or {}).get("tool_calls") or []):
            function = call.get("function") if isinstance(call, dict) else None
            path = f"$.choices[{c}].message.tool_calls[{t}]"
            if not isinstance(function, dict):
                continue  # the schema rule reports the shape
            name, raw = function.get("name"), function.get("arguments")
            if name not in tools:
                failures.append(ctx.fail("chat.tool_name", f"the call names {name!r}; the request offered "
                                                            f"{sorted(tools)}", path=f"{path}.function.name"))
                continue
            if not isinstance(raw, str):
                continue
            try:
                arguments = jsonstrict.loads(raw)
            except ValueError as exc:
                failures.append(ctx.fail("chat.tool_arguments", f"arguments are not JSON ({exc}): {raw[:80]!r}",
                                         path=f"{path}.function.arguments"))
                continue
            parameters = tools[name].get("parameters")
            if isinstance(parameters, dict):
                issues = default_store().issues_or_none(parameters, arguments)
                failures += [ctx.fail("chat.tool_arguments", f"arguments do not fit the tool's parameters: "
                                      f"{i.path}: {i.message}", path=f"{path}.function.arguments") for i in issues[:3]]
    return failures


def check_chat_structured(ctx: CheckContext) -> list[Failure]:
    """response_format on Chat, like text.format on Responses."""
    body = _completion(ctx)
    request = ctx.exchange.request_json if isinstance(ctx.exchange.request_json, dict) else {}
    fmt = request.get("response_format")
    if body is None or not isinstance(fmt, dict) or fmt.get("type") not in ("json_object", "json_schema"):
        return []
    choice = (body.get("choices") or [{}])[0]
    if not isinstance(choice, dict) or choice.get("finish_reason") != "stop":
        return []
    text = chat_text(body)
    rule = "structured.schema" if fmt["type"] == "json_schema" else "structured.json"
    try:
        document = jsonstrict.loads(text)
    except ValueError as exc:
        return [ctx.fail(rule, f"response_format is {fmt['type']}, but the content is not JSON ({exc}): "
                               f"{text[:80]!r}", path="$.choices[0].message.content")]
    if fmt["type"] == "json_object":
        return [] if isinstance(document, dict) else [
            ctx.fail(rule, "response_format is json_object, the content is not a JSON object",
                     path="$.choices[0].message.content")]
    schema = (fmt.get("json_schema") or {}).get("schema")
    if not isinstance(schema, dict):
        return []
    issues = default_store().issues_or_none(schema, document)
    return [ctx.fail(rule, f"the content does not fit the requested schema: {i.path}: {i.message}",
                     path="$.choices[0].message.content") for i in issues[:3]]
