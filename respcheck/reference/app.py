"""The reference gateway as a Starlette app: routing, auth and body reading only.

The work happens in `responses` (POST /v1/responses), `streaming` (its
`stream: true` form), `chat` and `chat_streaming` (POST /v1/chat/completions,
mapped onto the same code), `routing` (who serves), `catalog` (the model
endpoints), `assets` (the images served at /v1/assets/, without auth) and
`errors` (every non-2xx body). The `drop:<field>` fault switches act here, on the
body as read, and `keepalive` closes connections after errors (its switch).

`create_app(stateful=True)` adds the stored-response API: `stateful` (POST
/v1/responses with store, previous_response_id, background, conversation),
`state_routes` (GET/DELETE /v1/responses/{id}, input_items, cancel,
input_tokens, compact), `conversations`, all over one in-memory `store.Store`.
Without it the gateway refuses state with 400 and has none of those paths.
"""

from __future__ import annotations

import json
import secrets
import sys
import traceback
import threading
from datetime import datetime, timezone
from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import catalog
from .assets import ASSETS
from .cache import PromptCache
from .chat import create_chat_completion
from .chat import prepare as prepare_chat
from .chat_streaming import chat_stream_response
from .errors import ApiError, api_error_response, error_response, invalid
from .faults import dropped_fields, switches, validate_faults
from .keepalive import CloseAfterErrorMiddleware
from .responses import create_response, prepare_response
from .streaming import event_stream_response
from . import conversations, state_routes
from .stateful import create as create_stored, prepare_stream as prepare_stored_stream
from .store import Store

DEFAULT_API_KEY = "rc-local-key"
MAX_BODY_BYTES = 4 * 1024 * 1024


class RequestIdMiddleware:
    """Adds `X-Request-ID: req_<hex>` to every HTTP response (plain ASGI, so it will not buffer streams)."""

    def __init__(self, app, faults: frozenset[str]):
        self.app = app
        self.faults = faults

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or "request_id_missing" in self.faults:
            await self.app(scope, receive, send)
            return
        header = (b"x-request-id", f"req_{secrets.token_hex(12)}".encode())

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        await self.app(scope, receive, send_with_id)


def _faults(request: Request) -> frozenset[str]:
    return request.app.state.faults


def _authorize(request: Request) -> None:
    if "auth_ignored" in _faults(request):
        return
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or key.strip() not in request.app.state.api_keys:
        raise ApiError(401, "authentication_error", "invalid_api_key",
                       "Missing or invalid API key in the Authorization header.")


async def _json_object(request: Request) -> dict:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "invalid_request_error", "payload_too_large",
                       f"Request body exceeds {MAX_BODY_BYTES} bytes.")
    try:
        body = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        if "bad_json_500" in _faults(request):
            raise ApiError(500, "api_error", "internal_error", "Internal server error.") from exc
        raise invalid("invalid_request", f"Request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise invalid("invalid_request", f"Request body must be a JSON object, not {type(body).__name__}.")
    for path in request.app.state.drops:
        _drop(body, path)
    return body


def _drop(body: dict, path: tuple[str, ...]) -> None:
    """The drop:<field> switches: remove the field as a proxy that does not know it would, before anything
    (validation, the model, the echo) reads the request. A parent left empty stays, as an empty object."""
    *parents, last = path
    for key in parents:
        body = body.get(key)
        if not isinstance(body, dict):
            return
    body.pop(last, None)


def _json(request: Request, body: dict, status: int = 200) -> Response:
    media_type = "text/plain" if "json_content_type_wrong" in _faults(request) else "application/json"
    return Response(json.dumps(body).encode("utf-8"), status_code=status, media_type=media_type)


async def post_response(request: Request) -> Response:
    _authorize(request)
    body = await _json_object(request)
    status = 202 if "success_status_202" in _faults(request) else 200
    store = request.app.state.store  # None: the stateless gateway
    if body.get("stream") is True:
        # Validation errors are raised here, before the first byte: plain JSON, not SSE.
        if store is not None:
            response = prepare_stored_stream(body, _faults(request), request.app.state.prompt_cache, store)
        else:
            response = prepare_response(body, _faults(request), request.app.state.prompt_cache)
        stream = event_stream_response(response, _faults(request), request.app.state.stopping)
        stream.status_code = status
        return stream
    if store is not None:
        body = create_stored(body, _faults(request), request.app.state.prompt_cache, store)
    else:
        body = create_response(body, _faults(request), request.app.state.prompt_cache)
    if "response_body_null" in _faults(request):
        body = None  # a 200 whose JSON is no Response object at all
    return _json(request, body, status=status)


async def post_chat_completion(request: Request) -> Response:
    _authorize(request)
    body = await _json_object(request)
    cache = request.app.state.prompt_cache
    if body.get("stream") is True:
        # Validation errors are raised here, before the first byte: plain JSON, not SSE.
        response = prepare_chat(body, _faults(request), cache)
        return chat_stream_response(response, body, _faults(request), request.app.state.stopping)
    return _json(request, create_chat_completion(body, _faults(request), cache))


async def get_asset(request: Request) -> Response:
    """The gateway's own images (no auth: providers fetch them), the one place image URLs resolve to."""
    name = request.path_params["name"]
    if name not in ASSETS:
        raise ApiError(404, "not_found_error", "resource_not_found", f"No asset named '{name}'.")
    return Response(ASSETS[name], media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})


