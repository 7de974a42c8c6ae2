"""`stream: true` on /v1/chat/completions: the chat answer replayed as `chat.completion.chunk`s.

Frames are `data: <chunk JSON>` with no `event:` line. In order:

1. `delta: {"role": "assistant", "content": ""}` (content null when the answer has
   none: tool calls or a refusal);
2. content deltas, one per word piece (`engine.text_chunks`, the same pieces as the
   Responses stream's `output_text.delta`s; with logprobs each carries its token's
   entry), or `refusal` deltas; for tool calls, per call one delta
   `tool_calls: [{index, id, type, function: {name, arguments: ""}}]` and then the
   arguments in fragments of `streaming.ARGUMENT_CHUNK` characters,
   `tool_calls: [{index, function: {arguments}}]`;
3. `delta: {}` with `finish_reason`;
4. the usage chunk, `choices: []` with `usage` and `routing_metadata` (always sent:
   the gateway forces `stream_options.include_usage`, as Auriko does);
5. `data: [DONE]`.

An upstream failure sends the deltas produced so far, then
`data: {"error": {"message", "type": "api_error", "code": "upstream_error", "param": null}}`
on the HTTP 200 stream, and ends (no finish_reason, usage or [DONE]).
Every chat stream fault switch is a plain `if "<name>" in faults:` branch here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

from .chat import call_arguments, completion, function_calls, message_parts
from .engine import text_chunks
from .streaming import ARGUMENT_CHUNK, EventStreamResponse, _body

DONE = b"data: [DONE]\n\n"


def iter_chunks(response: dict, body: dict, faults: frozenset[str]) -> Iterator[dict]:
    """The chunk dicts (and a final error object on failure) of the chat stream of `response`."""
    answer = completion(response, body, faults)
    base = {"id": answer["id"], "object": "chat.completion.chunk", "created": answer["created"],
            "model": answer["model"]}
    if "chat_chunk_object_wrong" in faults:
        base["object"] = "chat.completion"
    with_logprobs = body.get("logprobs") is True

    def chunk(delta: dict, finish_reason: str | None = None, logprobs: dict | None = None) -> dict:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": logprobs,
                                     "finish_reason": finish_reason}]}

    # content "" opens a text answer; null when the answer has no content (tool calls, a refusal),
    # so that what a client accumulates equals the non-streamed message.
    yield chunk({"role": "assistant", "content": "" if answer["choices"][0]["message"]["content"] is not None
                 else None})

    deltas = []
    for part in message_parts(response):
        field = "refusal" if part["type"] == "refusal" else "content"
        pieces = text_chunks(part.get("refusal" if field == "refusal" else "text", ""))
        entries = part.get("logprobs") or []
        for index, piece in enumerate(pieces):
            logprobs = None
            if with_logprobs:
                logprobs = {"content": [entries[index]] if len(entries) == len(pieces) and field == "content"
                            else [], "refusal": None}
            deltas.append(chunk({field: piece}, logprobs=logprobs))
    if "chat_stream_text_differs" in faults:
        content = [d for d in deltas if "content" in d["choices"][0]["delta"]]
        if content:
            deltas.remove(content[-1])  # one content delta is never sent
    yield from deltas

    for index, item in enumerate(function_calls(response)):
        yield chunk({"tool_calls": [{"index": index, "id": item["call_id"], "type": "function",
                                     "function": {"name": item["name"], "arguments": ""}}]})
        arguments = call_arguments(item, faults)
        fragment_index = 1 if "chat_stream_tool_index_wrong" in faults and index == 0 else index
        for start in range(0, len(arguments), ARGUMENT_CHUNK):
            yield chunk({"tool_calls": [{"index": fragment_index,
                                         "function": {"arguments": arguments[start:start + ARGUMENT_CHUNK]}}]})

    if response["status"] == "failed":
        error = dict(response["error"])
        if "stream_error_code_wrong" in faults:
            error["code"] = "server_error"
        if "chat_stream_error_as_event" in faults:
            yield {"type": "error", "code": error["code"], "message": error["message"], "param": None}
        else:
            yield {"error": {"message": error["message"], "type": "api_error", "code": error["code"], "param": None}}
        return

    choice = answer["choices"][0]
    if "chat_stream_no_finish_reason" not in faults:
        yield chunk({}, choice["finish_reason"])
    if "chat_stream_no_usage_chunk" not in faults:
        last = {**base, "choices": [], "usage": answer["usage"], "routing_metadata": answer["routing_metadata"]}
        if "stream_routing_metadata_missing" in faults:
            del last["routing_metadata"]
        yield last


def iter_chat_frames(response: dict, body: dict, faults: frozenset[str]) -> Iterator[bytes]:
    """The `data:` frames of the chat stream, one bytes object per frame. Pure and lazy."""
    failed = response["status"] == "failed"
    for payload in iter_chunks(response, body, faults):
        yield f"data: {json.dumps(payload, separators=(',', ':'), ensure_ascii=False)}\n\n".encode()
    if not failed and "chat_stream_no_done" not in faults:
        yield DONE


def chat_stream_response(response: dict, body: dict, faults: frozenset[str],
                         stopping: threading.Event) -> EventStreamResponse:
    """HTTP 200 with the chat stream of `response` (the Responses transport faults do not apply)."""
    return EventStreamResponse(_body(iter_chat_frames(response, body, faults), frozenset(), stopping),
                               media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
