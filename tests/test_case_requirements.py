"""Gating: a case whose request uses a feature requires that feature's capability.

A case that sends `gateway` to a target without routing would fail for a
reason the profile already declared (and mark routing failed in the feature
table); it must be skipped instead. The features are read off the request
bodies of every step, so a new case cannot forget its `requires`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from respcheck.model.case import load_case_file

REPO = Path(__file__).resolve().parent.parent
LOGPROBS_INCLUDE = "message.output_text.logprobs"


def _image_parts(messages) -> bool:
    for item in messages if isinstance(messages, list) else []:
        content = item.get("content") if isinstance(item, dict) else None
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") in ("input_image", "image_url"):
                return True
    return False


def _effort(body: dict) -> bool:
    reasoning = body.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
    return reasoning is not None and effort != "none"


# (feature, does the body use it, capability prefixes any of which the case must require)
RESPONSES = [
    ("routing (gateway)", lambda b: "gateway" in b, ("routing.",)),
    ("reasoning", _effort, ("responses.reasoning.",)),
    ("tools", lambda b: bool(b.get("tools")), ("responses.tools",)),
    ("structured output (text.format)", lambda b: "format" in (b.get("text") or {}), ("responses.structured.",)),
    ("vision (image parts)", lambda b: _image_parts(b.get("input")), ("responses.vision",)),
    ("logprobs", lambda b: "top_logprobs" in b or LOGPROBS_INCLUDE in (b.get("include") or []),
     ("responses.logprobs",)),
    ("prompt caching", lambda b: "prompt_cache_key" in b, ("responses.prompt_cache",)),
    ("truncation (max_output_tokens)", lambda b: "max_output_tokens" in b, ("responses.truncation",)),
    ("metadata", lambda b: "metadata" in b, ("responses.metadata",)),
    ("store", lambda b: b.get("store") is True, ("responses.store",)),
    ("previous_response_id", lambda b: "previous_response_id" in b, ("responses.previous_response_id",)),
    ("background", lambda b: b.get("background") is True, ("responses.background",)),
    ("conversation", lambda b: "conversation" in b, ("responses.conversations",)),
]
CHAT = [
    ("chat completions", lambda b: True, ("chat.",)),
    ("routing (gateway)", lambda b: "gateway" in b, ("routing.",)),
    ("chat reasoning_effort", lambda b: "reasoning_effort" in b, ("chat.reasoning_effort",)),
    ("chat tools", lambda b: bool(b.get("tools")), ("chat.tools", "chat.parity")),
    ("chat structured output", lambda b: "response_format" in b, ("chat.structured",)),
    ("chat vision", lambda b: _image_parts(b.get("messages")), ("chat.vision",)),
]


def missing_requirements(case) -> list[str]:
    """What the case's requests use without requiring it, one line each."""
    required = case.all_requires
    problems = []
    for step in case.steps:
        body = step.request.get("body")
        if not isinstance(body, dict):
            continue
        path = step.request.get("path", "/responses").rstrip("/")
        if path != "/chat/completions" and not path.startswith("/responses"):
            continue  # another endpoint's body (POST /conversations): its case names its own capability
        for feature, uses, prefixes in CHAT if path == "/chat/completions" else RESPONSES:
            if uses(body) and not any(cap.startswith(prefixes) for cap in required):
                where = f"step {step.name!r} " if len(case.steps) > 1 else ""
                problems.append(f"{case.id}: {where}uses {feature} but requires none of {list(prefixes)} "
                                f"(requires {list(required)})")
    return problems


def _cases():
    for file in sorted((REPO / "cases").rglob("*.yaml")):
        yield from load_case_file(file)


def test_every_case_requires_what_its_requests_use():
    problems = sorted({line for case in _cases() for line in missing_requirements(case)})
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("body", "requires", "missing"), [
    ({"model": "m", "gateway": {"models": ["a"]}, "input": "x"}, ["responses.strict_fields"], "routing"),
    ({"model": "m", "reasoning": {"effort": "low"}, "input": "x"}, ["responses.text"], "reasoning"),
    ({"model": "m", "tools": [{"type": "function", "name": "f"}], "input": "x"}, [], "tools"),
    ({"model": "m", "text": {"format": {"type": "json_object"}}, "input": "x"}, [], "structured"),
    ({"model": "m", "input": [{"role": "user", "content": [{"type": "input_image", "image_url": "u"}]}]}, [],
     "vision"),
    ({"model": "m", "top_logprobs": 2, "input": "x"}, [], "logprobs"),
    ({"model": "m", "prompt_cache_key": "k", "input": "x"}, [], "prompt caching"),
])
def test_a_case_lacking_a_requirement_is_found(tmp_path, body, requires, missing):
    """The check finds each kind of gap (and is quiet once the capability is required)."""
    import yaml

    case = {"id": "x.case", "title": "t", "requires": requires, "request": {"body": body}, "expect": {"status": 200}}
    file = tmp_path / "case.yaml"
    file.write_text(yaml.safe_dump([case]))
    (found,) = load_case_file(file)
    problems = missing_requirements(found)
    assert len(problems) == 1 and missing in problems[0], problems
    prefix = next(p for f, u, p in RESPONSES if missing in f)[0]
    case["requires"] = [*requires, prefix + "x" if prefix.endswith(".") else prefix]
    file.write_text(yaml.safe_dump([case]))
    (fixed,) = load_case_file(file)
    assert missing_requirements(fixed) == []
