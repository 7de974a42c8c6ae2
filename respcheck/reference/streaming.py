"""`stream: true`: the final Response, replayed as server-sent events.

The events are derived from the one Response dict `build_response` made, so a
streamed answer and a plain one always agree. Three layers, each lazy:

- `iter_events`: the events as dicts, without sequence numbers, in order
  (created, in_progress, per item added / parts / deltas / done, terminal);
- `iter_stream_frames`: numbered and framed as `event: <type>` + `data: <json>`;
  pure, so a benchmark can call it without HTTP;
- `event_stream_response`: the Starlette response, which batches frames and
  does what only a transport can (stall, cut, wrong content type).

Every stream fault switch is a plain `if "<name>" in faults:` branch in the layer
where its behaviour happens.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import AsyncIterator, Iterable, Iterator

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Send

from .engine import text_chunks

TERMINAL_EVENTS = {
    "completed": "response.completed",
    "incomplete": "response.incomplete",
    "failed": "response.failed",
}
TEXT_DELTA = "response.output_text.delta"
CONTENT_DELTAS = frozenset({TEXT_DELTA, "response.refusal.delta"})  # the events the delta faults touch
ARGUMENT_CHUNK = 8  # characters per function_call_arguments.delta
STALL_AFTER_EVENTS = 3  # stream_stall and stream_cut send this many events first
BATCH_BYTES = 64 * 1024  # frames are sent in writes of about this size


# --- events ---------------------------------------------------------------------------------

def iter_events(response: dict, faults: Iterable[str] = frozenset()) -> Iterator[dict]:
    """The events of one stream, in order, without sequence numbers (see `iter_stream_frames`)."""
    faults = frozenset(faults)
    failed = response.get("status") == "failed"
    if "stream_truncation_completed" in faults and response.get("status") == "incomplete":
        response = reported_as_completed(response)

    # The snapshots describe a response still running: no usage yet, and no routing_metadata
    # (its cost is not known before the end); the terminal event carries both.
    snapshot = {key: value for key, value in response.items() if key != "routing_metadata"}
    snapshot.update(status="in_progress", output=[], usage=None, completed_at=None, error=None,
                    incomplete_details=None)
    created = {**snapshot, "status": "completed"} if "stream_created_usage" in faults else snapshot
    if "stream_first_event_wrong" not in faults:
        yield {"type": "response.created", "response": created}
    yield {"type": "response.in_progress", "response": snapshot}
    if "stream_unknown_event" in faults:
        yield {"type": "response.keepalive"}

    walk = _Walk(faults)
    for index, item in enumerate(response.get("output") or []):
        # A failed response's unfinished item stops the stream after its deltas (unless the
        # gateway pretends nothing happened: then the item is finished as far as it got).
        interrupted = (failed and item.get("status") == "incomplete"
                       and "stream_error_not_failed" not in faults)
        yield from walk.item(item, index, interrupted)
        if interrupted:
            break

    if failed:
        error = response.get("error") or {}
        code = "server_error" if "stream_error_code_wrong" in faults else error.get("code")
        yield {"type": "error", "code": code,
               "message": error.get("message") or "The response failed.", "param": None}

    terminal = response
    if "stream_usage_missing" in faults:
        terminal = {key: value for key, value in terminal.items() if key != "usage"}
    if "stream_routing_metadata_missing" in faults:
        terminal = {key: value for key, value in terminal.items() if key != "routing_metadata"}
    if "stream_completed_empty_output" in faults:
        terminal = {**terminal, "output": []}
    if "stream_error_not_failed" in faults and failed:
        terminal = {**terminal, "status": "completed", "error": None, "completed_at": terminal["created_at"]}
    terminal_event = {"type": TERMINAL_EVENTS.get(terminal.get("status"), "response.completed"), "response": terminal}
    if "stream_no_terminal" in faults:
        return
    yield terminal_event
    if "stream_two_terminals" in faults:
        yield terminal_event
    if "stream_event_after_terminal" in faults:
        first = (response.get("output") or [{}])[0]
        yield {"type": TEXT_DELTA, "item_id": first.get("id", ""), "output_index": 0, "content_index": 0,
               "delta": "", "logprobs": []}


def reported_as_completed(response: dict) -> dict:
    """A truncated Response that claims to be complete (stream_truncation_completed, truncation_reported_completed)."""
    output = [{**item, "status": "completed"} if "status" in item else item for item in response.get("output") or []]
    return {**response, "status": "completed", "incomplete_details": None,
            "completed_at": response.get("created_at"), "output": output}


class _Walk:
    """The events of the output items, with the item-level stream faults."""

    def __init__(self, faults: frozenset[str]):
        self.faults = faults
        self.parts_seen = 0

    def item(self, item: dict, index: int, interrupted: bool) -> Iterator[dict]:
        kind = item.get("type")
        added = dict(item)
        if "status" in added:
            added["status"] = "in_progress"
        if kind == "message":
            added["content"] = []
        elif kind == "function_call" and isinstance(item.get("function"), dict):
            added["function"] = {**item["function"], "arguments": ""}  # tool_call_chat_shape
        elif kind == "function_call":
            added["arguments"] = ""
        elif kind == "reasoning":
            added["summary"] = []
        if "stream_item_added_missing" not in self.faults:
            yield {"type": "response.output_item.added", "output_index": index, "item": added}

        if kind == "message":
            content = item.get("content")
            for content_index, part in enumerate(content if isinstance(content, list) else []):
                yield from self._content_part(item, index, content_index, part, interrupted)
        elif kind == "function_call":
            yield from self._function_call(item, index)
        elif kind == "reasoning" and "stream_reasoning_summary_missing" not in self.faults:
            for summary_index, part in enumerate(item.get("summary") or []):
                yield from self._summary_part(item, index, summary_index, part)
        if interrupted:
            return

        done = item
        if "stream_done_text_differs" in self.faults and kind == "message":
            done = _with_first_text_changed(item)
        if "stream_item_done_missing" not in self.faults:
            yield {"type": "response.output_item.done", "output_index": index, "item": done}

    def _content_part(self, item: dict, index: int, content_index: int, part: dict,
                      interrupted: bool) -> Iterator[dict]:
        where = {"item_id": item.get("id"), "output_index": index, "content_index": content_index}
        field, prefix = ("refusal", "response.refusal") if part.get("type") == "refusal" else \
            ("text", "response.output_text")
        text = part.get(field, "")
        added = {**part, field: ""}
        if "logprobs" in added:
            added["logprobs"] = []
        if "stream_part_added_missing" not in self.faults:
            yield {"type": "response.content_part.added", **where, "part": added}
        self.parts_seen += 1
        chunks = text_chunks(text)
        # Each delta carries the logprob entry of its token (the tokens are these same chunks).
        entries = part.get("logprobs") or []
        entries = [[entry] for entry in entries] if len(entries) == len(chunks) else [[] for _ in chunks]
        if "stream_delta_dropped" in self.faults and self.parts_seen == 1:
            if len(chunks) == 1:  # a one-word part: split the word, so one delta is still sent
                chunks = [chunks[0][:len(chunks[0]) // 2], chunks[0][len(chunks[0]) // 2:]]
                entries = [entries[0], []]
            chunks = chunks[:-1]  # the last delta of the first part is never sent
        for chunk, logprobs in zip(chunks, entries):
            yield self._delta(f"{prefix}.delta", where, chunk, logprobs)
        if interrupted:
            return
        done = {"type": f"{prefix}.done", **where, field: text}
        if field == "text":
            done["logprobs"] = part.get("logprobs") or []
        yield done
        yield {"type": "response.content_part.done", **where, "part": part}

    def _delta(self, kind: str, where: dict, chunk: str, logprobs: list) -> dict:
        delta = {"type": kind, **where, "delta": chunk}
        if kind == TEXT_DELTA:
            delta["logprobs"] = logprobs
        if "stream_index_mismatch" in self.faults:
            delta["output_index"] = where["output_index"] + 1
        if "stream_item_id_mismatch" in self.faults:
            delta["item_id"] = "msg_" + "0" * 24
        if "stream_event_schema" in self.faults:
            delta["delta"] = len(chunk)
        return delta

    def _function_call(self, item: dict, index: int) -> Iterator[dict]:
        where = {"item_id": item.get("id"), "output_index": index}
        call = item["function"] if isinstance(item.get("function"), dict) else item  # tool_call_chat_shape
        arguments = call.get("arguments", "")
        chunks = [arguments[start:start + ARGUMENT_CHUNK] for start in range(0, len(arguments), ARGUMENT_CHUNK)]
        if "stream_tool_arguments_mismatch" in self.faults:
            chunks = chunks[:-1]  # the last piece of the arguments is never sent as a delta
        for chunk in chunks:
            yield {"type": "response.function_call_arguments.delta", **where, "delta": chunk}
        yield {"type": "response.function_call_arguments.done", **where,
               "name": call.get("name"), "arguments": arguments}

    def _summary_part(self, item: dict, index: int, summary_index: int, part: dict) -> Iterator[dict]:
        where = {"item_id": item.get("id"), "output_index": index, "summary_index": summary_index}
        text = part.get("text", "")
        yield {"type": "response.reasoning_summary_part.added", **where, "part": {**part, "text": ""}}
        for chunk in text_chunks(text):
            yield {"type": "response.reasoning_summary_text.delta", **where, "delta": chunk}
        yield {"type": "response.reasoning_summary_text.done", **where, "text": text}
        yield {"type": "response.reasoning_summary_part.done", **where, "part": part}


def _with_first_text_changed(item: dict) -> dict:
    """stream_done_text_differs: the message item with its first part's text (or refusal) altered."""
    content = list(item.get("content") or [])
    if content and isinstance(content[0], dict):
        field = "refusal" if content[0].get("type") == "refusal" else "text"
        content[0] = {**content[0], field: content[0].get(field, "") + " (revised)"}
    return {**item, "content": content}


