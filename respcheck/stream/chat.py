"""Chat Completions streams: `data:` chunks, tool-call deltas keyed by index,
a finish_reason, the usage chunk, `data: [DONE]` — and the completion they
add up to, which the body expectations are then held to."""

from __future__ import annotations

import json
from typing import Any

from ..failures import Failure
from ..schemastore import default_store
from ..sse import Frame, StreamEnd

CHUNK_SCHEMA = "chat-chunk.schema.json"
ERROR_SCHEMA = "chat-stream-error.schema.json"
MAX_PER_RULE = 3


class ChatStreamChecker:
    def __init__(self, settings: dict, request: dict | None = None):
        self.settings = settings
        self.request = request or {}
        self.failures: list[Failure] = []
        self._counts: dict[str, int] = {}
        self.frames: list[Frame] = []
        self.done = 0
        self.error_event: dict | None = None  # the error frame, if the stream carried one
        self.finish_reason: Any = None
        self.usage: Any = None
        self.routing_metadata: Any = None
        self.meta: dict = {}
        self.content: list[str] = []
        self.tool_calls: dict[int, dict] = {}
        self._store = default_store()

    @property
    def terminal(self) -> dict | None:
        """The completion the chunks add up to (what body expectations read);
        none for a stream that ended in an error frame: it completed nothing."""
        if not self.frames or self.error_event is not None:
            return None
        message: dict = {"role": "assistant", "content": "".join(self.content) if self.content else None}
        if self.tool_calls:
            message["tool_calls"] = [self.tool_calls[i] for i in sorted(self.tool_calls)]
        completion = {**self.meta, "object": "chat.completion",
                      "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}]}
        if self.usage is not None:
            completion["usage"] = self.usage
        if self.routing_metadata is not None:
            completion["routing_metadata"] = self.routing_metadata
        return completion

    def report(self, rule: str, message: str) -> None:
        self._counts[rule] = self._counts.get(rule, 0) + 1
        if self._counts[rule] <= MAX_PER_RULE:
            self.failures.append(Failure(rule, message))

    def feed(self, frame: Frame) -> None:
        self.frames.append(frame)
        where = f"chunk #{frame.index}"
        if frame.data == "[DONE]":
            self.done += 1
            return
        if self.done:
            self.report("chat.stream.done", f"{where} arrives after data: [DONE]")
        try:
            chunk = json.loads(frame.data)
        except ValueError as exc:
            self.report("stream.json", f"{where}: data is not JSON ({exc}): {frame.data[:80]!r}")
            return
        if isinstance(chunk, dict) and "error" in chunk and "choices" not in chunk:
            self.error_event = chunk
            if not self._store.is_valid(ERROR_SCHEMA, chunk):
                issues = self._store.issues(ERROR_SCHEMA, chunk)
                self.report("chat.stream.error", f"{where}: the error frame is malformed: "
                            + "; ".join(f"{i.path}: {i.message}" for i in issues[:2]))
            return
        if isinstance(chunk, dict) and chunk.get("type") == "error":
            self.error_event = chunk
            self.report("chat.stream.error", f"{where}: a Responses-style error event in a chat stream; the chat "
                                             "form is data: {\"error\": {...}}")
            return
        if not self._store.is_valid(CHUNK_SCHEMA, chunk):
            issues = self._store.issues(CHUNK_SCHEMA, chunk)
            self.report("chat.stream.chunk_schema", f"{where}: "
                        + "; ".join(f"{i.path}: {i.message}" for i in issues[:3]))
            if not isinstance(chunk, dict):
                return
        self._apply(where, chunk)

    def _apply(self, where: str, chunk: dict) -> None:
        for key in ("id", "created", "model"):
            if key in chunk and key not in self.meta:
                self.meta[key] = chunk[key]
            elif key in ("id", "model") and key in chunk and chunk[key] != self.meta.get(key):
                self.report("chat.stream.chunk_schema", f"{where}: {key} {chunk[key]!r} differs from the first "
                                                        f"chunk's {self.meta.get(key)!r}")
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
            for call in delta.get("tool_calls") or []:
                self._tool_delta(where, call)
            if choice.get("finish_reason"):
                if self.finish_reason is not None:
                    self.report("chat.stream.finish_reason", f"{where}: a second finish_reason "
                                                             f"({choice['finish_reason']!r})")
                self.finish_reason = choice["finish_reason"]

    def _tool_delta(self, where: str, call: Any) -> None:
        if not isinstance(call, dict) or not isinstance(call.get("index"), int):
            return  # the chunk schema reports it
        index = call["index"]
        function = call.get("function") or {}
        known = self.tool_calls.get(index)
        if known is None:
            if not call.get("id") or not function.get("name"):
                self.report("chat.stream.tool_calls", f"{where}: tool call index {index} starts without an id and "
                                                      "a function name")
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
                json.loads(call["function"]["arguments"] or "{}")
            except ValueError:
                self.report("chat.stream.tool_calls", f"the argument fragments of tool call index {index} join to "
                                                      f"invalid JSON: {call['function']['arguments'][:80]!r}")
        if self.tool_calls and sorted(self.tool_calls) != list(range(len(self.tool_calls))):
            self.report("chat.stream.tool_calls", f"tool call indexes {sorted(self.tool_calls)} are not 0..n-1")
        for rule, count in self._counts.items():
            if count > MAX_PER_RULE:
                self.failures.append(Failure(rule, f"... and {count - MAX_PER_RULE} more chunk(s) broke this rule"))
        return self.failures
