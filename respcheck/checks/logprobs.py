"""Token logprobs, wherever they appear on output_text parts: each entry is
well formed, lists no more alternatives than `top_logprobs` asked for, and
the tokens join to the part's text."""

from __future__ import annotations

from ..failures import Failure
from .context import CheckContext


def _parts(body: dict):
    for i, item in enumerate(body.get("output") or []):
        if isinstance(item, dict) and item.get("type") == "message" and isinstance(item.get("content"), list):
            for j, part in enumerate(item["content"]):
                if isinstance(part, dict) and part.get("type") == "output_text" and part.get("logprobs"):
                    yield f"$.output[{i}].content[{j}]", part


def check_logprobs(ctx: CheckContext) -> list[Failure]:
    body = ctx.body
    if not (ctx.ok_status and ctx.is_responses_create) or not isinstance(body, dict):
        return []
    request = ctx.exchange.request_json if isinstance(ctx.exchange.request_json, dict) else {}
    wanted = request.get("top_logprobs")
    failures = []
    for path, part in _parts(body):
        entries = part["logprobs"]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            continue  # the Response schema rule reports the shape
        for n, entry in enumerate(entries):
            logprob = entry.get("logprob")
            if isinstance(logprob, (int, float)) and logprob > 0:
                failures.append(ctx.fail("logprobs.shape", f"logprob {logprob} is above 0",
                                         path=f"{path}.logprobs[{n}].logprob"))
                break
            top = entry.get("top_logprobs")
            if isinstance(wanted, int) and isinstance(top, list) and len(top) > wanted:
                failures.append(ctx.fail("logprobs.top_count", f"{len(top)} top_logprobs listed, "
                                         f"top_logprobs asked for {wanted}", path=f"{path}.logprobs[{n}].top_logprobs"))
                break
        if part.get("status") != "incomplete" and isinstance(part.get("text"), str):
            joined = "".join(e.get("token", "") for e in entries if isinstance(e.get("token"), str))
            if joined != part["text"]:
                failures.append(ctx.fail("logprobs.join", f"the tokens join to {joined[:60]!r}, the text is "
                                         f"{part['text'][:60]!r}", path=f"{path}.logprobs"))
    return failures