# --- frames ---------------------------------------------------------------------------------

def _frame(event_line: str | None, payload: dict) -> bytes:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    head = f"event: {event_line}\n" if event_line is not None else ""
    return f"{head}data: {data}\n\n".encode()


def iter_stream_frames(response: dict, faults: Iterable[str] = frozenset()) -> Iterator[bytes]:
    """The SSE frames of `response`, one bytes object per frame, numbered from 0 in steps of 1.

    Pure and lazy. The transport faults (stream_stall, stream_cut,
    stream_wrong_content_type) are not applied here: see `event_stream_response`.
    """
    faults = frozenset(faults)
    sequence_number = 0
    deltas = 0
    for index, event in enumerate(iter_events(response, faults)):
        kind = event["type"]
        if kind == "error" and "stream_chat_error_frame" in faults:
            # Chat Completions style: no event line, no type, no sequence number.
            error = {"message": event["message"], "type": "api_error", "code": event["code"], "param": None}
            yield _frame(None, {"error": error})
            continue
        if kind in CONTENT_DELTAS:
            deltas += 1
            if "stream_bad_json" in faults and deltas == 1:
                # An extra, unnumbered delta frame whose data is cut off mid-object.
                yield f'event: {TEXT_DELTA}\ndata: {{"type":"{TEXT_DELTA}","delta":"\n\n'.encode()

        if "stream_seq_duplicate" in faults and index == 2:
            sequence_number -= 1  # the 3rd event repeats the 2nd's number
        if "stream_seq_gap" in faults and index == 4:
            sequence_number += 1  # one number skipped
        if "stream_seq_missing" in faults and kind in CONTENT_DELTAS:
            payload = event  # unnumbered, and no number is used up
        else:
            payload = {"type": kind, "sequence_number": sequence_number, **event}
            sequence_number += 1

        event_line: str | None = kind
        if "stream_event_line_mismatch" in faults and kind == "response.content_part.added":
            event_line = "response.content_part.done"
        if "stream_event_line_missing" in faults:
            event_line = None
        yield _frame(event_line, payload)

    if "stream_done_sentinel" in faults:
        yield b"data: [DONE]\n\n"


