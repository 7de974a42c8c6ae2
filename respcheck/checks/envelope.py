"""Error answers: the envelope every non-2xx body must follow, and the
type/code/param a case expects."""

from __future__ import annotations

from ..failures import Failure
from ..model.jsonpath import MISSING
from ..model.matchers import mismatch
from ..schemastore import default_store
from .context import CheckContext

ERROR_SCHEMA = "error.schema.json"


def check_error_envelope(ctx: CheckContext) -> list[Failure]:
    """A non-2xx answer is JSON `{"error": {message, type, code, param}}`."""
    ex = ctx.exchange
    if ctx.ok_status:
        return []
    failures = []
    if not ex.content_type.lower().startswith("application/json"):
        failures.append(ctx.fail("error.content_type",
                                 f"an error answer must be application/json, got {ex.content_type or 'no Content-Type'!r}"))
    body = ex.json
    if body is MISSING:
        failures.append(ctx.fail("error.envelope", f"HTTP {ex.status} without a JSON error envelope: {ex.json_error}"))
        return failures
    error = body.get("error") if isinstance(body, dict) else None  # a non-object body is the schema's finding
    error_type = error.get("type") if isinstance(error, dict) else None
    accepted = error_type in ctx.profile.accept_error_types if isinstance(error_type, str) else False
    for issue in default_store().issues(ERROR_SCHEMA, body):
        # A string `type` can only fail the schema's closed list, which the profile extends.
        if accepted and issue.path == "$.error.type":
            continue
        message = issue.message
        if issue.path == "$.error.type" and isinstance(error_type, str):
            message += (f" (if {ctx.profile.name!r} legitimately sends it, list it under the profile's "
                        "accept_error_types)")
        failures.append(ctx.fail("error.envelope", message, path=issue.path))
    code = error.get("code") if isinstance(error, dict) else None
    if code is not None and str(code).strip() == str(ex.status):
        failures.append(ctx.fail("error.code_is_status",
                                 f"error code is the HTTP status ({code!r}); it must name the error, "
                                 "e.g. 'model_not_found'", path="$.error.code"))
    return failures


_REQUIRED = frozenset({"message", "type"})  # what error.schema.json requires of the error object


def check_expected_error(ctx: CheckContext) -> list[Failure]:
    expected = ctx.expect.get("error")
    if not expected or ctx.ok_status:
        return []  # a success where an error was due is the status rule's finding
    body = ctx.exchange.json
    error = body.get("error", MISSING) if isinstance(body, dict) else MISSING
    if not isinstance(error, dict):
        return []  # no envelope at all: check_error_envelope has said so, once
    failures = []
    for key in ("type", "code", "param", "message"):
        if key in expected:
            if key not in error and key in _REQUIRED:
                continue  # a missing required key is the envelope rule's finding, not a second one
            reason = mismatch(expected[key], error.get(key, MISSING))
            if reason:
                failures.append(ctx.fail(f"error.{key}", reason, path=f"$.error.{key}", at=("error", key)))
    return failures
