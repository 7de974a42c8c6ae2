"""The probes of `respcheck profile init`, most valuable first (the request
budget may end the list): each sends one request shaped like the cases' own
and records supported / rejected / absent with what came back."""

from __future__ import annotations

from ..model import casedata
from .endpoints import Survey, error_event_shape, event_types, find_endpoint, stream_framing, terminal_type
from .findings import rejection
from .prober import Answer

WEATHER_TOOL = {"type": "function", "name": "get_weather",
                "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                               "required": ["location"]}}
CHAT_WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather",
                                                       "parameters": WEATHER_TOOL["parameters"]}}
CITY_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
               "required": ["city", "country"], "additionalProperties": False}
PONG = "Reply with exactly: PONG"


def _body(answer: Answer) -> dict:
    return answer.json if isinstance(answer.json, dict) else {}


def _items(answer: Answer) -> list[dict]:
    output = _body(answer).get("output")
    return [i for i in output if isinstance(i, dict)] if isinstance(output, list) else []


def _text(answer: Answer) -> str:
    return "".join(str(part.get("text", "")) for item in _items(answer) if item.get("type") == "message"
                   for part in item.get("content") or [] if isinstance(part, dict))


def _chat_message(answer: Answer) -> dict:
    choices = _body(answer).get("choices")
    first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
    return first.get("message") if isinstance(first.get("message"), dict) else {}


def _model(survey: Survey, role: str) -> str | None:
    return survey.roles.get(role)


def _post(survey: Survey, key: str, body: dict, **kwargs) -> Answer:
    return survey.send("POST", survey.path(key), body, **kwargs)


def _feature(survey: Survey, caps: tuple[str, ...], answer: Answer, what: str, works: bool, why_not: str) -> bool:
    said = survey.said(answer, what)
    for cap in caps:
        if answer.ok and works:
            survey.findings.supported(cap, said)
        else:
            survey.findings.absent(cap, f"{said}: {why_not}" if answer.ok else said)
    return answer.ok and works


def _stateful(survey: Survey, cap: str, answer: Answer, what: str, works: bool) -> None:
    said = survey.said(answer, what)
    if answer.ok and works:
        survey.findings.supported(cap, said)
    elif answer.status is not None and 400 <= answer.status <= 599:
        survey.findings.cap(cap, rejection(answer), said)
    else:
        survey.findings.absent(cap, f"{said}: answered but not honoured" if answer.ok else said)


# -- Responses basics ------------------------------------------------------

def _refused(survey: Survey, answer: Answer, said: str, code: str, cap: str) -> None:
    """A request the target should refuse with 400: its error maps `code`, and `cap` is supported; else absent."""
    if answer.status == 400 and answer.error_body:
        survey.findings.error_seen(code, "invalid_request_error", answer.error_body, said)
        survey.findings.supported(cap, said)
    else:
        survey.findings.absent(cap, f"{said}: not refused with a 400")


