"""Which names of stream events a target uses: OpenAI's, Open Responses', or either.

Open Responses (spec 2026-04-24) renames a few OpenAI events without
changing their shape; both names have a schema (stream-event.schema.json
keeps one $defs entry per name). The profile setting `event_names` says
which convention a target follows: a name of the other convention is then an
unknown event (flagged where `unknown_events: flag`), and an accepted Open
Responses name is read as its OpenAI twin by the rules that follow events.
"""

from __future__ import annotations

from dataclasses import dataclass

# Open Responses name -> OpenAI name, for events whose shape is the same.
OPEN_RESPONSES_NAMES = {
    "response.reasoning.delta": "response.reasoning_text.delta",
    "response.reasoning.done": "response.reasoning_text.done",
}
CONVENTIONS = ("openai", "open-responses", "either")


@dataclass(frozen=True)
class EventNames:
    foreign: frozenset  # names the target's convention does not use: unknown events
    canonical: dict  # an accepted name -> the OpenAI name the stream rules follow

    def rule_name(self, etype: str) -> str:
        return self.canonical.get(etype, etype)


def event_names(convention: str | None) -> EventNames:
    """The naming of a profile's `event_names` setting (None: OpenAI's)."""
    if convention in (None, "openai"):
        return EventNames(frozenset(OPEN_RESPONSES_NAMES), {})
    if convention == "open-responses":
        return EventNames(frozenset(OPEN_RESPONSES_NAMES.values()), dict(OPEN_RESPONSES_NAMES))
    if convention == "either":
        return EventNames(frozenset(), dict(OPEN_RESPONSES_NAMES))
    raise ValueError(f"event_names must be one of {', '.join(CONVENTIONS)}, got {convention!r}")
