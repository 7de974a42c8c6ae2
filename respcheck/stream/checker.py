"""The universal stream rules, applied in one pass as frames arrive.

Every rule has a name (reports, fault tests and regression diffs key on it)
and each failure says which event broke it. A rule that breaks on thousands
of events is reported a few times and then counted, not printed 100k times.
"""

from __future__ import annotations

import json
from typing import Any

from ..failures import Failure
from ..schemastore import default_store
from ..sse import Frame, StreamEnd
from .items import ItemTracker
from .pattern import SequenceMatcher

EVENT_SCHEMA = "stream-event.schema.json"
TERMINAL = {"response.completed": "completed", "response.incomplete": "incomplete", "response.failed": "failed"}
OPENING = ("response.created", "response.queued")
SNAPSHOT = ("response.created", "response.queued", "response.in_progress")
MAX_PER_RULE = 3


class StreamChecker:
    def __init__(self, settings: dict, sequence: list | None = None):
        self.settings = settings
        self.failures: list[Failure] = []
        self._counts: dict[str, int] = {}
        self.tracker = ItemTracker(self._report_here)
        self.pattern = SequenceMatcher(sequence) if sequence else None
        self.frames: list[Frame] = []
        self.events = 0  # typed events seen
        self.last_seq: int | None = None
        self.terminal: dict | None = None
        self.terminal_type: str | None = None
        self.created_id: Any = None
        self.error_seen = False
        self.error_event: dict | None = None  # the first in-stream error (event or chat-style frame)
        self.done_seen = 0
        self._where = ""
        store = default_store()
        self._is_valid = store.is_valid
        self._known = set(store.contents(EVENT_SCHEMA).get("$defs", {}))
        self._validators: dict[str, str] = {}

    # -- reporting ------------------------------------------------------------

    def report(self, rule: str, message: str, path: str = "") -> None:
        count = self._counts.get(rule, 0) + 1
        self._counts[rule] = count
        if count <= MAX_PER_RULE:
            self.failures.append(Failure(rule, message, path))

    def _report_here(self, rule: str, message: str) -> None:
        self.report(rule, message)

    # -- one frame ------------------------------------------------------------

    def feed(self, frame: Frame) -> None:
        self.frames.append(frame)
        where = f"event #{frame.index}"
        if frame.data == "[DONE]":
            self.done_seen += 1
            if self.terminal is None:
                self.report("stream.terminal", f"{where}: data: [DONE] before any terminal event")
            return
        if self.terminal is not None:
            self.report("stream.terminal", f"{where} ({frame.event or 'no event line'}) arrives after the "
                                           f"terminal {self.terminal_type}")
        try:
            event = json.loads(frame.data)
        except ValueError as exc:
            self.report("stream.json", f"{where}: data is not JSON ({exc}): {frame.data[:80]!r}")
            return
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            if isinstance(event, dict) and "error" in event:
                self.error_seen = True
                self.error_event = self.error_event or event
                self.report("stream.error_event", f"{where} is a chat-style error frame "
                                                  f"(data: {{\"error\": ...}} without a type): {frame.data[:120]}")
            else:
                self.report("stream.event_schema", f"{where}: an event must be a JSON object with a string "
                                                   f"'type', got {frame.data[:80]!r}")
            return
        self._typed(frame, event, where)

    def _typed(self, frame: Frame, event: dict, where: str) -> None:
        etype = event["type"]
        seq = event.get("sequence_number")
        where = f"event #{frame.index} {etype} (sequence_number {seq})"
        self.events += 1
        if frame.event is None:
            if self.settings.get("event_line") == "required":
                self.report("stream.event_line", f"{where} has no `event:` line (profile: event_line required)")
        elif frame.event != etype:
            self.report("stream.event_line", f"{where}: the `event:` line says {frame.event!r}")
        if self.events == 1 and etype not in OPENING:
            self.report("stream.first_event", f"the first event is {etype!r}; a stream opens with "
                                              "response.created (or response.queued)")
        self._sequence_number(where, etype, seq)
        self._schema(where, etype, event)
        if self.pattern is not None:
            self.pattern.feed(frame.index, seq, event)
        self._dispatch(where, etype, event)

    def _sequence_number(self, where: str, etype: str, seq: Any) -> None:
        if seq is None and etype == "error":
            return  # optional on error events
        if not isinstance(seq, int) or isinstance(seq, bool):
            self.report("stream.sequence_number", f"{where}: sequence_number must be an integer, got {seq!r}")
            return
        last = self.last_seq
        self.last_seq = seq
        if last is None:
            return
        if seq <= last:
            self.report("stream.sequence_number", f"{where}: sequence_number {seq} does not increase "
                                                  f"(previous {last})")
        elif seq != last + 1:
            self.report("stream.sequence_contiguous", f"{where}: sequence_number jumps from {last} to {seq}")

    def _schema(self, where: str, etype: str, event: dict) -> None:
        ref = self._validators.get(etype)
        if ref is None:
            if etype == "error":
                shape = self.settings.get("error_event_shape", "either")
                ref = "event-error.schema.json" + ("" if shape == "either" else f"#/$defs/{shape}")
            elif etype in self._known:
                ref = f"{EVENT_SCHEMA}#/$defs/{etype}"
            else:
                ref = ""
            self._validators[etype] = ref
        if not ref:
            if self.settings.get("unknown_events") == "flag":
                self.report("stream.unknown_event", f"{where}: unknown event type (profile: unknown_events flag)")
            return
        if not self._is_valid(ref, event):
            rule = "stream.error_event" if etype == "error" else "stream.event_schema"
            issues = default_store().issues(ref, event)  # the slow path only to explain
            text = "; ".join(f"{i.path}: {i.message}" for i in issues[:3])
            self.report(rule, f"{where}: {text}")

    def _dispatch(self, where: str, etype: str, event: dict) -> None:
        t = self.tracker
        if etype in SNAPSHOT:
            response = event.get("response") if isinstance(event.get("response"), dict) else {}
            if self.created_id is None:
                self.created_id = response.get("id")
            if response.get("status") not in ("queued", "in_progress"):
                self.report("stream.lifecycle", f"{where}: the snapshot's status is {response.get('status')!r}, "
                                                "expected queued or in_progress")
        elif etype in TERMINAL:
            self._terminal(where, etype, event)
        elif etype == "error":
            self.error_seen = True
            self.error_event = self.error_event or event
        elif etype == "response.output_item.added":
            t.item_added(where, event)
        elif etype == "response.output_item.done":
            t.item_done(where, event)
        elif etype == "response.content_part.added":
            t.part_added(where, event)
        elif etype == "response.content_part.done":
            t.part_done(where, event)
        elif etype in ("response.output_text.delta", "response.refusal.delta", "response.reasoning_text.delta"):
            t.delta(where, event)
        elif etype == "response.output_text.done" or etype == "response.reasoning_text.done":
            t.text_done(where, event, "text")
        elif etype == "response.refusal.done":
            t.text_done(where, event, "refusal")
        elif etype == "response.function_call_arguments.delta":
            t.arguments_delta(where, event)
        elif etype == "response.function_call_arguments.done":
            t.arguments_done(where, event)
        elif etype == "response.reasoning_summary_part.added":
            t.part_added(where, event, summary=True)
        elif etype == "response.reasoning_summary_part.done":
            t.part_done(where, event, summary=True)
        elif etype == "response.reasoning_summary_text.delta":
            t.delta(where, event, summary=True)
        elif etype == "response.reasoning_summary_text.done":
            t.text_done(where, event, "text", summary=True)

    def _terminal(self, where: str, etype: str, event: dict) -> None:
        if self.terminal is not None:
            self.report("stream.terminal", f"{where}: a second terminal event (the first was {self.terminal_type})")
            return
        response = event.get("response")
        self.terminal = response if isinstance(response, dict) else {}
        self.terminal_type = etype
        status = self.terminal.get("status")
        if status != TERMINAL[etype]:
            self.report("stream.lifecycle", f"{where}: the response's status is {status!r}, expected "
                                            f"{TERMINAL[etype]!r} for {etype}")
        if self.created_id is not None and self.terminal.get("id") != self.created_id:
            self.report("stream.lifecycle", f"{where}: response id {self.terminal.get('id')!r} differs from "
                                            f"the created {self.created_id!r}")
        unfinished = self.tracker.unfinished()
        if unfinished and etype != "response.failed":  # a failure may stop mid-item
            self.report("stream.item_order", f"{where} arrives before output_item.done of output_index "
                                             f"{unfinished}")

    # -- the end --------------------------------------------------------------

    def finish(self, end: StreamEnd) -> list[Failure]:
        if end.reason != "eof":
            self.report(end.reason, end.message)
        elif self.terminal is None:
            self.report("stream.terminal", f"the stream ended after {len(self.frames)} event(s) without a terminal "
                                           "event (response.completed, response.incomplete or response.failed)")
        if end.reason == "eof":
            self._sentinel()
            if self.error_seen and self.terminal_type != "response.failed":
                self.report("stream.error_event", f"an error event must be followed by response.failed, the "
                                                  f"stream ended with {self.terminal_type or 'no terminal event'}")
            if self.pattern is not None:
                text = self.pattern.failure_text(ended=True)
                if text:
                    self.report("stream.sequence", text)
        elif self.pattern is not None and self.pattern.divergence is not None:
            self.report("stream.sequence", self.pattern.failure_text(ended=False) or "")
        if self.terminal is not None:
            self._reconstruct()
        for rule, count in self._counts.items():
            if count > MAX_PER_RULE:
                self.failures.append(Failure(rule, f"... and {count - MAX_PER_RULE} more event(s) broke this rule"))
        return self.failures

    def _sentinel(self) -> None:
        policy = self.settings.get("done_sentinel", "optional")
        if policy == "forbidden" and self.done_seen:
            self.report("stream.done_sentinel", "the stream sends data: [DONE] (profile: done_sentinel forbidden)")
        elif policy == "required" and not self.done_seen:
            self.report("stream.done_sentinel", "the stream does not end with data: [DONE] "
                                                "(profile: done_sentinel required)")
        if self.done_seen > 1:
            self.report("stream.done_sentinel", f"data: [DONE] is sent {self.done_seen} times")

    def _reconstruct(self) -> None:
        """The terminal response's output equals the items the events built."""
        output = self.terminal.get("output")
        built = self.tracker.built_items()
        if not isinstance(output, list):
            return  # the Response schema rule reports it
        if len(output) != len(built):
            self.report("stream.reconstruct", f"the terminal response has {len(output)} output item(s), the "
                                              f"events built {len(built)}", "$.output")
            return
        for n, (final, streamed) in enumerate(zip(output, built)):
            if not isinstance(final, dict):
                continue
            for key in ("type", "id", "content", "arguments", "summary", "call_id", "name"):
                if key in streamed and final.get(key) != streamed.get(key):
                    self.report("stream.reconstruct", f"output[{n}].{key} of the terminal response differs "
                                                      f"from output_item.done", f"$.output[{n}].{key}")
                    break
