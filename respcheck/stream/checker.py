"""The universal stream rules, applied in one pass as frames arrive.

Every rule has a name (reports, fault tests and regression diffs key on it)
and each failure says which event broke it. A problem that repeats on
thousands of events is one line with its count (see findings.py), and a
finished checker keeps a bounded sample of the frames (framelog.py).
"""

from __future__ import annotations

from typing import Any

from ..failures import Failure
from ..exchange.jsonstrict import JsonError, loads
from ..schemastore import default_store
from ..exchange.sse import Frame, StreamEnd
from .eventnames import event_names
from .findings import Findings
from .framelog import FrameLog
from .items import ItemTracker
from .pattern import SequenceMatcher

EVENT_SCHEMA = "stream-event.schema.json"
TERMINAL = {"response.completed": "completed", "response.incomplete": "incomplete", "response.failed": "failed"}
OPENING = ("response.created", "response.queued")
SNAPSHOT = ("response.created", "response.queued", "response.in_progress")


def _not_about_sequence_number(issue) -> bool:
    """stream.sequence_number owns that field; the schema rule does not report it again."""
    return issue.path != "$.sequence_number" and issue.message != "'sequence_number' is a required property"


class StreamChecker:
    def __init__(self, settings: dict, sequence: list | None = None):
        self.settings = settings
        self.failures: list[Failure] = []  # set by finish()
        self.findings = Findings("event")
        self.tracker = ItemTracker(self._report_at)
        self.pattern = SequenceMatcher(sequence) if sequence else None
        self.frames = FrameLog()  # a bounded sample; the rules see every frame in feed()
        self.events = 0  # typed events seen
        self.event_types: set[str] = set()  # every type seen, for coverage accounting
        self.last_seq: int | None = None
        self._unnumbered = 0  # events since last_seq whose sequence_number was missing or not an integer
        self.terminal: dict | None = None
        self.terminal_type: str | None = None
        self.created_id: Any = None
        self.error_seen = False
        self.error_event: dict | None = None  # the first in-stream error (event or chat-style frame)
        self.done_seen = 0
        self._where = ""
        store = default_store()
        self._is_valid = store.is_valid
        self._names = event_names(settings.get("event_names"))
        # Each type's schema is compiled on its first event (see _schema), not here: a stream uses few of the ~60.
        self._known = set(store.contents(EVENT_SCHEMA).get("$defs", {})) - self._names.foreign
        self._validators: dict[str, str] = {}

    # -- reporting ------------------------------------------------------------

    def report(self, rule: str, problem: str, where: str = "", path: str = "") -> None:
        """A problem with the event at `where` (grouped with its like), or with the stream."""
        self.findings.add(rule, problem, where, path)

    def _report_at(self, rule: str, where: str, problem: str) -> None:
        self.findings.add(rule, problem, where)

    def served_as(self, content_type: str) -> None:
        """The body was SSE served under another Content-Type and is checked as a stream all the same."""
        self.report("stream.content_type", f"the stream is served as {content_type or 'no Content-Type'!r}, not "
                                           "text/event-stream (its body is SSE: the stream rules were applied)")

    # -- one frame ------------------------------------------------------------

    def feed(self, frame: Frame) -> None:
        self.frames.add(frame)
        where = f"event #{frame.index}"
        if frame.data == "[DONE]":
            self.done_seen += 1
            if self.terminal is None:
                self.report("stream.terminal", "data: [DONE] before any terminal event", where)
            return
        if self.terminal is not None:
            self.report("stream.terminal", f"{frame.event or 'an event without an event: line'} arrives after "
                                           f"the terminal {self.terminal_type}", where)
        try:
            event = loads(frame.data)
        except JsonError as exc:
            self.report("stream.json", f"data is not strict JSON ({exc}): {frame.data[:80]!r}", where)
            return
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            if isinstance(event, dict) and "error" in event:
                self.error_seen = True
                self.error_event = self.error_event or event
                self.report("stream.error_event", "a chat-style error frame (data: {\"error\": ...} without a "
                                                  f"type): {frame.data[:120]}", where)
            else:
                self.report("stream.event_schema", "an event must be a JSON object with a string 'type', got "
                                                   f"{frame.data[:80]!r}", where)
            return
        self._typed(frame, event)

    def _typed(self, frame: Frame, event: dict) -> None:
        etype = event["type"]
        seq = event.get("sequence_number")
        where = f"event #{frame.index} {etype}" + (f" (sequence_number {seq})" if seq is not None else "")
        self.events += 1
        self.event_types.add(etype)
        if frame.event is None:
            if self.settings.get("event_line") == "required":
                self.report("stream.event_line", "no `event:` line (profile: event_line required)", where)
        elif frame.event != etype:
            self.report("stream.event_line", f"the `event:` line says {frame.event!r}", where)
        if self.events == 1 and etype not in OPENING:
            self.report("stream.first_event", f"the first event is {etype!r}; a stream opens with "
                                              "response.created (or response.queued)")
        self._sequence_number(where, etype, seq)
        self._schema(where, etype, event)
        if self.pattern is not None:
            self.pattern.feed(frame.index, seq, event)
        self._dispatch(where, self._names.rule_name(etype), event)

    def _sequence_number(self, where: str, etype: str, seq: Any) -> None:
        if seq is None:
            if etype != "error":  # optional on error events
                self.report("stream.sequence_number", "sequence_number is missing", where)
                self._unnumbered += 1
            return
        if not isinstance(seq, int) or isinstance(seq, bool):
            self.report("stream.sequence_number", f"sequence_number must be an integer, got {seq!r}", where)
            self._unnumbered += 1
            return
        last, unnumbered = self.last_seq, self._unnumbered
        self.last_seq, self._unnumbered = seq, 0
        if last is None:
            return
        if seq <= last:
            self.report("stream.sequence_number", f"sequence_number {seq} does not increase (previous {last})",
                        where)
        elif seq > last + 1 + unnumbered:  # an unnumbered event may have used a number: not a second finding
            self.report("stream.sequence_contiguous", f"sequence_number jumps from {last} to {seq}", where)

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
                self.report("stream.unknown_event", self._unknown_message(etype), where)
            return
        if not self._is_valid(ref, event):
            rule = "stream.error_event" if etype == "error" else "stream.event_schema"
            issues = default_store().issues(ref, event)  # the slow path only to explain
            issues = [i for i in issues if _not_about_sequence_number(i)]
            if issues:  # else only sequence_number is wrong, which its own rule reports
                self.report(rule, "; ".join(f"{i.path}: {i.message}" for i in issues[:3]), where)

    def _unknown_message(self, etype: str) -> str:
        if etype in self._names.foreign:
            convention = self.settings.get("event_names") or "openai"
            return (f"unknown event type: {etype!r} is not a name of the {convention} convention "
                    "(profile: event_names; unknown_events flag)")
        return "unknown event type (profile: unknown_events flag)"

    def _dispatch(self, where: str, etype: str, event: dict) -> None:
        t = self.tracker
        if etype in SNAPSHOT:
            response = event.get("response") if isinstance(event.get("response"), dict) else {}
            if self.created_id is None:
                self.created_id = response.get("id")
            if response.get("status") not in ("queued", "in_progress"):
                self.report("stream.lifecycle", f"the snapshot's status is {response.get('status')!r}, "
                                                "expected queued or in_progress", where)
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
            self.report("stream.terminal", f"a second terminal event (the first was {self.terminal_type})", where)
            return
        response = event.get("response")
        self.terminal = response if isinstance(response, dict) else {}
        self.terminal_type = etype
        status = self.terminal.get("status")
        if status != TERMINAL[etype]:
            self.report("stream.lifecycle", f"the response's status is {status!r}, expected "
                                            f"{TERMINAL[etype]!r} for {etype}", where)
        if self.created_id is not None and self.terminal.get("id") != self.created_id:
            self.report("stream.lifecycle", f"response id {self.terminal.get('id')!r} differs from "
                                            f"the created {self.created_id!r}", where)
        unfinished = self.tracker.unfinished()
        if unfinished and etype != "response.failed":  # a failure may stop mid-item
            self.report("stream.item_order", f"arrives before output_item.done of output_index {unfinished}",
                        where)

    # -- the end --------------------------------------------------------------

    def finish(self, end: StreamEnd) -> list[Failure]:
        if end.reason != "eof":
            self.report(end.reason, end.message)
        elif self.terminal is None:
            self.report("stream.terminal", f"the stream ended after {self.frames.received} event(s) without a terminal "
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
        self.tracker.release()  # the deltas' text: reports need the terminal response, not the parts
        self.failures = self.findings.failures(self.frames.received)
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
                                              f"events built {len(built)}", path="$.output")
            return
        for n, (final, streamed) in enumerate(zip(output, built)):
            if not isinstance(final, dict):
                continue
            for key in ("type", "id", "content", "arguments", "summary", "call_id", "name"):
                if key in streamed and final.get(key) != streamed.get(key):
                    self.report("stream.reconstruct", f"output[{n}].{key} of the terminal response differs "
                                                      f"from output_item.done", path=f"$.output[{n}].{key}")
                    break
