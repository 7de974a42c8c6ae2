"""The suite's own reading of an answer, in the shape of a client's view:
what the checks read from the body (or the stream's terminal snapshot, or
the chat chunks added up). Only what the suite can read is given; a value
the body does not hold is None, as an SDK's accessor gives it."""

from __future__ import annotations

import json

from .sdk_common import wants_json


def suite_reading(operation: str, body, request: dict | None) -> dict:
    if operation in _STATE_READINGS:
        return _STATE_READINGS[operation](body) if isinstance(body, dict) else {}
    if operation.startswith("responses."):
        return _response(body, request) if isinstance(body, dict) else {}
    if operation.startswith("chat."):
        return _chat(body, request) if isinstance(body, dict) else {}
    if operation == "models.list" and isinstance(body, dict) and isinstance(body.get("data"), list):
        return {"model_ids": [m.get("id") for m in body["data"] if isinstance(m, dict)]}
    return {}


def _json_or_missing(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return _UNREADABLE


_UNREADABLE = object()  # the text is not JSON: the suite holds no parsed value to compare


def _response(body: dict, request) -> dict:
    output = body.get("output") if isinstance(body.get("output"), list) else []
    texts, calls = [], []
    for item in output:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "message" and isinstance(item.get("content"), list):
            texts += [part.get("text") or "" for part in item["content"]
                      if isinstance(part, dict) and part.get("type") == "output_text"]
        elif item.get("type") == "function_call":
            calls.append({"name": item.get("name"), "arguments": item.get("arguments"),
                          "call_id": item.get("call_id")})
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else None
    text = "".join(texts)
    reading = {"id": body.get("id"), "status": body.get("status"), "output_text": text, "function_calls": calls,
               "usage": None if usage is None else {k: usage.get(k) for k in
                                                    ("input_tokens", "output_tokens", "total_tokens")}}
    if wants_json(request, chat=False):
        parsed = _json_or_missing(text)
        if parsed is not _UNREADABLE:
            reading["parsed"] = parsed
    return reading


def _chat(body: dict, request) -> dict:
    choices = body.get("choices") if isinstance(body.get("choices"), list) else []
    choice = choices[0] if choices and isinstance(choices[0], dict) else {}
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    calls = []
    for call in message.get("tool_calls") or ():
        function = call.get("function") if isinstance(call, dict) and isinstance(call.get("function"), dict) else {}
        calls.append({"name": function.get("name"), "arguments": function.get("arguments"),
                      "id": call.get("id") if isinstance(call, dict) else None})
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else None
    reading = {"id": body.get("id"), "chat_content": message.get("content"), "chat_tool_calls": calls,
               "finish_reason": choice.get("finish_reason"),
               "chat_usage": None if usage is None else {k: usage.get(k) for k in
                                                         ("prompt_tokens", "completion_tokens", "total_tokens")}}
    if wants_json(request, chat=True):
        parsed = _json_or_missing(message.get("content"))
        if parsed is not _UNREADABLE:
            reading["parsed"] = parsed
    return reading


# -- the stored-state calls ----------------------------------------------------------------------------
def _page(body: dict) -> dict:
    data = body.get("data") if isinstance(body.get("data"), list) else []
    return {"item_ids": [item.get("id") if isinstance(item, dict) else None for item in data],
            "has_more": body.get("has_more")}


def _conversation(body: dict) -> dict:
    return {"id": body.get("id"), "metadata": body.get("metadata")}


def _compacted(body: dict) -> dict:
    output = body.get("output") if isinstance(body.get("output"), list) else []
    return {"id": body.get("id"), "output_types": [i.get("type") if isinstance(i, dict) else None for i in output]}


_STATE_READINGS = {
    "responses.retrieve": lambda body: _response(body, None),
    "responses.cancel": lambda body: _response(body, None),
    "responses.delete": lambda body: {},
    "responses.input_items.list": _page,
    "conversations.items.list": _page,
    "conversations.items.create": _page,
    "responses.input_tokens.count": lambda body: {"input_tokens": body.get("input_tokens")},
    "responses.compact": _compacted,
    "conversations.create": _conversation,
    "conversations.retrieve": _conversation,
    "conversations.update": _conversation,
    "conversations.delete": lambda body: {"id": body.get("id"), "deleted": body.get("deleted")},
}
