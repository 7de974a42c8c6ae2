"""The conversations endpoints of the stateful reference mode (OpenAI's shapes).

POST /v1/conversations, GET / POST (update) / DELETE /v1/conversations/{id},
GET and POST /v1/conversations/{id}/items. A response created with
`conversation` reads the conversation's items as its history and adds its
input and output to them (stateful.py).
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from .errors import invalid
from .state_routes import listing, not_found, store_of
from .stateful import new_items
from .store import Conversation

MAX_ITEMS = 20  # OpenAI accepts up to 20 items per create call


def _metadata(value) -> dict:
    if value is None:
        return {}
    if not (isinstance(value, dict) and len(value) <= 16
            and all(isinstance(k, str) and len(k) <= 64 and isinstance(v, str) and len(v) <= 512
                    for k, v in value.items())):
        raise invalid("invalid_parameter_value", "'metadata' must map at most 16 string keys to string values.",
                      "metadata")
    return dict(value)


def _items(value, store) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ITEMS or not all(isinstance(i, dict) for i in value):
        raise invalid("invalid_parameter_value", f"'items' must be a list of at most {MAX_ITEMS} items.", "items")
    return new_items(value, store)


def _shown(conversation: Conversation) -> dict:
    return {"id": conversation.id, "object": "conversation", "created_at": conversation.created_at,
            "metadata": conversation.metadata}


async def create_conversation(request: Request, body: dict, respond) -> Response:
    store = store_of(request)
    conversation = Conversation(store.new_id("conv"), int(time.time()), _metadata(body.get("metadata")),
                                _items(body.get("items"), store))
    store.add_conversation(conversation)
    return respond(request, _shown(conversation))


async def get_conversation(request: Request, respond) -> Response:
    found = store_of(request).conversation(request.path_params["conversation_id"])
    if found is None:
        return not_found(request, "Conversation", request.path_params["conversation_id"])
    return respond(request, _shown(found))


async def update_conversation(request: Request, body: dict, respond) -> Response:
    if "metadata" not in body:
        raise invalid("missing_required_parameter", "Missing required parameter: 'metadata'.", "metadata")
    metadata = _metadata(body["metadata"])
    found = store_of(request).change_conversation(request.path_params["conversation_id"],
                                                  lambda c: setattr(c, "metadata", metadata))
    if found is None:
        return not_found(request, "Conversation", request.path_params["conversation_id"])
    return respond(request, _shown(found))


async def delete_conversation(request: Request, respond) -> Response:
    conversation_id = request.path_params["conversation_id"]
    if not store_of(request).delete_conversation(conversation_id):
        return not_found(request, "Conversation", conversation_id)
    return respond(request, {"id": conversation_id, "object": "conversation.deleted", "deleted": True})


async def list_items(request: Request, respond) -> Response:
    found = store_of(request).conversation(request.path_params["conversation_id"])
    if found is None:
        return not_found(request, "Conversation", request.path_params["conversation_id"])
    items = found.items
    if "conversation_items_missing" in request.app.state.faults:
        items = [item for item in items if item.get("role") != "assistant"]  # the responses' output is lost
    return respond(request, listing(request, items))


async def add_items(request: Request, body: dict, respond) -> Response:
    store = store_of(request)
    added = _items(body.get("items"), store)
    if not added:
        raise invalid("missing_required_parameter", "Missing required parameter: 'items'.", "items")
    found = store.change_conversation(request.path_params["conversation_id"], lambda c: c.items.extend(added))
    if found is None:
        return not_found(request, "Conversation", request.path_params["conversation_id"])
    return respond(request, {"object": "list", "data": added, "first_id": added[0]["id"],
                             "last_id": added[-1]["id"], "has_more": False})
