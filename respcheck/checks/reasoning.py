"""Reasoning accounted for: a response that shows reasoning items also
reports reasoning tokens in its usage."""

from __future__ import annotations

from ..failures import Failure
from .context import CheckContext


def check_reasoning_tokens(ctx: CheckContext) -> list[Failure]:
    body = ctx.body
    if not (ctx.ok_status and ctx.is_responses_create) or not isinstance(body, dict):
        return []
    reasoning = [i for i in body.get("output") or [] if isinstance(i, dict) and i.get("type") == "reasoning"]
    usage = body.get("usage")
    if not reasoning or not isinstance(usage, dict):
        return []
    tokens = (usage.get("output_tokens_details") or {}).get("reasoning_tokens")
    if isinstance(tokens, int) and tokens <= 0:
        return [ctx.fail("reasoning.tokens", f"the output has {len(reasoning)} reasoning item(s) but usage reports "
                         f"reasoning_tokens {tokens}", path="$.usage.output_tokens_details.reasoning_tokens")]
    return []
