"""A case's own expectations about the body: schema, fields, output items."""

from __future__ import annotations

from ..failures import Failure
from ..model.jsonpath import MISSING, get
from ..model.matchers import describe, mismatch
from ..schemastore import default_store
from .context import CheckContext


def check_schema(ctx: CheckContext) -> list[Failure]:
    schema = ctx.expect.get("schema")
    if schema is None:
        return []
    body = ctx.body
    if body is MISSING:
        why = ctx.exchange.json_error if not ctx.exchange.streamed else "the stream has no terminal response"
        return [ctx.fail("schema", f"cannot check the schema: {why}", at=("schema",))]
    return [ctx.fail("schema", issue.message, path=issue.path, at=("schema",))
            for issue in default_store().issues(schema, body)]


def check_fields(ctx: CheckContext) -> list[Failure]:
    failures = []
    body = ctx.body
    for path, spec in (ctx.expect.get("fields") or {}).items():
        reason = mismatch(spec, get(body, path) if body is not MISSING else MISSING)
        if reason:
            failures.append(ctx.fail("field", reason, path=path, at=("fields", path)))
    return failures


def item_text(item: dict) -> str:
    """The text of a message item, as the SDKs' output_text joins it."""
    parts = item.get("content")
    if not isinstance(parts, list):
        return ""
    return "".join(p.get("text", "") for p in parts
                   if isinstance(p, dict) and p.get("type") == "output_text" and isinstance(p.get("text"), str))


def output_text(body) -> str:
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, list):
        return ""
    return "".join(item_text(i) for i in output if isinstance(i, dict) and i.get("type") == "message")


def _count_reason(count, found: int) -> str | None:
    if isinstance(count, int):
        return None if found == count else f"exactly {count}"
    low, high = count.get("min", 0), count.get("max")
    if found < low or (high is not None and found > high):
        return f"between {low} and {high if high is not None else 'any number'}"
    return None


def check_output(ctx: CheckContext) -> list[Failure]:
    specs = ctx.expect.get("output")
    if specs is None and "output_text" not in ctx.expect:
        return []
    body = ctx.body
    if ctx.path.rstrip("/") == "/chat/completions":
        # Chat has no output items; output_text is choices[0].message.content.
        from .chat import chat_text

        reason = mismatch(ctx.expect.get("output_text"), chat_text(body)) if "output_text" in ctx.expect else None
        return [ctx.fail("output.text", f"choices[0].message.content: {reason}", path="$.choices[0].message.content",
                         at=("output_text",))] if reason else []
    output = body.get("output", MISSING) if isinstance(body, dict) else MISSING
    if not isinstance(output, list):
        return [ctx.fail("output.items", f"expected an output array, got {describe(output)}", path="$.output",
                         at=("output",))]
    failures = []
    described = set()
    for n, spec in enumerate(specs or []):
        kind = spec["type"]
        described.add(kind)
        matching = [(i, item) for i, item in enumerate(output) if isinstance(item, dict) and item.get("type") == kind]
        shaped = [(i, item) for i, item in matching
                  if all(mismatch(m, item.get(k, MISSING)) is None for k, m in (spec.get("where") or {}).items())]
        want = _count_reason(spec.get("count", 1), len(shaped))
        if want:
            kinds = [i.get("type") if isinstance(i, dict) else type(i).__name__ for i in output]
            extra = f" ({len(matching)} of type {kind!r} before the 'where' filter)" if spec.get("where") else ""
            failures.append(ctx.fail("output.items", f"expected {want} {kind!r} item(s), found {len(shaped)}{extra}; "
                                     f"output item types: {kinds}", path="$.output", at=("output", n)))
            continue
        if "text" in spec:
            for index, item in shaped:
                reason = mismatch(spec["text"], item_text(item))
                if reason:
                    failures.append(ctx.fail("output.text", reason, path=f"$.output[{index}].content",
                                             at=("output", n, "text")))
    if ctx.expect.get("other_output") == "forbid":
        others = [i.get("type") for i in output if isinstance(i, dict) and i.get("type") not in described]
        if others:
            failures.append(ctx.fail("output.items", f"unexpected output item types {others}", path="$.output",
                                     at=("other_output",)))
    if "output_text" in ctx.expect:
        reason = mismatch(ctx.expect["output_text"], output_text(body))
        if reason:
            failures.append(ctx.fail("output.text", f"output_text: {reason}", path="$.output",
                                     at=("output_text",)))
    return failures
