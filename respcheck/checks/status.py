"""HTTP status and headers."""

from __future__ import annotations

from ..failures import Failure
from ..model.matchers import mismatch
from ..model.jsonpath import MISSING
from .context import CheckContext


def check_status(ctx: CheckContext) -> list[Failure]:
    expected = ctx.expect.get("status", 200)
    allowed = expected if isinstance(expected, list) else [expected]
    got = ctx.exchange.status
    if got in allowed:
        return []
    want = " or ".join(str(s) for s in allowed)
    if is_redirect(ctx):
        location = ctx.exchange.response_headers.get("location")
        where = f" to {location}" if location else " without a Location header"
        return [ctx.fail("status", f"expected HTTP {want}, got a redirect: HTTP {got}{where} (the suite does not "
                                   "follow redirects; give the base URL the target answers at)", at=("status",))]
    hint = ""
    body = ctx.exchange.json
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        hint = f" (error type {err.get('type')!r}, code {err.get('code')!r}: {str(err.get('message'))[:120]!r})"
    return [ctx.fail("status", f"expected HTTP {want}, got {got}{hint}", at=("status",))]


def is_redirect(ctx: CheckContext) -> bool:
    status = ctx.exchange.status
    return status is not None and 300 <= status < 400


def check_headers(ctx: CheckContext) -> list[Failure]:
    failures = []
    headers = ctx.exchange.response_headers
    for name, spec in (ctx.expect.get("headers") or {}).items():
        reason = mismatch(spec, headers.get(name.lower(), MISSING))
        if reason:
            failures.append(ctx.fail("header", f"header {name}: {reason}", at=("headers", name)))
    if "content_type" in ctx.expect:
        reason = mismatch(ctx.expect["content_type"], ctx.exchange.content_type or MISSING)
        if reason:
            failures.append(ctx.fail("content_type", f"Content-Type: {reason}", at=("content_type",)))
    return failures


def check_request_id(ctx: CheckContext) -> list[Failure]:
    """The profile may promise a request-id header on every answer (X-Request-ID
    at the seed gateway): what support teams ask for first."""
    name = ctx.profile.settings.get("request_id_header")
    if not name or ctx.exchange.response_headers.get(name.lower()):
        return []
    return [ctx.fail("request_id", f"the answer has no {name} header (profile setting request_id_header)")]
