"""Universal rules for a Response object (a 2xx answer of POST /responses)."""

from __future__ import annotations

from ..failures import Failure
from ..model.jsonpath import MISSING
from ..schemastore import default_store
from .context import CheckContext

RESPONSE_SCHEMA = "response.schema.json"


def _response_body(ctx: CheckContext):
    if not (ctx.ok_status and ctx.is_responses_create):
        return None
    body = ctx.body
    return body if isinstance(body, dict) else None


def check_json_body(ctx: CheckContext) -> list[Failure]:
    """A 2xx JSON endpoint answers parseable JSON, labelled as such."""
    ex = ctx.exchange
    if not ctx.ok_status or ex.streamed:
        return []
    if ctx.stream_requested:
        return [ctx.fail("stream.content_type", f"stream: true was asked for, the answer is "
                                                f"{ex.content_type or 'no Content-Type'!r}, not text/event-stream")]
    failures = []
    if not ex.content_type.lower().startswith("application/json"):
        failures.append(ctx.fail("content_type", f"expected application/json, got {ex.content_type or 'none'!r}"))
    if ex.json is MISSING:
        failures.append(ctx.fail("body.json", ex.json_error or "the body is not JSON"))
    return failures


def check_response_schema(ctx: CheckContext) -> list[Failure]:
    body = _response_body(ctx)
    if body is None:
        return _not_an_object(ctx)
    failures = [ctx.fail("response.schema", issue.message, path=issue.path)
                for issue in default_store().issues(RESPONSE_SCHEMA, body)]
    prefix = ctx.profile.settings.get("response_id_prefix")
    rid = body.get("id")
    if prefix and isinstance(rid, str) and not rid.startswith(prefix):
        failures.append(ctx.fail("response.id_prefix", f"response id {rid!r} does not start with {prefix!r}",
                                 path="$.id"))
    return failures


def _not_an_object(ctx: CheckContext) -> list[Failure]:
    """A 2xx answer that parsed but is no object (null, an array, a string):
    no Response rule below could run, so this one says why."""
    if not (ctx.ok_status and ctx.is_responses_create) or ctx.exchange.streamed:
        return []
    body = ctx.body
    if body is MISSING or isinstance(body, dict):
        return []
    kind = "null" if body is None else {list: "an array", str: "a string", bool: "a boolean"}.get(type(body), "a number")
    return [ctx.fail("response.schema", f"the body is JSON {kind}, not a Response object", path="$")]


def usage_failures(ctx: CheckContext, response: dict, where: str = "$") -> list[Failure]:
    """`usage` present and adding up; shared with the stream rules."""
    usage = response.get("usage", MISSING)
    if usage is MISSING or usage is None:
        return [ctx.fail("usage.present", "a finished response must report usage (got "
                         + ("no usage field" if usage is MISSING else "usage: null") + ")", path=f"{where}.usage")]
    if not isinstance(usage, dict):
        return []  # the schema rule reports the type
    failures = []
    numbers = {k: usage.get(k) for k in ("input_tokens", "output_tokens", "total_tokens")}
    if all(isinstance(v, int) and not isinstance(v, bool) for v in numbers.values()):
        if numbers["total_tokens"] != numbers["input_tokens"] + numbers["output_tokens"]:
            failures.append(ctx.fail(
                "usage.total", f"total_tokens {numbers['total_tokens']} != input_tokens {numbers['input_tokens']}"
                f" + output_tokens {numbers['output_tokens']}", path=f"{where}.usage.total_tokens"))
        cached = (usage.get("input_tokens_details") or {}).get("cached_tokens")
        if isinstance(cached, int) and cached > numbers["input_tokens"]:
            failures.append(ctx.fail("usage.details", f"cached_tokens {cached} exceeds input_tokens "
                                     f"{numbers['input_tokens']}", path=f"{where}.usage.input_tokens_details.cached_tokens"))
        reasoning = (usage.get("output_tokens_details") or {}).get("reasoning_tokens")
        if isinstance(reasoning, int) and reasoning > numbers["output_tokens"]:
            failures.append(ctx.fail("usage.details", f"reasoning_tokens {reasoning} exceeds output_tokens "
                                     f"{numbers['output_tokens']}", path=f"{where}.usage.output_tokens_details.reasoning_tokens"))
    return failures


def check_usage(ctx: CheckContext) -> list[Failure]:
    body = _response_body(ctx)
    if body is None or body.get("status") not in ("completed", "incomplete"):
        return []
    return usage_failures(ctx, body)


def check_status_consistency(ctx: CheckContext) -> list[Failure]:
    """`status` agrees with `error` and `incomplete_details`."""
    body = _response_body(ctx)
    if body is None:
        return []
    status = body.get("status")
    failures = []
    if status == "completed":
        for key in ("error", "incomplete_details"):
            if body.get(key) not in (None, MISSING):
                failures.append(ctx.fail("response.status", f"status is completed but {key} is set", path=f"$.{key}"))
    if status == "incomplete" and not body.get("incomplete_details"):
        failures.append(ctx.fail("response.status", "status is incomplete but incomplete_details is empty",
                                 path="$.incomplete_details"))
    return failures


def check_output_present(ctx: CheckContext) -> list[Failure]:
    """A completed response has something in `output` (real gateways have
    answered `output: []` and left clients with an empty reply)."""
    body = _response_body(ctx)
    if body is None or body.get("status") != "completed":
        return []
    if body.get("output") == []:
        return [ctx.fail("response.output_empty", "status is completed but output is empty", path="$.output")]
    return []
