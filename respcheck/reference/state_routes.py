"""The stored-response endpoints of the stateful reference mode.

GET / DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items,
POST /v1/responses/{id}/cancel, POST /v1/responses/input_tokens and
POST /v1/responses/compact, with OpenAI's shapes: list envelopes
`{object: list, data, first_id, last_id, has_more}`, a deleted object, and a
404 envelope for an id the store does not hold.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from . import compaction, engine, stateful
from .errors import ApiError, api_error_response, invalid
from .request import parse_request
from .store import Store, StoredResponse, page
from .streaming import event_stream_response

MAX_LIMIT = 100


def store_of(request: Request) -> Store:
    return request.app.state.store


def not_found(request: Request, what: str, ident: str) -> Response:
    """404 for an id nobody stored (or one deleted since)."""
    faults = request.app.state.faults
    if "not_found_envelope_wrong" in faults:
        return Response(json.dumps({"detail": "Not Found"}), status_code=404, media_type="application/json")
    return api_error_response(ApiError(404, "not_found_error", "resource_not_found",
                                       f"{what} with id '{ident}' not found."), faults)


def list_params(request: Request) -> tuple[int, str | None, str]:
    """limit (1..100, default 20), after, order (asc | desc, default desc) of a list endpoint."""
    query = request.query_params
    raw = query.get("limit", "20")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise invalid("invalid_parameter_value", f"'limit' must be an integer from 1 to {MAX_LIMIT}.", "limit")
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid("invalid_parameter_value", "'order' must be asc or desc.", "order")
    return int(raw), query.get("after"), order


def listing(request: Request, items: list[dict]) -> dict:
    limit, after, order = list_params(request)
    faults = request.app.state.faults
    if "input_items_order_wrong" in faults:
        order = "desc" if order == "asc" else "asc"
    if "input_items_after_ignored" in faults:
        after = None
    if after is not None and after not in {item.get("id") for item in items}:
        raise invalid("invalid_parameter_value", f"'after': no item with id '{after}' in this list.", "after")
    found = page(items, limit=limit, after=after, order=order)
    if "input_items_has_more_wrong" in faults:
        found["has_more"] = False
    return found


def _include(request: Request) -> list[str]:
    query = request.query_params
    return [*query.getlist("include"), *query.getlist("include[]")]


def _poll(record: StoredResponse) -> None:
    record.polls += 1


async def get_response(request: Request, respond) -> Response:
    response_id = request.path_params["response_id"]
    record = store_of(request).update(response_id, _poll)
    if record is None:
        return not_found(request, "Response", response_id)
    faults = request.app.state.faults
    shown = stateful.with_include(stateful.current(record, faults), _include(request), faults)
    if request.query_params.get("stream") == "true" and "retrieve_stream_ignored" not in faults:
        # The stored response replayed as the events that made it (OpenAI: GET ...?stream=true).
        return event_stream_response(shown, faults, request.app.state.stopping)
    return respond(request, shown)


async def delete_response(request: Request, respond) -> Response:
    response_id = request.path_params["response_id"]
    store = store_of(request)
    found = store.get(response_id) is not None if "delete_keeps_response" in request.app.state.faults \
        else store.delete(response_id)
    if not found:
        return not_found(request, "Response", response_id)
    return respond(request, {"id": response_id, "object": "response", "deleted": True})


async def list_input_items(request: Request, respond) -> Response:
    response_id = request.path_params["response_id"]
    record = store_of(request).get(response_id)
    if record is None:
        return not_found(request, "Response", response_id)
    return respond(request, listing(request, record.input_items))


def _cancel(faults: frozenset[str]):
    def change(record: StoredResponse) -> None:
        shown = stateful.current(record, faults)["status"]
        if not record.background and "cancel_finished_succeeds" not in faults:
            raise invalid("invalid_request", "Only a response created with background: true can be cancelled.")
        if shown == "completed" and record.background:
            raise invalid("invalid_request", "The response has already completed; it cannot be cancelled.")
        if "cancel_ignored" not in faults:
            record.cancelled = True
    return change


async def cancel_response(request: Request, respond) -> Response:
    response_id = request.path_params["response_id"]
    faults = request.app.state.faults
    record = store_of(request).update(response_id, _cancel(faults))
    if record is None:
        return not_found(request, "Response", response_id)
    return respond(request, stateful.current(record, faults))


async def count_input_tokens(request: Request, body: dict, respond) -> Response:
    """POST /v1/responses/input_tokens: what the input (after any stored items) costs, as usage would say."""
    faults = request.app.state.faults
    plain, _ = stateful.model_body(body, store_of(request), faults)
    parsed = parse_request({"model": "ref-text-1", **plain}, faults)  # a count needs no model
    count = engine.usage(parsed.instructions, parsed.messages, "")["input_tokens"]
    if "input_tokens_wrong" in faults:
        count += 1
    return respond(request, {"object": "response.input_tokens", "input_tokens": count})


async def compact(request: Request, body: dict, respond) -> Response:
    faults = request.app.state.faults
    store = store_of(request)
    plain, _ = stateful.model_body(body, store, faults)
    return respond(request, compaction.compact(plain, faults, store.new_id))
