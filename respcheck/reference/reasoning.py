"""`reasoning`: validating effort and summary, and the reasoning item a reasoning model shows."""

from __future__ import annotations

import secrets

from .catalog import Model
from .errors import ApiError, invalid

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
SUMMARIES = ("auto", "concise", "detailed")
TOKENS = {"none": 0, "minimal": 4, "low": 8, "medium": 16, "high": 32, "xhigh": 64}
DEFAULT_EFFORT = "medium"
SUMMARY_WORDS = 8


def validate(body: dict, faults: frozenset[str]) -> None:
    """The values themselves (model-independent)."""
    reasoning = body.get("reasoning") or {}
    effort, summary = reasoning.get("effort"), reasoning.get("summary")
    if effort is not None and effort not in EFFORTS:
        raise invalid("invalid_parameter_value", f"reasoning.effort must be one of {', '.join(EFFORTS)}.",
                      "reasoning.effort")
    if effort == "minimal" and "reasoning_effort_minimal_rejected" in faults:
        raise invalid("invalid_parameter_value", "reasoning.effort 'minimal' is not supported.", "reasoning.effort")
    if summary is not None and summary not in SUMMARIES:
        raise invalid("invalid_parameter_value", f"reasoning.summary must be one of {', '.join(SUMMARIES)}.",
                      "reasoning.summary")


def effort_for(body: dict, model: Model) -> str | None:
    """The effort the model works with: None for a model without reasoning (which refuses any effort but none)."""
    effort = (body.get("reasoning") or {}).get("effort")
    if not model.capabilities.get("reasoning"):
        if effort not in (None, "none"):
            raise ApiError(400, "invalid_request_error", "reasoning_not_supported",
                           f"The model '{model.id}' does not support reasoning; omit reasoning.effort "
                           "or send 'none'.", "reasoning")
        return None
    return effort or DEFAULT_EFFORT


def echo(body: dict, effort: str | None) -> dict:
    """The Response's `reasoning` field: what was asked, with the effort actually used."""
    reasoning = {"effort": None, "summary": None, **(body.get("reasoning") or {})}
    if effort is not None:
        reasoning["effort"] = effort
    return reasoning


def item(body: dict, question: str) -> dict:
    """The reasoning output item; its summary only when one was asked for."""
    summary = []
    if (body.get("reasoning") or {}).get("summary") is not None:
        words = " ".join(question.split()[:SUMMARY_WORDS])
        summary = [{"type": "summary_text", "text": f"Considered the request: {words}".rstrip()}]
    return {"id": f"rs_{secrets.token_hex(12)}", "type": "reasoning", "summary": summary, "status": "completed"}