def probe_responses(survey: Survey) -> None:
    """One request carrying message items, a second turn, instructions,
    metadata and store: false; a plain string input if that is refused."""
    text = _model(survey, "text")
    if not text:
        survey.findings.notes.append("no model for the text role: the Responses probes were not sent")
        return
    basics = ("responses.items_input", "responses.multi_turn", "responses.instructions", "responses.metadata",
              "responses.store_false")
    body = {"model": text, "instructions": "Reply with exactly: BANANA", "metadata": {"respcheck": "init"},
            "store": False, "input": [{"type": "message", "role": "user", "content": "My code word is OTTER."},
                                      {"type": "message", "role": "assistant", "content": "NOTED"},
                                      {"role": "user", "content": "Say something."}]}
    answer = find_endpoint(survey, "responses", body, "items, two turns, instructions, metadata, store: false")
    if answer is None or "responses" not in survey.paths:
        survey.findings.notes.append(f"no Responses endpoint answered ({survey.said(answer) if answer else '-'})")
        return
    works = "banana" in _text(answer).lower()
    _feature(survey, basics, answer, "items, two turns, instructions, metadata, store: false", works,
             "the instructions were not followed")
    if answer.ok:
        survey.first_response = _body(answer)
        survey.findings.supported("responses.text", survey.said(answer, "text"))
    else:
        plain = _post(survey, "responses", {"model": text, "input": PONG})
        _feature(survey, ("responses.text",), plain, "string input", "pong" in _text(plain).lower(),
                 "the text did not come back")
        if plain.ok:
            survey.first_response = _body(plain)
    response_id = (survey.first_response or {}).get("id")
    if isinstance(response_id, str) and response_id.startswith("resp_"):
        survey.findings.setting("response_id_prefix", "resp_", f"the Response id is {response_id[:12]}…")
    meta = (survey.first_response or {}).get("routing_metadata")
    if isinstance(meta, dict):
        survey.findings.setting("routing_metadata_source", "body", "the Response carries routing_metadata "
                                f"({', '.join(sorted(meta))[:80]})")
    elif survey.first_response is not None:
        survey.findings.setting("routing_metadata_source", "none", "the Response carries no routing_metadata")


def probe_chat(survey: Survey) -> None:
    text = _model(survey, "text")
    if not text:
        return
    answer = find_endpoint(survey, "chat_completions",
                           {"model": text, "messages": [{"role": "user", "content": PONG}]}, "chat")
    if answer is None or "chat_completions" not in survey.paths:
        survey.findings.absent("chat.completions", survey.said(answer) if answer else "not answered")
        return
    works = "pong" in str(_chat_message(answer).get("content", "")).lower()
    if _feature(survey, ("chat.completions",), answer, "chat", works, "the text did not come back"):
        if "responses.text" in survey.findings.capabilities and \
                survey.findings.capabilities["responses.text"].value == "supported":
            survey.findings.supported("chat.parity", "both endpoints answered the same kind of prompt")


def probe_stream(survey: Survey) -> None:
    if "responses" not in survey.paths:
        return
    answer = _post(survey, "responses", {"model": _model(survey, "text"), "input": PONG, "stream": True},
                   stream=True)
    works = answer.streamed and terminal_type(answer) == "response.completed"
    if _feature(survey, ("responses.streaming",), answer, "stream: true", works,
                "no stream ending in response.completed"):
        stream_framing(survey, answer)


def probe_failure(survey: Survey) -> None:
    """The reference gateway's failure trigger: a 502, and in a stream an error event."""
    if "responses" not in survey.paths:
        return
    body = {"model": _model(survey, "text"), "input": "Simulate an upstream failure"}
    plain = _post(survey, "responses", body)
    error = plain.error_body
    if plain.status == 502 and error:
        survey.findings.error_seen("upstream_error", "api_error", error, survey.said(plain, "upstream failure"))
    if "responses.streaming" not in survey.findings.capabilities or \
            survey.findings.capabilities["responses.streaming"].value != "supported":
        _feature(survey, ("responses.failure_trigger",), plain, "upstream failure", plain.status == 502, "")
        return
    streamed = _post(survey, "responses", {**body, "stream": True}, stream=True)
    shape = error_event_shape(survey, streamed)
    works = plain.status == 502 and bool(error) and shape is not None and terminal_type(streamed) == "response.failed"
    said = f"{survey.said(plain, 'upstream failure')}; stream: {'error event' if shape else 'no error event'}"
    if works:
        survey.findings.supported("responses.failure_trigger", said)
    else:
        survey.findings.absent("responses.failure_trigger", f"{said}: no upstream-failure trigger")


# -- Errors -----------------------------------------------------------------