async def list_models(request: Request) -> Response:
    _authorize(request)
    endpoint = request.query_params.get("endpoint", "chat_completions")
    if endpoint not in catalog.ENDPOINTS:
        raise invalid("invalid_parameter_value",
                      f"'endpoint' must be one of {', '.join(catalog.ENDPOINTS)}.", "endpoint")
    listing = catalog.model_list(endpoint, _faults(request))
    if "model_list_object_wrong" in _faults(request):
        listing = {**listing, "object": "models"}
    return _json(request, listing)


async def get_model(request: Request) -> Response:
    _authorize(request)
    model = catalog.MODELS.get(request.path_params["model_id"])
    if model is None or "model_entry_404" in _faults(request):
        raise ApiError(404, "not_found_error", "model_not_found",
                       f"The model '{request.path_params['model_id']}' does not exist.", "model")
    return _json(request, catalog.model_entry(model))


async def model_directory(request: Request) -> Response:
    _authorize(request)
    # generated_at is an ISO 8601 string: the Auriko SDK types it `str` (DirectoryResponse).
    generated_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return _json(request, catalog.directory(generated_at, _faults(request)))


async def _on_api_error(request: Request, exc: ApiError) -> Response:
    return api_error_response(exc, _faults(request))


_HTTP_ERRORS = {404: ("not_found_error", "resource_not_found"),
                405: ("invalid_request_error", "method_not_allowed")}


async def _on_http_error(request: Request, exc: HTTPException) -> Response:
    # Unknown paths and wrong methods get the same envelope as every other error.
    type_, code = _HTTP_ERRORS.get(exc.status_code, ("invalid_request_error", "invalid_request"))
    response = error_response(exc.status_code, type_, code, str(exc.detail), None, _faults(request))
    response.headers.update(exc.headers or {})  # e.g. Allow on 405
    return response


async def _on_crash(request: Request, exc: Exception) -> Response:
    # A crash of the reference gateway is a bug of the suite's own, never a fault switch: say so loudly.
    traceback.print_exception(exc, file=sys.stderr)
    return error_response(500, "api_error", "internal_error", "Internal server error.", None, _faults(request))


# --- stateful API: the routes of `stateful=True` (state_routes.py, conversations.py) ---
def _with_json(handler):
    """A state handler that reads a JSON object body, behind the API key."""
    async def endpoint(request: Request) -> Response:
        _authorize(request)
        return await handler(request, await _json_object(request), _json)
    return endpoint


def _without_body(handler):
    async def endpoint(request: Request) -> Response:
        _authorize(request)
        return await handler(request, _json)
    return endpoint


def _state_routes() -> list[Route]:
    """Literal paths before the {id} ones: /responses/compact is no response id."""
    return [
        Route("/v1/responses/input_tokens", _with_json(state_routes.count_input_tokens), methods=["POST"]),
        Route("/v1/responses/compact", _with_json(state_routes.compact), methods=["POST"]),
        Route("/v1/responses/{response_id}", _without_body(state_routes.get_response), methods=["GET"]),
        Route("/v1/responses/{response_id}", _without_body(state_routes.delete_response), methods=["DELETE"]),
        Route("/v1/responses/{response_id}/input_items", _without_body(state_routes.list_input_items),
              methods=["GET"]),
        Route("/v1/responses/{response_id}/cancel", _without_body(state_routes.cancel_response), methods=["POST"]),
        Route("/v1/conversations", _with_json(conversations.create_conversation), methods=["POST"]),
        Route("/v1/conversations/{conversation_id}", _without_body(conversations.get_conversation),
              methods=["GET"]),
        Route("/v1/conversations/{conversation_id}", _with_json(conversations.update_conversation),
              methods=["POST"]),
        Route("/v1/conversations/{conversation_id}", _without_body(conversations.delete_conversation),
              methods=["DELETE"]),
        Route("/v1/conversations/{conversation_id}/items", _without_body(conversations.list_items),
              methods=["GET"]),
        Route("/v1/conversations/{conversation_id}/items", _with_json(conversations.add_items), methods=["POST"]),
    ]


def create_app(api_keys: Iterable[str] = (DEFAULT_API_KEY,), faults: Iterable[str] = (),
               stateful: bool = False) -> Starlette:
    """`stateful`: serve the stored-response API (OpenAI semantics) instead of refusing state with 400."""
    active = validate_faults(faults)
    if isinstance(api_keys, str):  # one key, not an iterable of characters
        api_keys = [api_keys]
    app = Starlette(
        routes=[
            *(_state_routes() if stateful else []),
            Route("/v1/responses", post_response, methods=["POST"]),
            Route("/v1/chat/completions", post_chat_completion, methods=["POST"]),
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/v1/models/{model_id:path}", get_model, methods=["GET"]),
            Route("/v1/directory/models", model_directory, methods=["GET"]),
            Route("/v1/assets/{name}", get_asset, methods=["GET"]),
        ],
        middleware=[Middleware(CloseAfterErrorMiddleware, faults=active),
                    Middleware(RequestIdMiddleware, faults=active)],
        exception_handlers={ApiError: _on_api_error, HTTPException: _on_http_error, Exception: _on_crash},
    )
    app.state.api_keys = frozenset(api_keys)
    app.state.faults = switches(active)
    app.state.drops = dropped_fields(active)
    app.state.prompt_cache = PromptCache()
    app.state.store = Store() if stateful else None
    app.state.stopping = threading.Event()  # set by ReferenceServer.stop: stalled streams give up
    return app
