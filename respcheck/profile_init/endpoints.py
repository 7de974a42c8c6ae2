"""The first probes of `profile init`: where the endpoints are, which models
there are, and the settings every answer tells (request-id header, framing
of a stream, the error event's shape)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .findings import Entry, Findings
from .prober import Answer, Prober

_REQUEST_ID = re.compile(r"^(x-)?(request|req|correlation|trace)-id$|^[a-z0-9]+-request-id$")
_PREFERRED_IDS = ("x-request-id", "request-id")
TERMINAL = {"response.completed", "response.failed", "response.incomplete"}


@dataclass
class Survey:
    """What the probes share: the prober, the findings, where things are."""

    prober: Prober
    findings: Findings
    origin_only: bool  # the base URL has no path: the /v1 prefix is tried too
    paths: dict[str, str] = field(default_factory=dict)  # key -> found path
    answers: list[Answer] = field(default_factory=list)  # every answer, for the request-id header
    listing: list = field(default_factory=list)
    directory: dict | None = None
    roles: dict[str, str] = field(default_factory=dict)
    first_response: dict | None = None  # a 200 Response body, for previous_response_id
    stored_id: str | None = None  # a response the target kept (store: true), for the stored-response probes
    background_id: str | None = None  # a background response, to cancel

    def send(self, method: str, path: str, body=None, **kwargs) -> Answer:
        answer = self.prober.send(method, path, body, **kwargs)
        self.answers.append(answer)
        return answer

    def path(self, key: str) -> str:
        return self.paths.get(key, _DEFAULTS[key])

    def said(self, answer: Answer, what: str = "") -> str:
        return self.prober.said(answer, what)


_DEFAULTS = {"responses": "/responses", "chat_completions": "/chat/completions", "models": "/models",
             "directory": "/directory/models"}


def is_origin(base_url: str) -> bool:
    return urlsplit(base_url).path.strip("/") == ""


def _candidates(survey: Survey, key: str) -> list[str]:
    default = _DEFAULTS[key]
    if not survey.origin_only:
        return [default]
    # An origin: the OpenAI layout (/v1/...) first when /models was found there, else the bare path first.
    prefixed = "/v1" + default
    return [prefixed, default] if survey.paths.get("models", "").startswith("/v1") else [default, prefixed]


def _served(answer: Answer) -> bool:
    return answer.error is None and answer.status not in (None, 404, 405)


def probe_models(survey: Survey) -> None:
    f = survey.findings
    for path in _candidates(survey, "models"):
        answer = survey.send("GET", path)
        body = answer.json if isinstance(answer.json, dict) else {}
        if answer.ok and isinstance(body.get("data"), list):
            survey.paths["models"] = path
            survey.listing = body["data"]
            f.paths["models"] = _path_entry(survey, "models", path, f"{survey.said(answer)}, {len(body['data'])} models")
            f.supported("models.list", f"{survey.said(answer)}: a list of {len(body['data'])} models")
            entries = [e for e in body["data"] if isinstance(e, dict)]
            with_endpoints = [e for e in entries if isinstance(e.get("supported_endpoints"), list)]
            if entries and len(with_endpoints) == len(entries):
                f.setting("listing_endpoints", "required", f"all {len(entries)} listed models carry supported_endpoints")
                names = [n for e in with_endpoints for n in e["supported_endpoints"] if isinstance(n, str)]
                if names and all(n.startswith("/") for n in names):
                    f.setting("endpoint_naming", "paths", f"supported_endpoints are paths, e.g. {names[0]!r}")
            else:
                f.setting("listing_endpoints", "optional",
                          f"{len(entries) - len(with_endpoints)} of {len(entries)} listed models carry no "
                          "supported_endpoints")
            return
        if _served(answer):
            f.absent("models.list", f"{survey.said(answer)}: not a model list")
            return
    f.absent("models.list", f"{survey.said(answer)}: no model list")


def probe_listing_by_endpoint(survey: Survey) -> None:
    if "models" not in survey.paths:
        return
    answer = survey.send("GET", survey.path("models"), query={"endpoint": "responses"})
    body = answer.json if isinstance(answer.json, dict) else {}
    if answer.ok and isinstance(body.get("data"), list):
        known = {e.get("id") for e in survey.listing if isinstance(e, dict)}
        extra = [e.get("id") for e in body["data"] if isinstance(e, dict) and e.get("id") not in known]
        survey.listing += [e for e in body["data"] if isinstance(e, dict) and e.get("id") in extra]
        survey.findings.supported("models.list_by_endpoint",
                                  f"{survey.said(answer)}: {len(body['data'])} models"
                                  + (f", {len(extra)} not in the default listing" if extra else ""))
    else:
        survey.findings.absent("models.list_by_endpoint", f"{survey.said(answer)}: no model list")


def probe_directory(survey: Survey) -> None:
    f = survey.findings
    path = _candidates(survey, "directory")[0]
    answer = survey.send("GET", path)
    body = answer.json if isinstance(answer.json, dict) else {}
    if answer.ok and isinstance(body.get("models"), dict):
        survey.directory = body["models"]
        survey.paths["directory"] = path
        f.paths["directory"] = _path_entry(survey, "directory", path, survey.said(answer))
        f.supported("models.directory", f"{survey.said(answer)}: {len(body['models'])} models with providers")
    else:
        f.absent("models.directory", f"{survey.said(answer)}: no directory of models")


def find_endpoint(survey: Survey, key: str, body: dict, what: str) -> Answer | None:
    """Send `body` to each candidate path of an endpoint until one serves it."""
    answer = None
    for path in _candidates(survey, key):
        answer = survey.send("POST", path, body)
        if _served(answer):
            survey.paths[key] = path
            survey.findings.paths[key] = _path_entry(survey, key, path, survey.said(answer, what))
            return answer
    return answer


def _path_entry(survey: Survey, key: str, path: str, evidence: str) -> Entry:
    return Entry(path, evidence)


def request_id_header(survey: Survey) -> None:
    answered = [a for a in survey.answers if a.status is not None]
    if not answered:
        return
    common = set.intersection(*({h for h in a.headers if _REQUEST_ID.match(h)} for a in answered))
    if common:
        name = next((n for n in _PREFERRED_IDS if n in common), sorted(common)[0])
        survey.findings.setting("request_id_header", name, f"on all {len(answered)} answers of this probe run")
    else:
        survey.findings.setting("request_id_header", None,
                                f"no request-id header was on all {len(answered)} answers")


def stream_framing(survey: Survey, answer: Answer) -> None:
    """event: lines, [DONE], sequence_number — from one Responses stream."""
    f = survey.findings
    frames = answer.frames
    said = survey.said(answer, "stream: true")
    with_event = sum(1 for fr in frames if fr.event)
    data_frames = [fr for fr in frames if fr.data.strip() != "[DONE]"]
    done = sum(1 for fr in frames if fr.data.strip() == "[DONE]")
    if data_frames and with_event >= len(data_frames):
        f.setting("event_line", "required", f"{said}: every one of {len(data_frames)} frames has an event: line")
    else:
        f.setting("event_line", "optional", f"{said}: {with_event} of {len(data_frames)} frames have an event: line")
    f.setting("done_sentinel", "required" if done else "forbidden",
              f"{said}: data: [DONE] {'came last' if done else 'was not sent'}")
    events = answer.events()
    numbered = sum(1 for e in events if isinstance(e.get("sequence_number"), int))
    f.notes.append(f"sequence_number on {numbered} of {len(events)} stream events ({said}); "
                   "the stream rules always require it")


def error_event_shape(survey: Survey, answer: Answer) -> str | None:
    """flat ({type: error, code, message}) or nested ({type: error, error: {...}})."""
    for event in answer.events():
        if event.get("type") == "error":
            shape = "nested" if isinstance(event.get("error"), dict) else "flat"
            survey.findings.setting("error_event_shape", shape,
                                    f"{survey.said(answer, 'stream: true, upstream failure')}: the error event is "
                                    f"{shape} ({', '.join(sorted(event))})")
            return shape
    return None


def terminal_type(answer: Answer) -> str | None:
    types = [e.get("type") for e in answer.events() if e.get("type") in TERMINAL]
    return types[-1] if types else None


def event_types(answer: Answer) -> list[str]:
    return [e.get("type") for e in answer.events() if isinstance(e.get("type"), str)]