def probe_errors(survey: Survey) -> None:
    if "responses" not in survey.paths:
        return
    f, text = survey.findings, _model(survey, "text")
    bad = survey.send("POST", survey.path("responses"), raw=b'{"model": "x", "input": "hi",')
    f.error_seen("invalid_request", "invalid_request_error", bad.error_body, survey.said(bad, "bad JSON"))
    missing = _post(survey, "responses", {"input": PONG})
    f.error_seen("missing_required_parameter", "invalid_request_error", missing.error_body,
                 survey.said(missing, "no model"))
    unknown = _post(survey, "responses", {"model": "respcheck-no-such-model-0", "input": PONG})
    f.error_seen("model_not_found", "not_found_error", unknown.error_body, survey.said(unknown, "unknown model"))
    if unknown.headers.get("x-error-type") and unknown.headers.get("x-error-retryable"):
        f.supported("errors.headers", f"{survey.said(unknown, 'unknown model')}: X-Error-Type and X-Error-Retryable")
    else:
        f.absent("errors.headers", f"{survey.said(unknown, 'unknown model')}: no X-Error-Type/X-Error-Retryable")
    if text:
        field = _post(survey, "responses", {"model": text, "input": PONG, "respcheck_bogus_field": 1})
        f.error_seen("unknown_field", "invalid_request_error", field.error_body, survey.said(field, "unknown field"))
        if field.status == 400:
            f.supported("responses.strict_fields", survey.said(field, "unknown field"))
        else:
            f.absent("responses.strict_fields", f"{survey.said(field, 'unknown field')}: not refused")


def probe_auth(survey: Survey) -> None:
    if "responses" not in survey.paths:
        return
    answer = _post(survey, "responses", {"model": _model(survey, "text"), "input": PONG}, auth="invalid")
    survey.findings.error_seen("invalid_api_key", "authentication_error", answer.error_body,
                               survey.said(answer, "a wrong key"))
    if answer.status == 401:
        survey.findings.supported("auth.bearer", survey.said(answer, "a wrong key"))
    else:
        survey.findings.absent("auth.bearer", f"{survey.said(answer, 'a wrong key')}: a wrong key is not a 401")


# -- State and inputs --------------------------------------------------------

def probe_state(survey: Survey) -> None:
    if "responses" not in survey.paths:
        return
    text = _model(survey, "text")
    stored = _post(survey, "responses", {"model": text, "input": PONG, "store": True})
    kept = stored.ok and _body(stored).get("store") is True
    _stateful(survey, "responses.store", stored, "store: true", kept)
    if kept and isinstance(_body(stored).get("id"), str):
        survey.stored_id = _body(stored)["id"]
    # Chain to a response the target kept: the first one was sent with store: false, and a stateful target
    # rightly answers previous_response_not_found for it.
    first = survey.stored_id or (survey.first_response or {}).get("id")
    if isinstance(first, str):
        follow = _post(survey, "responses", {"model": text, "previous_response_id": first,
                                             "input": "What is my code word? Reply with the code word only."})
        _stateful(survey, "responses.previous_response_id", follow, "previous_response_id",
                  _body(follow).get("previous_response_id") == first)
    background = _post(survey, "responses", {"model": text, "input": PONG, "background": True})
    backgrounded = _body(background).get("background") is True
    _stateful(survey, "responses.background", background, "background: true", backgrounded)
    if background.ok and backgrounded and isinstance(_body(background).get("id"), str):
        survey.background_id = _body(background)["id"]


