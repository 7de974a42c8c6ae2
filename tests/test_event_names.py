"""The profile setting event_names: OpenAI's and Open Responses' names of the renamed stream events.

A stream of raw reasoning text is checked under each convention: the names
of the profile's convention are validated and followed by the stream rules,
the other convention's names are unknown events (flagged where the profile
flags them).
"""

from __future__ import annotations

import pytest
from test_stream_rules import check, rules

from respcheck.model.profile import DEFAULT_SETTINGS, load_profile
from respcheck.stream.eventnames import OPEN_RESPONSES_NAMES, event_names

BASE = {"event_line": "required", "done_sentinel": "optional", "error_event_shape": "flat", "unknown_events": "flag"}
OPENAI_NAMES = ("response.reasoning_text.delta", "response.reasoning_text.done")
OR_NAMES = ("response.reasoning.delta", "response.reasoning.done")


def reasoning_stream(delta_name, done_name, deltas=("Think", "ing"), final="Thinking"):
    response = {"id": "resp_1", "object": "response", "created_at": 1, "status": "in_progress",
                "model": "m", "output": [], "usage": None}
    item = {"id": "rs_1", "type": "reasoning", "summary": [], "content": [], "status": "in_progress"}
    at = {"item_id": "rs_1", "output_index": 0, "content_index": 0}
    part = {"type": "reasoning_text", "text": ""}
    done_item = {**item, "status": "completed", "content": [{**part, "text": final}]}
    events = [
        {"type": "response.created", "response": response},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        {"type": "response.content_part.added", **at, "part": part},
        *[{"type": delta_name, **at, "delta": d} for d in deltas],
        {"type": done_name, **at, "text": final},
        {"type": "response.content_part.done", **at, "part": {**part, "text": final}},
        {"type": "response.output_item.done", "output_index": 0, "item": done_item},
        {"type": "response.completed", "response": {
            **response, "status": "completed", "output": [done_item],
            "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}}},
    ]
    for n, event in enumerate(events):
        event["sequence_number"] = n
    return events


def settings(convention):
    return {**BASE, "event_names": convention}


@pytest.mark.parametrize("convention,names", [("openai", OPENAI_NAMES), ("open-responses", OR_NAMES),
                                              ("either", OPENAI_NAMES), ("either", OR_NAMES)])
def test_the_conventions_names_are_treated_alike(convention, names):
    failures, _ = check(reasoning_stream(*names), settings(convention))
    baseline, _ = check(reasoning_stream(*OPENAI_NAMES), settings("openai"))
    assert [(f.rule, f.message) for f in failures] == [(f.rule, f.message) for f in baseline]
    # A raw reasoning_text part streamed into `content` is held to the item's `content` (its summary to `summary`).
    assert failures == [], failures


def test_a_reasoning_items_streamed_text_is_held_to_its_content():
    events = reasoning_stream(*OPENAI_NAMES)
    done = next(e for e in events if e["type"] == "response.output_item.done")
    done["item"] = {**done["item"], "content": [{"type": "reasoning_text", "text": "Thinking hard"}]}
    failures, _ = check(events, settings("openai"))
    assert any(f.rule == "stream.done_matches_item" and "content part 0" in f.message for f in failures), failures


@pytest.mark.parametrize("convention,names", [("openai", OR_NAMES), ("open-responses", OPENAI_NAMES)])
def test_the_other_conventions_names_are_unknown_events(convention, names):
    failures, _ = check(reasoning_stream(*names), settings(convention))
    unknown = [f for f in failures if f.rule == "stream.unknown_event"]
    assert unknown and all(f"the {convention} convention" in f.message for f in unknown), failures
    assert names[0] in unknown[0].message and "profile: event_names" in unknown[0].message
    # and only that: unknown events are not validated
    assert "stream.event_schema" not in rules(failures)


def test_the_other_conventions_names_pass_where_unknown_events_are_allowed():
    failures, _ = check(reasoning_stream(*OR_NAMES), {**settings("openai"), "unknown_events": "allow"})
    assert "stream.unknown_event" not in rules(failures) and "stream.event_schema" not in rules(failures)


def test_an_accepted_open_responses_name_is_validated_against_its_schema():
    events = reasoning_stream(*OR_NAMES)
    events[3]["content_index"] = "0"
    failures, _ = check(events, settings("open-responses"))
    [schema] = [f for f in failures if f.rule == "stream.event_schema"]
    assert "response.reasoning.delta" in schema.message and "$.content_index" in schema.message


def test_an_accepted_open_responses_name_is_followed_by_the_stream_rules():
    failures, _ = check(reasoning_stream(*OR_NAMES, final="Thinking hard"), settings("open-responses"))
    assert "stream.delta_join" in rules(failures)  # the deltas do not join to the .done text
    failures, _ = check(reasoning_stream(*OPENAI_NAMES, final="Thinking hard"), settings("openai"))
    assert "stream.delta_join" in rules(failures)


def test_profiles_carry_the_setting():
    assert DEFAULT_SETTINGS["event_names"] == "openai"
    assert load_profile("open-responses").settings["event_names"] == "open-responses"
    assert load_profile("reference").settings["event_names"] == "openai"


def test_the_setting_is_checked():
    assert set(event_names("either").canonical) == set(OPEN_RESPONSES_NAMES)
    with pytest.raises(ValueError, match="event_names must be one of openai, open-responses, either"):
        event_names("anthropic")
