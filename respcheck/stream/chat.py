"""Chat Completions streams: `data:` chunks, tool-call deltas keyed by index,
a finish_reason, the usage chunk, `data: [DONE]` — and the completion they
add up to, which the body expectations are then held to."""

from __future__ import annotations

from typing import Any

from ..failures import Failure
from ..exchange.jsonstrict import JsonError, loads
from ..schemastore import default_store
from ..exchange.sse import Frame, StreamEnd
from .findings import Findings
from .framelog import FrameLog
from .items import Pieces

CHUNK_SCHEMA = "chat-chunk.schema.json"
ERROR_SCHEMA = "chat-stream-error.schema.json"


class ChatStreamChecker:
    def __init__(self, settings: dict, request: dict | None = None):
        self.settings = settings
        self.request = request or {}
        self.failures: list[Failure] = []  # set by finish()
        self.findings = Findings("chunk")
        self.frames = FrameLog()  # a bounded sample; the rules see every chunk in feed()
        self._completion: dict | None = None  # the terminal, fixed by finish()
        self._finished = False
        self.done = 0
        self.error_event: dict | None = None  # the error frame, if the stream carried one
        self.finish_reason: Any = None
        self.usage: Any = None
        self.routing_metadata: Any = None
        self.meta: dict = {}
        self.content = Pieces()
        self.tool_calls: dict[int, dict] = {}
        self._store = default_store()

    @property
    def terminal(self) -> dict | None:
        """The completion the chunks add up to (what body expectations read);
        none for a stream that ended in an error frame: it completed nothing."""
        if self._finished:
            return self._completion
        return self._build()

    def _build(self) -> dict | None:
        if not self.frames.received or self.error_event is not None:
            return None
        message: dict = {"role": "assistant", "content": self.content.text() if self.content else None}
        if self.tool_calls:
            message["tool_calls"] = [self.tool_calls[i] for i in sorted(self.tool_calls)]
        completion = {**self.meta, "object": "chat.completion",
                      "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}]}
        if self.usage is not None:
            completion["usage"] = self.usage
        if self.routing_metadata is not None:
            completion["routing_metadata"] = self.routing_metadata
        return completion

    def report(self, rule: str, problem: str, where: str = "") -> None:
        """A problem with the chunk at `where` (grouped with its like), or with the stream."""
        self.findings.add(rule, problem, where)

    def served_as(self, content_type: str) -> None:
        """The body was SSE served under another Content-Type and is checked as a stream all the same."""
        self.report("stream.content_type", f"the stream is served as {content_type or 'no Content-Type'!r}, not "
                                           "text/event-stream (its body is SSE: the stream rules were applied)")

    def feed(self, frame: Frame) -> None:
        self.frames.add(frame)
        where = f"chunk #{frame.index}"
        if frame.data == "[DONE]":
            self.done += 1
            return
        if self.done:
            self.report("chat.stream.done", "arrives after data: [DONE]", where)
        try:
            chunk = loads(frame.data)
        except JsonError as exc:
            self.report("stream.json", f"data is not strict JSON ({exc}): {frame.data[:80]!r}", where)
            return
        if isinstance(chunk, dict) and "error" in chunk and "choices" not in chunk:
            self.error_event = chunk
            if not self._store.is_valid(ERROR_SCHEMA, chunk):
                error_type = chunk["error"].get("type") if isinstance(chunk.get("error"), dict) else None
                accepted = error_type in self.settings.get("accept_error_types", ())
                # A type the profile accepts (accept_error_types) is no malformation.
                issues = [i for i in self._store.issues(ERROR_SCHEMA, chunk)
                          if not (accepted and i.path == "$.error.type")]
                if issues:
                    self.report("chat.stream.error", "the error frame is malformed: "
                                + "; ".join(f"{i.path}: {i.message}" for i in issues[:2]), where)
            return
        if isinstance(chunk, dict) and chunk.get("type") == "error":
            self.error_event = chunk
            self.report("chat.stream.error", "a Responses-style error event in a chat stream; the chat "
                                             "form is data: {\"error\": {...}}", where)
            return
        if not self._store.is_valid(CHUNK_SCHEMA, chunk):
            issues = self._store.issues(CHUNK_SCHEMA, chunk)
            self.report("chat.stream.chunk_schema", "; ".join(f"{i.path}: {i.message}" for i in issues[:3]),
                        where)
            if not isinstance(chunk, dict):
                return
        self._apply(where, chunk)

    def _apply(self, where: str, chunk: dict) -> None:
        for key in ("id", "created", "model"):
            if key in chunk and key not in self.meta:
                self.meta[key] = chunk[key]
            elif key in ("id", "model") and key in chunk and chunk[key] != self.meta.get(key):
                self.report("chat.stream.chunk_schema", f"{key} {chunk[key]!r} differs from the first "
                                                        f"chunk's {self.meta.get(key)!r}", where)
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        if chunk.get("routing_metadata"):
            self.routing_metadata = chunk["routing_metadata"]
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                self.content.append(delta["content"])
                if len(self.content) >= Pieces.COMPACT:
                    self.content.compact()
            for call in delta.get("tool_calls") or []:
                self._tool_delta(where, call)
            if choice.get("finish_reason"):
                if self.finish_reason is not None:
                    self.report("chat.stream.finish_reason", f"a second finish_reason "
                                                             f"({choice['finish_reason']!r})", where)
                self.finish_reason = choice["finish_reason"]

    def _tool_delta(self, where: str, call: Any) -> None:
        if not isinstance(call, dict) or not isinstance(call.get("index"), int):
            return  # the chunk schema reports it
        index = call["index"]
        function = call.get("function") or {}
        known = self.tool_calls.get(index)
        if known is None:
            if not call.get("id") or not function.get("name"):
                self.report("chat.stream.tool_calls", f"tool call index {index} starts without an id and "
                                                      "a function name", where)
            known = self.tool_calls[index] = {"id": call.get("id"), "type": "function",
                                              "function": {"name": function.get("name"), "arguments": ""}}
        if isinstance(function.get("arguments"), str):
            known["function"]["arguments"] += function["arguments"]

    def finish(self, end: StreamEnd) -> list[Failure]:
        if end.reason != "eof":
            self.report(end.reason, end.message)
        elif self.error_event is None:
            if not self.done:
                self.report("chat.stream.done", "the stream does not end with data: [DONE]")
            if self.finish_reason is None:
                self.report("chat.stream.finish_reason", "no chunk carries a finish_reason")
            wants_usage = (self.request.get("stream_options") or {}).get("include_usage") or \
                self.settings.get("chat_usage_chunk") == "always"
            if wants_usage and self.usage is None:
                self.report("chat.stream.usage", "no chunk carries usage (stream_options.include_usage"
                            + (" was asked for)" if (self.request.get("stream_options") or {}).get("include_usage")
                               else "; the profile says the gateway always sends it)"))
        for index, call in sorted(self.tool_calls.items()):
            try:
                loads(call["function"]["arguments"] or "{}")
            except JsonError as exc:
                self.report("chat.stream.tool_calls", f"the argument fragments of tool call index {index} join to "
                                                      f"invalid JSON ({exc}): {call['function']['arguments'][:80]!r}")
        if self.tool_calls and sorted(self.tool_calls) != list(range(len(self.tool_calls))):
            self.report("chat.stream.tool_calls", f"tool call indexes {sorted(self.tool_calls)} are not 0..n-1")
        self._completion, self._finished = self._build(), True
        self.content = Pieces()  # joined into the completion: a finished case keeps that only
        self.failures = self.findings.failures(self.frames.received)
        return self.failures
