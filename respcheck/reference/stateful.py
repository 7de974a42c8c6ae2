"""POST /v1/responses with state (the stateful reference mode, OpenAI semantics).

A request that continues earlier work (`previous_response_id`, `conversation`)
is answered as if its input were the stored items followed by the new ones, so
the deterministic model (engine.py) sees the whole conversation and a
function_call_output can answer a call the stored response made. The stateless
model code is reused as it is: the state fields are taken off the body, the
stored items put in front of its input, and the answer echoes the state fields.

`store` defaults to true (as OpenAI's does). A `background: true` response is
computed at once but shown `queued`, then one state further per GET (queued ->
in_progress -> completed): polls drive it, never the clock, so runs are
deterministic on a loaded machine.
"""

from __future__ import annotations

import copy

from . import compaction, logprobs
from .cache import PromptCache
from .errors import ApiError, invalid
from .responses import create_response, prepare_response
from .store import Store, StoredResponse

STATE_FIELDS = ("store", "previous_response_id", "background", "conversation")
BACKGROUND_STATES = ("queued", "in_progress", "completed")
_ITEM_PREFIX = {"message": "msg", "function_call": "fc", "function_call_output": "fco", "compaction": "cmp"}


def _bad_value(param: str, message: str) -> ApiError:
    return invalid("invalid_parameter_value", message, param)


def new_items(value, store: Store) -> list[dict]:
    """The request's input as stored items: a string is one user message, every item gets an id."""
    if isinstance(value, str):
        value = [{"type": "message", "role": "user", "content": value}]
    items = []
    for raw in value if isinstance(value, list) else []:
        if not isinstance(raw, dict):
            continue  # parse_request has refused it already
        item = copy.deepcopy(raw)
        kind = item.setdefault("type", "message")
        if kind == "message":
            if isinstance(item.get("content"), str):
                part = "output_text" if item.get("role") == "assistant" else "input_text"
                item["content"] = [{"type": part, "text": item["content"]}]
            item.setdefault("status", "completed")
        item.setdefault("id", store.new_id(_ITEM_PREFIX.get(kind, "item")))
        items.append(item)
    return items


def conversation_id(value) -> str:
    """`conversation` is an id or {"id": ...}."""
    found = value.get("id") if isinstance(value, dict) else value
    if not isinstance(found, str) or not found:
        raise _bad_value("conversation", "'conversation' must be a conversation id or an object with an id.")
    return found


def _check_state_fields(body: dict) -> None:
    for name in ("store", "background"):
        if body.get(name) is not None and not isinstance(body[name], bool):
            raise _bad_value(name, f"'{name}' must be a boolean.")
    previous = body.get("previous_response_id")
    if previous is not None and not (isinstance(previous, str) and previous):
        raise _bad_value("previous_response_id", "'previous_response_id' must be a response id.")
    if previous is not None and body.get("conversation") is not None:
        raise _bad_value("previous_response_id", "Send either 'previous_response_id' or 'conversation', not both.")
    if body.get("background") is True and body.get("store") is False:
        raise _bad_value("background", "background: true needs the response stored (store: true).")


def history(body: dict, store: Store, faults: frozenset[str]) -> list[dict]:
    """The stored items this request continues from ([] for a fresh one)."""
    previous = body.get("previous_response_id")
    if previous is not None:
        record = store.get(previous)
        if record is None:
            if "unknown_previous_accepted" in faults:
                return []
            raise ApiError(400, "invalid_request_error", "previous_response_not_found",
                           f"Previous response with id '{previous}' not found.", "previous_response_id")
        if "previous_response_id_dropped" in faults:
            return []
        items = record.history
        if "function_call_output_unmatched" in faults:
            items = [item for item in items if item.get("type") != "function_call"]
        return items
    if body.get("conversation") is not None:
        found = store.conversation(conversation_id(body["conversation"]))
        if found is None:
            raise ApiError(404, "not_found_error", "resource_not_found",
                           f"Conversation with id '{conversation_id(body['conversation'])}' not found.", "conversation")
        return found.items
    return []


