"""`reasoning`: validating effort and summary, and the reasoning item a reasoning model shows.

Every effort the openai SDK lists is accepted; more effort, more reasoning
tokens. With include `reasoning.encrypted_content` the item carries an opaque
copy of the reasoning, which a stateless client sends back in its next input.
"""

from __future__ import annotations

import base64
import secrets

from .catalog import Model
from .errors import ApiError, invalid

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
SUMMARIES = ("auto", "concise", "detailed")
TOKENS = {"none": 0, "minimal": 4, "low": 8, "medium": 16, "high": 32, "xhigh": 64, "max": 128}
DEFAULT_EFFORT = "medium"
SUMMARY_WORDS = 8
ENCRYPTED_INCLUDE = "reasoning.encrypted_content"


def validate(body: dict, faults: frozenset[str]) -> None:
    """The values themselves (model-independent)."""
    reasoning = body.get("reasoning") or {}
    effort, summary = reasoning.get("effort"), reasoning.get("summary")
    if effort is not None and effort not in EFFORTS:
        raise invalid("invalid_parameter_value", f"reasoning.effort must be one of {', '.join(EFFORTS)}.",
                      "reasoning.effort")
    if effort == "minimal" and "reasoning_effort_minimal_rejected" in faults:
        raise invalid("invalid_parameter_value", "reasoning.effort 'minimal' is not supported.", "reasoning.effort")
    if effort == "xhigh" and "effort_xhigh_rejected" in faults:
        raise invalid("invalid_parameter_value", "reasoning.effort 'xhigh' is not supported.", "reasoning.effort")
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


def item(body: dict, question: str, faults: frozenset[str] = frozenset()) -> dict:
    """The reasoning output item; its summary only when one was asked for, its encrypted copy only when included."""
    summary = []
    if (body.get("reasoning") or {}).get("summary") is not None:
        words = " ".join(question.split()[:SUMMARY_WORDS])
        summary = [{"type": "summary_text", "text": f"Considered the request: {words}".rstrip()}]
    found = {"id": f"rs_{secrets.token_hex(12)}", "type": "reasoning", "summary": summary, "status": "completed"}
    if ENCRYPTED_INCLUDE in (body.get("include") or ()) and "encrypted_content_missing" not in faults:
        found["encrypted_content"] = _sealed(question)
    return found


def _sealed(question: str) -> str:
    # Opaque to the client, like a provider's (only its owner reads it back, and the reference never does);
    # the same question seals the same way, so runs compare byte for byte.
    return base64.urlsafe_b64encode(f"respcheck-reasoning:{question[:64]}".encode()).decode()