# --- HTTP -----------------------------------------------------------------------------------

class _CutStream(Exception):
    """Raised by the body iterator to end the response without finishing the chunked body."""


class EventStreamResponse(StreamingResponse):
    """A StreamingResponse whose body iterator can drop the connection mid-body (stream_cut)."""

    async def stream_response(self, send: Send) -> None:
        try:
            await super().stream_response(send)
        except _CutStream:
            # Return without the final empty body message: uvicorn then closes the
            # connection (logging "ASGI callable returned without completing response.").
            pass


async def _body(frames: Iterator[bytes], faults: frozenset[str], stopping: threading.Event) -> AsyncIterator[bytes]:
    if "stream_stall" in faults or "stream_cut" in faults:
        for frame in itertools.islice(frames, STALL_AFTER_EVENTS):
            yield frame
        if "stream_stall" in faults:
            # Silence until the client gives up (Starlette then cancels this) or the server
            # stops (ReferenceServer.stop sets `stopping`): no clock decides when a stall ends.
            while not stopping.is_set():
                await anyio.sleep(0.05)
        raise _CutStream
    batch = bytearray()
    for frame in frames:
        batch += frame
        if len(batch) >= BATCH_BYTES:
            yield bytes(batch)
            batch.clear()
    if batch:
        yield bytes(batch)


def event_stream_response(response: dict, faults: frozenset[str], stopping: threading.Event) -> EventStreamResponse:
    """HTTP 200 with the stream of `response`; frames are made as the client reads them."""
    media_type = "application/json" if "stream_wrong_content_type" in faults else "text/event-stream"
    return EventStreamResponse(_body(iter_stream_frames(response, faults), faults, stopping),
                               media_type=media_type, headers={"Cache-Control": "no-cache"})
