"""The stored-response probes of `respcheck profile init`: run when the
target kept a `store: true` response, they ask for it back, list its input
items, replay it as a stream, delete it, cancel the background one, refuse an
unknown previous_response_id, and try the conversations, input-token and
compaction endpoints — each capability recorded with what came back."""

from __future__ import annotations

from .endpoints import Survey
from .probes import PONG, _body, _model, _post, _stateful
from .prober import Answer

UNKNOWN_ID = "resp_respcheck_never_stored"


def _sibling(survey: Survey, name: str) -> str:
    """A path beside the Responses endpoint: /v1/responses -> /v1/conversations."""
    responses = survey.path("responses")
    base = responses[: -len("/responses")] if responses.endswith("/responses") else ""
    return survey.paths.get(name, f"{base}/{name}")


def _listed(answer: Answer) -> bool:
    body = _body(answer)
    return body.get("object") == "list" and isinstance(body.get("data"), list)


def probe_stored(survey: Survey) -> None:
    stored = survey.stored_id
    if not isinstance(stored, str):
        return
    responses = survey.path("responses")
    text = _model(survey, "text")
    got = survey.send("GET", f"{responses}/{stored}")
    _stateful(survey, "responses.retrieve", got, "the stored response", _body(got).get("id") == stored)
    items = survey.send("GET", f"{responses}/{stored}/input_items", query={"order": "asc"})
    _stateful(survey, "responses.input_items", items, "its input items", _listed(items))
    replay = survey.send("GET", f"{responses}/{stored}", query={"stream": "true"}, stream=True)
    _stateful(survey, "responses.retrieve.stream", replay, "?stream=true", replay.streamed)
    if survey.findings.capabilities.get("responses.previous_response_id") is not None \
            and survey.findings.capabilities["responses.previous_response_id"].value == "supported":
        unknown = _post(survey, "responses", {"model": text, "input": PONG, "previous_response_id": UNKNOWN_ID})
        said = survey.said(unknown, "an unknown previous_response_id")
        if unknown.status == 400 and unknown.error_body:
            survey.findings.error_seen("previous_response_not_found", "invalid_request_error", unknown.error_body,
                                       said)
            survey.findings.supported("responses.previous_response_id.not_found", said)
        else:
            survey.findings.absent("responses.previous_response_id.not_found", f"{said}: not refused with a 400")
    if isinstance(survey.background_id, str):
        cancelled = survey.send("POST", f"{responses}/{survey.background_id}/cancel")
        _stateful(survey, "responses.cancel", cancelled, "cancel the background response",
                  _body(cancelled).get("status") == "cancelled")
    deleted = survey.send("DELETE", f"{responses}/{stored}")
    _stateful(survey, "responses.delete", deleted, "delete it", _body(deleted).get("deleted") is True)
    conversation = survey.send("POST", _sibling(survey, "conversations"), {"metadata": {"probe": "respcheck"}})
    _stateful(survey, "responses.conversations", conversation, "a conversation",
              _body(conversation).get("object") == "conversation")
    counted = survey.send("POST", f"{responses}/input_tokens", {"model": text, "input": PONG})
    _stateful(survey, "responses.input_tokens", counted, "count input tokens",
              isinstance(_body(counted).get("input_tokens"), int))
    compacted = survey.send("POST", f"{responses}/compact", {"model": text, "input": [
        {"type": "message", "role": "user", "content": "My code word is OTTER."}]})
    _stateful(survey, "responses.compact", compacted, "compact", isinstance(_body(compacted).get("output"), list))
