"""`text.verbosity`: validating it, and the one prompt whose answer length the model varies with it.

"Explain ..." is answered with one sentence at low, three at medium (the
default) and all six at high, so a case can see the setting reach the model:
the echo alone could be written by a gateway that dropped it.
"""

from __future__ import annotations

import re

from .errors import invalid

LEVELS = ("low", "medium", "high")
DEFAULT = "medium"
SENTENCES_AT = {"low": 1, "medium": 3, "high": 6}
_EXPLAIN = re.compile(r"\bexplain\b", re.IGNORECASE)
_SENTENCES = (
    "A gateway forwards each request to a provider that can serve it.",
    "It checks the request first and refuses what it cannot serve.",
    "It reports which provider and model answered, and what it cost.",
    "When a provider fails it can try the next one the request allows.",
    "It keeps one API in front of many providers, so clients need no changes.",
    "It counts the tokens of every answer, so usage can be billed and limited.",
)


def validate(body: dict) -> None:
    text = body.get("text")
    value = text.get("verbosity") if isinstance(text, dict) else None
    if value is not None and value not in LEVELS:
        raise invalid("invalid_parameter_value", f"text.verbosity must be one of {', '.join(LEVELS)}.",
                      "text.verbosity")


def requested(body: dict) -> str | None:
    text = body.get("text")
    return text.get("verbosity") if isinstance(text, dict) else None


def explanation(question: str, verbosity: str | None) -> str | None:
    """The answer to an "Explain ..." prompt at that verbosity, else None (another rule answers)."""
    if not _EXPLAIN.search(question):
        return None
    return " ".join(_SENTENCES[:SENTENCES_AT[verbosity or DEFAULT]])
