"""The stateful reference gateway's memory: stored responses and conversations.

In memory, guarded by one lock (the gateway answers several cases at once),
with ids from a counter so that two runs of the same requests store the same
things under the same shape of id. Nothing here knows HTTP: the routes in
`state_routes` and `conversations` turn a missing id into a 404.
"""

from __future__ import annotations

import copy
import itertools
import threading
from dataclasses import dataclass, field


@dataclass
class StoredResponse:
    response: dict  # the Response as it stands now (a background one: its final form once finished)
    input_items: list[dict]  # what the request sent, in order, each with an id
    history: list[dict]  # the items the next turn (previous_response_id) continues from: input and output
    background: bool = False
    polls: int = 0  # GETs of a background response so far: each moves it one state on
    cancelled: bool = False


@dataclass
class Conversation:
    id: str
    created_at: int
    metadata: dict
    items: list[dict] = field(default_factory=list)


class Store:
    """Responses and conversations by id; every read hands out a copy."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._responses: dict[str, StoredResponse] = {}
        self._conversations: dict[str, Conversation] = {}

    def new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}_{next(self._counter):024x}"

    # --- responses ---
    def put(self, record: StoredResponse) -> None:
        with self._lock:
            self._responses[record.response["id"]] = copy.deepcopy(record)

    def get(self, response_id: str) -> StoredResponse | None:
        with self._lock:
            record = self._responses.get(response_id)
            return copy.deepcopy(record) if record is not None else None

    def update(self, response_id: str, change) -> StoredResponse | None:
        """Apply `change(record)` under the lock (a poll, a cancel); the record after it, or None."""
        with self._lock:
            record = self._responses.get(response_id)
            if record is None:
                return None
            change(record)
            return copy.deepcopy(record)

    def delete(self, response_id: str) -> bool:
        with self._lock:
            return self._responses.pop(response_id, None) is not None

    # --- conversations ---
    def add_conversation(self, conversation: Conversation) -> None:
        with self._lock:
            self._conversations[conversation.id] = copy.deepcopy(conversation)

    def conversation(self, conversation_id: str) -> Conversation | None:
        with self._lock:
            found = self._conversations.get(conversation_id)
            return copy.deepcopy(found) if found is not None else None

    def change_conversation(self, conversation_id: str, change) -> Conversation | None:
        with self._lock:
            found = self._conversations.get(conversation_id)
            if found is None:
                return None
            change(found)
            return copy.deepcopy(found)

    def delete_conversation(self, conversation_id: str) -> bool:
        with self._lock:
            return self._conversations.pop(conversation_id, None) is not None


def page(items: list[dict], *, limit: int, after: str | None, order: str) -> dict:
    """An OpenAI list envelope of `items` (given oldest first): `order` desc
    starts at the newest, `after` is the id the page starts behind. An `after`
    no item has gives an empty page (the caller checks ids it must know)."""
    ordered = list(items) if order == "asc" else list(reversed(items))
    if after is not None:
        ids = [item.get("id") for item in ordered]
        ordered = ordered[ids.index(after) + 1:] if after in ids else []
    data = ordered[:limit]
    return {"object": "list", "data": data,
            "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None,
            "has_more": len(ordered) > len(data)}