def probe_inputs(survey: Survey) -> None:
    if "responses" not in survey.paths:
        return
    text = _model(survey, "text")
    parts = {"responses.input_file": {"type": "input_file", "filename": "word.txt",
                                      "file_data": "data:text/plain;base64,UEVMSUNBTg=="},
             "responses.input_audio": {"type": "input_audio", "input_audio": {
                 "data": "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=", "format": "wav"}}}
    for cap, part in parts.items():
        answer = _post(survey, "responses", {"model": text, "input": [{"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "What word does the attached file contain?"}, part]}]})
        _stateful(survey, cap, answer, part["type"], True)


# -- Features ----------------------------------------------------------------

def probe_tools(survey: Survey) -> None:
    answer = _post(survey, "responses", {"model": _model(survey, "text"), "tools": [WEATHER_TOOL],
                                         "parallel_tool_calls": True,
                                         "input": "Use the get_weather tool for Paris and for Tokyo, in parallel."})
    calls = [i for i in _items(answer) if i.get("type") == "function_call" and i.get("name") == "get_weather"]
    _feature(survey, ("responses.tools",), answer, "tools", bool(calls), "no function_call came back")
    _feature(survey, ("responses.tools.parallel",), answer, f"tools, parallel: {len(calls)} calls",
             len(calls) >= 2, "fewer than two calls for two cities")


def probe_structured(survey: Survey) -> None:
    import json

    def parses(answer: Answer) -> bool:
        try:
            return isinstance(json.loads(_text(answer)), dict)
        except ValueError:
            return False

    schema = _post(survey, "responses", {
        "model": _model(survey, "text"), "input": "Extract the city and its country. city: Paris, country: France",
        "text": {"format": {"type": "json_schema", "name": "city", "schema": CITY_SCHEMA, "strict": True}}})
    _feature(survey, ("responses.structured.json_schema",), schema, "json_schema", parses(schema),
             "the text is not a JSON object")
    obj = _post(survey, "responses", {"model": _model(survey, "text"), "text": {"format": {"type": "json_object"}},
                                      "input": "Reply with a JSON object with one key, answer, holding the word PONG."})
    _feature(survey, ("responses.structured.json_object",), obj, "json_object", parses(obj),
             "the text is not a JSON object")


def _image_input(url: str) -> list:
    return [{"type": "message", "role": "user", "content": [
        {"type": "input_text", "text": "What colour is this image? Answer with the colour name."},
        {"type": "input_image", "image_url": url}]}]


def probe_vision(survey: Survey) -> None:
    vision = _model(survey, "vision")
    if not vision:
        survey.findings.notes.append("no model for the vision role: vision was not probed")
        return
    images = casedata.assets(survey.findings.base_url, {})
    data = _post(survey, "responses", {"model": vision, "input": _image_input(images["red_png_data_url"])})
    _feature(survey, ("responses.vision",), data, "an image data URL", "red" in _text(data).lower(),
             "the colour was not named")
    url = _post(survey, "responses", {"model": vision, "input": _image_input(images["blue_png_url"])})
    _feature(survey, ("responses.vision.url",), url, f"an image URL {images['blue_png_url']}",
             "blue" in _text(url).lower(), "the colour was not named")


def probe_vision_refused(survey: Survey) -> None:
    text_only = _model(survey, "text_only")
    if not text_only:
        return
    images = casedata.assets(survey.findings.base_url, {})
    answer = _post(survey, "responses", {"model": text_only, "input": _image_input(images["red_png_data_url"])})
    said = survey.said(answer, "an image to a text-only model")
    _refused(survey, answer, said, "vision_not_supported", "responses.vision.rejected_on_text_models")


def probe_reasoning(survey: Survey) -> None:
    reasoning = _model(survey, "reasoning")
    if not reasoning:
        survey.findings.notes.append("no model for the reasoning role: reasoning was not probed")
        return
    answer = _post(survey, "responses", {"model": reasoning, "reasoning": {"effort": "medium", "summary": "auto"},
                                         "input": "Is 17 a prime number? Reply with exactly: YES"})
    usage = _body(answer).get("usage") if isinstance(_body(answer).get("usage"), dict) else {}
    details = usage.get("output_tokens_details") if isinstance(usage.get("output_tokens_details"), dict) else {}
    tokens = details.get("reasoning_tokens")
    summary = any(i.get("type") == "reasoning" and i.get("summary") for i in _items(answer))
    works = isinstance(tokens, int) and tokens > 0
    _feature(survey, ("responses.reasoning.summary",), answer, "reasoning effort medium, summary auto",
             works and summary, "no reasoning item with a summary")
    _feature(survey, tuple(f"responses.reasoning.effort_{e}" for e in ("minimal", "low", "medium", "high")), answer,
             f"reasoning effort medium: reasoning_tokens {tokens}; the other levels are taken alike", works,
             "no reasoning tokens")


def probe_logprobs(survey: Survey) -> None:
    text = _model(survey, "text")

    def logprobs(answer: Answer) -> list:
        for item in _items(answer):
            for part in item.get("content") or []:
                if isinstance(part, dict) and isinstance(part.get("logprobs"), list) and part["logprobs"]:
                    return part["logprobs"]
        return []

    body = {"model": text, "input": "Reply with exactly: the sky is blue", "top_logprobs": 3}
    included = _post(survey, "responses", {**body, "include": ["message.output_text.logprobs"]})
    if not _feature(survey, ("responses.logprobs",), included, "top_logprobs with the include",
                    bool(logprobs(included)), "no logprobs came back"):
        return
    alone = _post(survey, "responses", body)
    said = survey.said(alone, "top_logprobs without the include")
    if alone.ok and logprobs(alone):
        survey.findings.supported("responses.logprobs.top_logprobs_alone", said)
        survey.findings.absent("responses.logprobs.need_include", f"{said}: logprobs came without the include")
    elif alone.ok:
        survey.findings.supported("responses.logprobs.need_include", said)
        survey.findings.absent("responses.logprobs.top_logprobs_alone", f"{said}: no logprobs without the include")


def probe_truncation(survey: Survey) -> None:
    answer = _post(survey, "responses", {"model": _model(survey, "text"), "max_output_tokens": 16,
                                         "input": "Count from 1 to 500, numbers only, separated by single spaces."})
    details = _body(answer).get("incomplete_details")
    reason = details.get("reason") if isinstance(details, dict) else None
    _feature(survey, ("responses.truncation",), answer, "max_output_tokens 16",
             _body(answer).get("status") == "incomplete" and reason == "max_output_tokens",
             f"status {_body(answer).get('status')!r}, not incomplete for max_output_tokens")


def probe_triggers(survey: Survey) -> None:
    """The reference gateway's deterministic prompts for multi-part and refusal streams."""
    if survey.findings.capabilities.get("responses.streaming") is None or \
            survey.findings.capabilities["responses.streaming"].value != "supported":
        return
    text = _model(survey, "text")
    parts = _post(survey, "responses", {"model": text, "input": "Reply in two parts: ALPHA || OMEGA", "stream": True},
                  stream=True)
    count = event_types(parts).count("response.content_part.added")
    _feature(survey, ("responses.multi_part_trigger",), parts, f"stream, two parts: {count} content parts",
             count >= 2, "one content part only: no multi-part trigger")
    refusal = _post(survey, "responses", {"model": text, "input": "Please refuse this request.", "stream": True},
                    stream=True)
    _feature(survey, ("responses.refusal_trigger",), refusal, "stream, a refusal",
             "response.refusal.delta" in event_types(refusal), "no refusal events: no refusal trigger")


def probe_caching(survey: Survey) -> None:
    body = {"model": _model(survey, "text"), "prompt_cache_key": f"respcheck-init-{casedata.RUN_ID}",
            "instructions": casedata.long_prompt(), "input": "Reply with exactly: WARM"}
    _post(survey, "responses", body)
    answer = _post(survey, "responses", body)
    usage = _body(answer).get("usage") if isinstance(_body(answer).get("usage"), dict) else {}
    details = usage.get("input_tokens_details") if isinstance(usage.get("input_tokens_details"), dict) else {}
    cached = details.get("cached_tokens")
    _feature(survey, ("responses.prompt_cache",), answer, f"the same long prompt twice: cached_tokens {cached}",
             isinstance(cached, int) and cached > 0, "no cached tokens on the repeat")