def model_body(body: dict, store: Store, faults: frozenset[str]) -> tuple[dict, list[dict]]:
    """The body the stateless code answers (no state fields, the stored items
    before the input), and those stored items."""
    _check_state_fields(body)
    plain = {key: value for key, value in body.items() if key not in STATE_FIELDS}
    earlier = history(body, store, faults)
    if earlier and "input" in body:
        value = body["input"]
        if isinstance(value, str):
            value = [{"type": "message", "role": "user", "content": value}]
        if isinstance(value, list):
            plain["input"] = [*earlier, *value]
    if isinstance(plain.get("input"), list):
        plain["input"] = compaction.expand(plain["input"])
    return plain, earlier


def _echo(response: dict, body: dict, stored: bool) -> dict:
    response["store"] = stored
    response["previous_response_id"] = body.get("previous_response_id")
    response["background"] = body.get("background") is True
    if body.get("conversation") is not None:
        response["conversation"] = {"id": conversation_id(body["conversation"])}
    return response


def _remember(response: dict, body: dict, earlier: list[dict], store: Store, faults: frozenset[str],
              background: bool) -> None:
    """Store the response (unless store: false), and add its turn to the conversation."""
    items = new_items(body.get("input"), store)
    stored = body.get("store") is not False or "store_false_stored" in faults
    if stored:
        store.put(StoredResponse(response, items, [*earlier, *items, *copy.deepcopy(response["output"])],
                                 background=background))
    if body.get("conversation") is not None:
        turn = [*items, *copy.deepcopy(response["output"])]
        store.change_conversation(conversation_id(body["conversation"]), lambda c: c.items.extend(turn))


def create(body: dict, faults: frozenset[str], cache: PromptCache | None, store: Store) -> dict:
    """The non-streaming answer (a background one: its queued snapshot)."""
    plain, earlier = model_body(body, store, faults)
    response = _echo(create_response(plain, faults, cache), body, body.get("store") is not False)
    background = body.get("background") is True
    _remember(response, body, earlier, store, faults, background)
    if background and "background_completed_at_once" not in faults:
        return snapshot(response, "queued")
    return response


def prepare_stream(body: dict, faults: frozenset[str], cache: PromptCache | None, store: Store) -> dict:
    """The final Response a stream replays, stored like a plain answer (streams run in the foreground)."""
    plain, earlier = model_body(body, store, faults)
    response = _echo(prepare_response(plain, faults, cache), body, body.get("store") is not False)
    _remember(response, body, earlier, store, faults, False)
    return response


def snapshot(response: dict, status: str) -> dict:
    """A response not finished yet: no output, no usage."""
    shown = copy.deepcopy(response)
    shown.update(status=status, output=[], usage=None, completed_at=None)
    return shown


def current(record: StoredResponse, faults: frozenset[str]) -> dict:
    """What a GET shows of the record now."""
    if record.cancelled:
        return snapshot(record.response, "cancelled")
    if not record.background:
        return record.response
    last = 1 if "background_never_completes" in faults else len(BACKGROUND_STATES) - 1
    state = BACKGROUND_STATES[min(record.polls, last)]
    return record.response if state == "completed" else snapshot(record.response, state)


def with_include(response: dict, include: list[str], faults: frozenset[str]) -> dict:
    """The response as GET shows it: token logprobs only when `include` asks for them."""
    shown = copy.deepcopy(response)
    wanted = logprobs.INCLUDE in include and "retrieve_include_ignored" not in faults
    top = response.get("top_logprobs") or 0
    for item in shown.get("output") or []:
        for part in item.get("content") or [] if item.get("type") == "message" else []:
            if part.get("type") == "output_text":
                part["logprobs"] = logprobs.entries(part["text"], top, faults) if wanted else []
    if "retrieve_output_differs" in faults:
        for item in shown.get("output") or []:
            for part in item.get("content") or [] if item.get("type") == "message" else []:
                if part.get("type") == "output_text":
                    part["text"] += " (retrieved)"
    return shown
