"""Probes of `profile init` for the chat endpoint's features, the models
that play special roles (unavailable, responses-only) and gateway routing."""

from __future__ import annotations

import json

from ..model import casedata
from .endpoints import Survey
from .probes import CHAT_WEATHER_TOOL, CITY_SCHEMA, PONG, _body, _chat_message, _feature, _model, _post, _refused


def _chat_ready(survey: Survey) -> bool:
    state = survey.findings.capabilities.get("chat.completions")
    return state is not None and state.value == "supported"


def _messages(content) -> list:
    return [{"role": "user", "content": content}]


def probe_chat_stream(survey: Survey) -> None:
    if not _chat_ready(survey):
        return
    answer = _post(survey, "chat_completions", {"model": _model(survey, "text"), "messages": _messages(PONG),
                                                "stream": True}, stream=True)
    chunks = answer.events()
    usage = any(isinstance(c.get("usage"), dict) for c in chunks)
    said = survey.said(answer, "chat, stream: true, no stream_options")
    if answer.streamed:
        survey.findings.setting("chat_usage_chunk", "always" if usage else "on_request",
                                f"{said}: {'a' if usage else 'no'} usage chunk without include_usage")


def probe_chat_features(survey: Survey) -> None:
    if not _chat_ready(survey):
        return
    text = _model(survey, "text")
    tools = _post(survey, "chat_completions", {"model": text, "tools": [CHAT_WEATHER_TOOL],
                                               "messages": _messages("Use the get_weather tool for Paris.")})
    calls = _chat_message(tools).get("tool_calls")
    _feature(survey, ("chat.tools",), tools, "chat, tools", isinstance(calls, list) and bool(calls),
             "no tool_calls came back")
    structured = _post(survey, "chat_completions", {
        "model": text, "messages": _messages("Extract the city and its country. city: Paris, country: France"),
        "response_format": {"type": "json_schema", "json_schema": {"name": "city", "schema": CITY_SCHEMA,
                                                                   "strict": True}}})
    try:
        parsed = isinstance(json.loads(str(_chat_message(structured).get("content"))), dict)
    except ValueError:
        parsed = False
    _feature(survey, ("chat.structured",), structured, "chat, response_format json_schema", parsed,
             "the content is not a JSON object")
    vision = _model(survey, "vision")
    if vision:
        image = casedata.assets(survey.findings.base_url, {})["red_png_data_url"]
        seen = _post(survey, "chat_completions", {"model": vision, "messages": _messages([
            {"type": "text", "text": "What colour is this image? Answer with the colour name."},
            {"type": "image_url", "image_url": {"url": image}}])})
        _feature(survey, ("chat.vision",), seen, "chat, an image", "red" in str(_chat_message(seen).get("content",
                                                                                                        "")).lower(),
                 "the colour was not named")


def probe_chat_failure(survey: Survey) -> None:
    if not _chat_ready(survey):
        return
    answer = _post(survey, "chat_completions", {"model": _model(survey, "text"), "stream": True,
                                                "messages": _messages("Simulate an upstream failure")}, stream=True)
    errors = [c for c in answer.events() if isinstance(c.get("error"), dict)]
    _feature(survey, ("chat.failure_trigger",), answer, "chat stream, upstream failure", bool(errors),
             "no error frame: no failure trigger")


def probe_chat_reasoning(survey: Survey) -> None:
    reasoning = _model(survey, "reasoning")
    if not _chat_ready(survey) or not reasoning:
        return
    answer = _post(survey, "chat_completions", {"model": reasoning, "reasoning_effort": "high",
                                                "messages": _messages("Reply with exactly: THOUGHT")})
    usage = _body(answer).get("usage") if isinstance(_body(answer).get("usage"), dict) else {}
    details = usage.get("completion_tokens_details") if isinstance(usage.get("completion_tokens_details"), dict) else {}
    tokens = details.get("reasoning_tokens")
    _feature(survey, ("chat.reasoning_effort",), answer, f"chat, reasoning_effort high: reasoning_tokens {tokens}",
             isinstance(tokens, int) and tokens > 0, "no reasoning tokens")


def probe_responses_only(survey: Survey) -> None:
    model = _model(survey, "responses_only")
    if not _chat_ready(survey) or not model:
        return
    answer = _post(survey, "chat_completions", {"model": model, "messages": _messages(PONG)})
    said = survey.said(answer, "chat with the responses-only model")
    _refused(survey, answer, said, "response_api_only", "chat.responses_only_models")


def probe_unavailable(survey: Survey) -> None:
    """Confirm the unavailable pick: a 503 (no provider); otherwise the role is dropped."""
    model = _model(survey, "unavailable")
    if not model or "responses" not in survey.paths:
        return
    answer = _post(survey, "responses", {"model": model, "input": PONG})
    said = survey.said(answer, "the unavailable model")
    if answer.status == 503 and answer.error_body:
        survey.findings.error_seen("no_provider_available", "api_error", answer.error_body, said)
        survey.findings.supported("responses.unavailable_model", said)
    else:
        survey.findings.notes.append(f"{said}: not a 503, so no model plays the unavailable role")
        survey.roles.pop("unavailable", None)


def _routing_ready(survey: Survey) -> bool:
    setting = survey.findings.settings.get("routing_metadata_source")
    return setting is not None and setting.value == "body"


def _meta(answer) -> dict:
    meta = _body(answer).get("routing_metadata")
    return meta if isinstance(meta, dict) else {}


def probe_routing(survey: Survey) -> None:
    if not _routing_ready(survey):
        survey.findings.notes.append("no routing_metadata in the Response: routing was not probed")
        return
    text, alt, down = (_model(survey, r) for r in ("text", "text_alt", "unavailable"))
    if down:
        fallback = _post(survey, "responses", {"gateway": {"models": [down, text], "routing": {"mode": "fallback"}},
                                               "input": PONG})
        _feature(survey, ("routing.fallback",), fallback, "gateway fallback from the unavailable model",
                 _body(fallback).get("model") == text and _meta(fallback).get("model_canonical") == text,
                 "the next model did not serve")
    if alt:
        pool = _post(survey, "responses", {"gateway": {"models": [text, alt], "routing": {"mode": "pool"}},
                                           "input": PONG})
        _feature(survey, ("routing.pool",), pool, "gateway pool", _meta(pool).get("model_canonical") in (text, alt),
                 "routing_metadata.model_canonical names neither model")
    if survey.directory is not None:
        cheap = _post(survey, "responses", {"model": text, "gateway": {"routing": {"optimize": "cost"}},
                                            "input": PONG})
        provider = _meta(cheap).get("provider")
        _feature(survey, ("routing.optimize_cost",), cheap, f"optimize cost: provider {provider}",
                 isinstance(provider, str), "no routing_metadata.provider")
        if isinstance(provider, str) and survey.prober.left > 0:
            moved = _post(survey, "responses", {"model": text, "input": PONG, "gateway": {
                "routing": {"optimize": "cost", "exclude_providers": [provider]}}})
            other = _meta(moved).get("provider")
            _feature(survey, ("routing.providers",), moved, f"exclude_providers [{provider}]: provider {other}",
                     isinstance(other, str) and other != provider, "the excluded provider served")
