"""A gateway that silently drops a request field must fail a case.

Real gateways remove fields they do not know on the way to the provider and
still answer 200. The reference gateway's `drop:<dotted.field>` switch does
the same at its door, before anything (validation, the model, the echo) reads
the request. For every feature field any case sends (derived from the case
files, not written down here), the cases that send it run with that field
dropped, and at least one must fail naming a rule. A drop the reference
profile cannot observe is listed in UNOBSERVABLE with the reason; a field
neither caught nor explained fails the sweep.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from suite_runs import run_suite

from respcheck.model.case import load_case_file
from respcheck.reference import ReferenceServer
from respcheck.reference.faults import validate_faults

REPO = Path(__file__).resolve().parent.parent

# Plumbing, not features: without these there is no request to serve, so a drop is an error answer
# (status), never a silent 200.
PLUMBING = {
    "model": "names the model; without it (or gateway.models) the gateway answers 400",
    "input": "the prompt itself (Responses); without it the gateway answers 400",
    "messages": "the prompt itself (chat); without it the gateway answers 400",
}
# Values that are one setting as a whole: dropped whole, never key by key (a tool's name, a schema's
# properties are not request fields of their own).
WHOLE = frozenset({"tools", "tool_choice", "metadata", "text.format", "response_format", "gateway.models"})
# field -> why dropping it cannot be observed under the reference profile.
UNOBSERVABLE = {
    "stream_options.include_usage": "the reference profile says chat_usage_chunk: always (the gateway forces "
                                    "include_usage, as Auriko does): a chat stream without the option carries the "
                                    "usage chunk all the same, which is correct",
}


def _leaves(body: dict, prefix: str = ""):
    for key, value in body.items():
        path = f"{prefix}{key}"
        if path in PLUMBING:
            continue
        if isinstance(value, dict) and value and path not in WHOLE:
            yield from _leaves(value, path + ".")
        else:
            yield path


def feature_fields() -> dict[str, dict[str, set[str]]]:
    """field -> {case file (relative to the repo) -> ids of the cases in it that send the field}."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for file in sorted((REPO / "cases").rglob("*.yaml")):
        for case in load_case_file(file):
            for step in case.steps:
                body = step.request.get("body")
                if isinstance(body, dict):
                    for field in _leaves(body):
                        found[field][str(file.relative_to(REPO))].add(case.id)
    return found


FIELDS = feature_fields()


def test_the_sweep_covers_the_fields_the_cases_send():
    # The walk sees the features the suite is about, so a change to it cannot empty the sweep unnoticed.
    assert {"reasoning.effort", "reasoning_effort", "gateway.routing.optimize", "prompt_cache_key", "tools",
            "text.format", "instructions", "max_output_tokens"} <= set(FIELDS)
    assert not set(PLUMBING) & set(FIELDS)
    stale = set(UNOBSERVABLE) - set(FIELDS)
    assert not stale, f"UNOBSERVABLE lists fields no case sends any more: {sorted(stale)}"


def test_every_field_names_a_valid_drop_switch():
    assert validate_faults([f"drop:{field}" for field in FIELDS])
    with pytest.raises(ValueError, match="drop:<dotted.field>"):
        validate_faults(["drop:<dotted.field>"])
    with pytest.raises(ValueError):
        validate_faults(["drop:reasoning..effort"])


def test_a_drop_removes_the_field_before_the_gateway_reads_it(http):
    """Both endpoints: the effort never reaches the model (default work) and the echo does not invent it."""
    headers = {"Authorization": "Bearer rc-local-key"}
    with ReferenceServer(faults=["drop:reasoning.effort", "drop:reasoning_effort"]) as dropping:
        plain = http.post(dropping.base_url + "/responses", headers=headers,
                          json={"model": "ref-reason-1", "input": "hi", "reasoning": {"effort": "high"}}).json()
        chat = http.post(dropping.base_url + "/chat/completions", headers=headers,
                         json={"model": "ref-reason-1", "reasoning_effort": "high",
                               "messages": [{"role": "user", "content": "hi"}]}).json()
    assert plain["reasoning"]["effort"] == "medium"  # the default, as if nothing had been asked
    assert plain["usage"]["output_tokens_details"]["reasoning_tokens"] == 16
    assert chat["usage"]["completion_tokens_details"]["reasoning_tokens"] == 16


# --- stateful API: fields only cases/state/ sends (conversation, a conversation's items) are dropped under the
# profile whose gateway serves them; the reference profile skips those cases.
STATE_FILES = "cases/state/"


def profile_args(senders: dict[str, set[str]]) -> tuple[str, ...]:
    return ("--profile", "reference-stateful") if all(f.startswith(STATE_FILES) for f in senders) else ()


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_dropping_a_field_fails_a_case_naming_a_rule(field, pytester, repo):
    senders = FIELDS[field]
    outcomes = run_suite(pytester, repo, *profile_args(senders), "--reference-fault", f"drop:{field}",
                         paths=tuple(sorted(senders)))
    sending = set().union(*senders.values())
    failed = {name: o for name, o in outcomes.items() if o.outcome == "failed"}
    assert set(name.split("[")[0] for name in failed) <= sending, \
        f"drop:{field} failed cases that do not send it: {sorted(failed)}"
    if field in UNOBSERVABLE:
        assert not failed, (f"drop:{field} is now caught by {sorted(failed)}: "
                            f"take it out of UNOBSERVABLE ({UNOBSERVABLE[field]})")
        return
    assert failed, (f"dropping {field} went unnoticed by every case that sends it ({sorted(sending)}): add an "
                    f"effect or echo check, or explain in UNOBSERVABLE why it cannot be seen")
    for name, outcome in failed.items():
        assert outcome.rules, f"drop:{field}: {name} failed without naming a rule: {outcome.text[:300]}"
        assert any(f"[{rule}]" in outcome.text for rule in outcome.rules), (name, outcome.rules)
    rules = sorted(set().union(*(o.rules for o in failed.values())))
    print(f"SWEEP {field} -> {', '.join(rules)} ({len(failed)} case(s), e.g. {min(failed)})")  # the table, with -s
