"""Token log probabilities of output_text parts.

Given only with `include: ["message.output_text.logprobs"]` (OpenAI's rule; without
it parts carry `logprobs: []`). The tokens are the pieces the stream's deltas
carry (`engine.text_chunks`), so they join to the text exactly; alternatives are
made up ("alt1", "alt2", ...), each 0.5 less likely than the one before.
"""

from __future__ import annotations

from .engine import text_chunks
from .errors import ApiError

INCLUDE = "message.output_text.logprobs"


def wanted(body: dict, faults: frozenset[str]) -> int | None:
    """How many top_logprobs each token lists, or None when the parts get no logprobs."""
    top = body.get("top_logprobs")
    if INCLUDE in (body.get("include") or []):
        return None if "logprobs_dropped" in faults else top or 0
    if top is not None and "logprobs_ignore_include" in faults:
        return top
    return None


def check_model(body: dict, model) -> None:
    """A model without the logprobs capability refuses a request that asks for them."""
    if INCLUDE in (body.get("include") or []) and not model.capabilities.get("logprobs"):
        raise ApiError(400, "invalid_request_error", "logprobs_not_supported",
                       f"The model '{model.id}' does not return token logprobs.", "include")


def _logprob(index: int, faults: frozenset[str] = frozenset()) -> float:
    value = round(-0.05 * ((index % 7) + 1), 4)
    return -value if "logprobs_positive" in faults else value


def _alternative(token: str, logprob: float) -> dict:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode())}


def entries(text: str, top: int, faults: frozenset[str]) -> list[dict]:
    """One entry per token of `text`, each with `top` alternatives (the token itself first)."""
    tokens = text_chunks(text)
    if tokens and "logprobs_tokens_wrong" in faults:
        tokens[-1] = tokens[-1] + "~"
    count = top + 1 if "logprobs_top_too_many" in faults else top
    result = []
    for index, token in enumerate(tokens):
        logprob = _logprob(index, faults)
        alternatives = [_alternative(token, logprob)][:count]
        alternatives += [_alternative(f"alt{k}", round(logprob - 0.5 * k, 4)) for k in range(1, count)]
        result.append({"token": token, "logprob": logprob, "bytes": list(token.encode()),
                       "top_logprobs": alternatives})
    return result
