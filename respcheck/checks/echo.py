"""request.echo: the Response echoes the request's settings, and an echo says what
was sent. A gateway that drops a field on the way to the provider shows it here:
the provider never saw `reasoning.effort: low`, so the Response says `medium`.

Which fields a Response echoes comes from the OpenAI API reference (the openai
SDK's `Response` type). By default an echo that is there is compared (null
counts: it says "not set"), one that is absent is not; a profile that lists
its target's fields in `echoed_fields` makes those required and leaves the
others alone. A field the request did not send, or sent as null, is not
compared (the target's default is its business). Left out, with the reason:
- service_tier: the Response reports the tier actually used, not the one asked
  for (`auto` comes back as `default`);
- conversation, prompt: the request names them by id (and template variables);
  the Response carries objects;
- model: routing rules decide what it may say (routing.model);
- input, include, stream, stream_options: not part of a Response.

Legal variations never fail: defaults filled in (a tool echoed with
`description: null`, `strict: true`; extra keys in an object), numbers written
differently (1 and 1.0, a float's last digits), a tool's JSON Schema normalised
(its `parameters` are not compared), `reasoning.summary: auto` resolved to the
summary actually produced.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..failures import Failure
from .context import CheckContext

MISSING = object()


def _same(sent: Any, echoed: Any) -> bool:
    """Equal as JSON values, where booleans are not numbers and a number may be rounded (1 vs 1.0, float32)."""
    if isinstance(sent, bool) or isinstance(echoed, bool):
        return type(sent) is type(echoed) and sent == echoed
    if isinstance(sent, (int, float)) and isinstance(echoed, (int, float)):
        return math.isclose(sent, echoed, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(sent, dict) and isinstance(echoed, dict):
        return sent.keys() == echoed.keys() and all(_same(v, echoed[k]) for k, v in sent.items())
    if isinstance(sent, list) and isinstance(echoed, list):
        return len(sent) == len(echoed) and all(_same(a, b) for a, b in zip(sent, echoed))
    return type(sent) is type(echoed) and sent == echoed


def _covers(sent: Any, echoed: Any) -> bool:
    """Every key sent comes back with its value (the echo may add defaults)."""
    if isinstance(sent, dict) and isinstance(echoed, dict):
        return all(v is None or (k in echoed and _covers(v, echoed[k])) for k, v in sent.items())
    return _same(sent, echoed)


def _summary(sent: Any, echoed: Any) -> bool:
    # `auto` asks for the best summary the model has: the echo names the one produced.
    if sent == "auto":
        return isinstance(echoed, str) and echoed in ("auto", "concise", "detailed")
    return _same(sent, echoed)


def _format(sent: Any, echoed: Any) -> bool:
    """text.format: the same kind (and name); a json_schema's schema may come back normalised."""
    if not (isinstance(sent, dict) and isinstance(echoed, dict)):
        return _same(sent, echoed)
    keys = [k for k in ("type", "name", "strict", "description") if sent.get(k) is not None]
    return all(_same(sent[k], echoed.get(k)) for k in keys)


def _tools(sent: Any, echoed: Any) -> str | None:
    """Why the echoed tools differ from the sent ones, or None."""
    if not isinstance(sent, list) or not isinstance(echoed, list):
        return None if _same(sent, echoed) else "is not a list"
    if len(sent) != len(echoed):
        return f"has {len(echoed)} tool(s), the request sent {len(sent)}"
    for index, (mine, theirs) in enumerate(zip(sent, echoed)):
        if not isinstance(mine, dict):
            continue
        if not isinstance(theirs, dict):
            return f"[{index}] is not an object"
        for key in ("type", "name", "description", "strict"):
            if mine.get(key) is not None and theirs.get(key) is not None and not _same(mine[key], theirs[key]):
                return f"[{index}].{key} is {theirs[key]!r}, the request sent {mine[key]!r}"
            if key in ("type", "name") and mine.get(key) is not None and theirs.get(key) is None:
                return f"[{index}] has no {key} (the request sent {mine[key]!r})"
    return None


def _compare_with(equal: Callable[[Any, Any], bool]) -> Callable[[Any, Any], str | None]:
    def compare(sent: Any, echoed: Any) -> str | None:
        return None if equal(sent, echoed) else f"is {_short(echoed)}, the request sent {_short(sent)}"
    return compare


_EQUAL = _compare_with(_same)
# field path -> how the echo is compared (None: it matches)
ECHOED: dict[str, Callable[[Any, Any], str | None]] = {
    "instructions": _EQUAL,
    "tools": _tools,
    "tool_choice": _compare_with(_covers),
    "parallel_tool_calls": _EQUAL,
    "text.format": _compare_with(_format),
    "text.verbosity": _EQUAL,
    "reasoning.effort": _EQUAL,
    "reasoning.summary": _compare_with(_summary),
    "max_output_tokens": _EQUAL,
    "max_tool_calls": _EQUAL,
    "top_logprobs": _EQUAL,
    "temperature": _EQUAL,
    "top_p": _EQUAL,
    "truncation": _EQUAL,
    "metadata": _compare_with(_covers),
    "store": _EQUAL,
    "background": _EQUAL,
    "previous_response_id": _EQUAL,
    "prompt_cache_key": _EQUAL,
    "prompt_cache_retention": _EQUAL,
    "safety_identifier": _EQUAL,
    "user": _EQUAL,
}


def _at(value: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return MISSING
        value = value[key]
    return value


def echoed_fields(ctx: CheckContext) -> tuple[list[str], bool]:
    """The fields compared, and whether an absent echo of one fails (only where the profile lists them)."""
    chosen = ctx.profile.settings.get("echoed_fields")
    if chosen is None:
        return list(ECHOED), False
    return [name for name in chosen if name in ECHOED], True


def check_request_echo(ctx: CheckContext) -> list[Failure]:
    request, body = ctx.exchange.request_json, ctx.body
    if not (ctx.ok_status and ctx.is_responses_create) or not isinstance(request, dict) or not isinstance(body, dict):
        return []
    if body.get("object") not in (None, "response"):
        return []  # not a Response at all: response.schema says so
    failures = []
    fields, required = echoed_fields(ctx)
    for name in fields:
        sent = _at(request, name)
        if sent is MISSING or sent is None:
            continue
        if isinstance(sent, list) and name == "instructions":
            continue  # instructions as input items: the echo's shape is the target's
        echoed = _at(body, name)
        if echoed is MISSING and not required:
            continue
        if echoed is MISSING or echoed is None:
            shown = "is missing" if echoed is MISSING else "is null"
            problem = f"{shown}, the request sent {_short(sent)}"
        else:
            problem = ECHOED[name](sent, echoed)
        if problem is not None:
            failures.append(ctx.fail("request.echo", f"the Response's {name} {problem}", path=f"$.{name}"))
    return failures


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
