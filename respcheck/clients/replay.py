"""An exchange of a case as the clients are handed it: the operation a user
would call, the request sent, and the answer's status, headers and raw bytes.

The same JSON-able dict goes to every client (the Node one over a pipe), so
one comparison serves all. A step the clients cannot be handed says why."""

from __future__ import annotations

import base64
import json

# Endpoints (logical paths) and the SDK call a user makes for them.
_POST_OPERATIONS = {"/responses": ("responses.create", "responses.stream"),
                    "/chat/completions": ("chat.completions.create", "chat.completions.stream")}


# The stored-state endpoints (logical path patterns, each `{name}` one path segment) and the SDK call for
# each method. A stored response replayed as a stream (GET ...?stream=true) has no call here: not judged.
_STATE_OPERATIONS = {
    ("GET", "/responses/{response_id}"): "responses.retrieve",
    ("DELETE", "/responses/{response_id}"): "responses.delete",
    ("POST", "/responses/{response_id}/cancel"): "responses.cancel",
    ("GET", "/responses/{response_id}/input_items"): "responses.input_items.list",
    ("POST", "/responses/input_tokens"): "responses.input_tokens.count",
    ("POST", "/responses/compact"): "responses.compact",
    ("POST", "/conversations"): "conversations.create",
    ("GET", "/conversations/{conversation_id}"): "conversations.retrieve",
    ("POST", "/conversations/{conversation_id}"): "conversations.update",
    ("DELETE", "/conversations/{conversation_id}"): "conversations.delete",
    ("GET", "/conversations/{conversation_id}/items"): "conversations.items.list",
    ("POST", "/conversations/{conversation_id}/items"): "conversations.items.create",
}
_FIXED_SEGMENTS = frozenset({"input_tokens", "compact"})  # /responses/compact is no response id


def _match(pattern: str, path: str) -> dict | None:
    """The path's `{name}` segments by name, or None when it does not match."""
    wanted, given = pattern.strip("/").split("/"), path.strip("/").split("/")
    if len(wanted) != len(given):
        return None
    found = {}
    for want, got in zip(wanted, given):
        if want.startswith("{"):
            if not got or got in _FIXED_SEGMENTS:
                return None
            found[want[1:-1]] = got
        elif want != got:
            return None
    return found


def state_operation(method: str, path: str) -> tuple[str, dict] | None:
    """(the SDK call, its path parameters) for a stored-state endpoint, else None."""
    for (want_method, pattern), operation in _STATE_OPERATIONS.items():
        if method == want_method:
            params = _match(pattern, path)
            if params is not None:
                return operation, params
    return None


class NotJudged(Exception):
    """The step's answer cannot be handed to a client faithfully (the reason)."""


def operation_of(method: str, path: str, streaming: bool) -> str | None:
    """The SDK call for a request, or None when no client call matches it
    (GET /models/{id}, the model directory, ...): such a step is not judged."""
    logical = path.split("?", 1)[0].rstrip("/")
    if method == "POST" and logical in _POST_OPERATIONS:
        return _POST_OPERATIONS[logical][1 if streaming else 0]
    if method == "GET" and logical == "/models":
        return "models.list"
    state = state_operation(method, logical)
    if state is not None and not (streaming and method == "GET"):
        return state[0]
    return None


def build_replay(operation: str, exchange, path: str = "", query: dict | None = None) -> dict:
    """The replay dict of one answered exchange; NotJudged when its bytes
    are not all there (a stream past the kept size, a body cut by a limit)."""
    if exchange.status is None:
        raise NotJudged(f"no answer came ({exchange.error or 'not sent'})")
    end = exchange.stream_end
    if exchange.streamed and end is not None and end.reason == "stream.too_long":
        # The suite's own limit stopped reading: the bytes kept are not the stream a client would get.
        raise NotJudged(f"the suite stopped reading the stream: {end.message}")
    if exchange.streamed and not exchange.mislabelled:
        if exchange.stream_raw is None:
            raise NotJudged("the stream's bytes were not kept")
        if exchange.stream_raw_clipped:
            raise NotJudged(f"the stream is larger than the {len(exchange.stream_raw)} bytes kept for clients")
        raw = exchange.stream_raw
    else:
        if exchange.error and "stopped reading" in exchange.error:
            raise NotJudged(f"the body is not complete: {exchange.error}")
        raw = exchange.body
    replay = {"operation": operation, "request": _request_json(exchange.request_body),
              "status": exchange.status, "headers": dict(exchange.response_headers),
              "body_b64": base64.b64encode(raw).decode("ascii")}
    state = state_operation(exchange.method, path.split("?", 1)[0].rstrip("/")) if path else None
    if state is not None:  # the stored-state calls take ids from the path and options from the query
        replay["params"] = state[1]
        replay["query"] = {str(k): v for k, v in (query or {}).items()}
    return replay


def body_of(replay: dict) -> bytes:
    return base64.b64decode(replay["body_b64"])


def _request_json(body: bytes | None):
    if not body:
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None  # a case sending bytes that are not JSON: a client would never send them
    return value if isinstance(value, dict) else None
