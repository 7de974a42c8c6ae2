"""Structured output checked against the format the request asked for:
`json_schema` → the output text parses and validates against that schema;
`json_object` → it parses as a JSON object. A 200 that ignored the format
(answered prose) fails here."""

from __future__ import annotations


from ..exchange import jsonstrict
from ..failures import Failure
from ..schemastore import default_store
from .body import output_text
from .context import CheckContext


def check_structured_output(ctx: CheckContext) -> list[Failure]:
    request = ctx.exchange.request_json
    fmt = ((request or {}).get("text") or {}).get("format") if isinstance(request, dict) else None
    body = ctx.body
    if not isinstance(fmt, dict) or not (ctx.ok_status and ctx.is_responses_create) or not isinstance(body, dict):
        return []
    kind = fmt.get("type")
    if kind not in ("json_schema", "json_object") or body.get("status") != "completed":
        return []
    text = output_text(body)
    if not any(isinstance(i, dict) and i.get("type") == "message" for i in body.get("output") or []):
        return []  # no message (e.g. a tool call): nothing to hold to the format
    rule = "structured.schema" if kind == "json_schema" else "structured.json"
    try:
        document = jsonstrict.loads(text)
    except ValueError as exc:
        return [ctx.fail(rule, f"text.format is {kind}, but the output text is not JSON ({exc}): {text[:80]!r}",
                         path="$.output")]
    if kind == "json_object":
        if not isinstance(document, dict):
            return [ctx.fail(rule, f"text.format is json_object, the output is a JSON {type(document).__name__}",
                             path="$.output")]
        return []
    schema = fmt.get("schema")
    if not isinstance(schema, dict):
        return []
    issues = default_store().issues_or_none(schema, document)
    return [ctx.fail(rule, f"the output does not fit the requested schema {fmt.get('name')!r}: "
                           f"{issue.path}: {issue.message}", path="$.output") for issue in issues[:3]]
