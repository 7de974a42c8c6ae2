"""Streaming conformance: the universal SSE rules and case sequence patterns."""

from .pattern import PatternError, SequenceMatcher, check_pattern

RULES = {
    "stream.content_type": "a 2xx stream is text/event-stream",
    "stream.json": "every data: line (but [DONE]) is strict JSON (no duplicate keys, NaN/Infinity, overflow)",
    "stream.event_line": "an event: line equals data.type (and is present where the profile requires it)",
    "stream.event_schema": "every event validates against its own schema",
    "stream.unknown_event": "no event type outside the schemas (where the profile flags them)",
    "stream.first_event": "the first event is response.created (or response.queued)",
    "stream.sequence_number": "sequence_number is an integer and strictly increasing",
    "stream.sequence_contiguous": "sequence_number goes up by exactly one",
    "stream.lifecycle": "snapshots are queued/in_progress, the terminal status matches its event, one response id",
    "stream.item_order": "items are added before their deltas and done before the terminal event",
    "stream.indexes": "output_index, content_index, summary_index and item_id agree",
    "stream.delta_join": "deltas join to the .done text, arguments and summaries",
    "stream.done_matches_item": ".done values equal the item in output_item.done",
    "stream.terminal": "exactly one terminal event, last",
    "stream.done_sentinel": "data: [DONE] as the profile says (forbidden / optional / required)",
    "stream.error_event": "an in-stream error has the profile's shape and is followed by response.failed",
    "stream.reconstruct": "the terminal response's output equals the items rebuilt from the events",
    "stream.sequence": "the events follow the case's expected sequence",
    "stream.stall": "no gap between bytes longer than --stream-idle-timeout",
    "stream.cut": "the connection is not cut before the stream ends",
    "stream.too_long": "the stream stays within --max-stream-events, --stream-timeout, --max-stream-bytes and the "
                       "per-event byte limit",
}

__all__ = ["RULES", "PatternError", "SequenceMatcher", "StreamChecker", "check_pattern"]


def __getattr__(name: str):
    # The checker (and the schemas it compiles) loads when a stream is read,
    # not when a case file's sequence pattern is checked at collection.
    if name == "StreamChecker":
        from .checker import StreamChecker

        return StreamChecker
    raise AttributeError(name)
