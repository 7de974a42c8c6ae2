"""Error envelopes of the reference gateway, Auriko style.

`{"error": {"message", "type", "code", "param", "doc_url", "suggestion"?}}`, always
`application/json; charset=utf-8`, never empty, with `X-Error-Type` and
`X-Error-Retryable` headers. The error fault switches live here because this
is the one place where every envelope is built.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from http import HTTPStatus

from starlette.responses import Response

DOC_URL = "https://docs.respcheck.invalid/errors/{code}"
ERROR_CONTENT_TYPE = "application/json; charset=utf-8"
RETRYABLE_TYPES = frozenset({"rate_limit_error", "api_error"})

SUGGESTIONS = {
    "invalid_api_key": "Send 'Authorization: Bearer <key>' with a valid API key.",
    "model_not_found": "List available models with GET /v1/models?endpoint=responses.",
    "operation_not_allowed": "The gateway is stateless: resend the full conversation in `input`.",
    "unknown_field": "Remove the field, or move provider-specific options under `extensions`.",
    "no_provider_available": "Retry later or list fallback models in gateway.models.",
}


class ApiError(Exception):
    """Raised anywhere while handling a request; the app turns it into an envelope."""

    def __init__(self, status: int, type: str, code: str, message: str, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param


def invalid(code: str, message: str, param: str | None = None) -> ApiError:
    """The common case: 400 invalid_request_error."""
    return ApiError(400, "invalid_request_error", code, message, param)


def error_response(
    status: int,
    type: str,
    code: str,
    message: str,
    param: str | None = None,
    faults: Iterable[str] = frozenset(),
) -> Response:
    faults = frozenset(faults)
    headers = {
        "X-Error-Type": type,
        "X-Error-Retryable": "true" if type in RETRYABLE_TYPES else "false",
    }
    if "error_headers_missing" in faults:
        headers = {}
    if "error_not_json" in faults:
        return Response(HTTPStatus(status).phrase, status_code=status, media_type="text/plain",
                        headers=headers)
    if "error_code_http_status" in faults:
        code = str(status)
    if "error_param_missing" in faults:
        param = None

    error: dict = {"message": message, "type": type, "code": code, "param": param,
                   "doc_url": DOC_URL.format(code=code)}
    if code in SUGGESTIONS:
        error["suggestion"] = SUGGESTIONS[code]
    if "error_type_missing" in faults:
        del error["type"]

    body = json.dumps({"error": error}).encode("utf-8")
    headers["Content-Type"] = ERROR_CONTENT_TYPE
    return Response(body, status_code=status, headers=headers)


def api_error_response(error: ApiError, faults: Iterable[str] = frozenset()) -> Response:
    return error_response(error.status, error.type, error.code, error.message, error.param, faults)
