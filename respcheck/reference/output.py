"""What the model puts in `output`: a reasoning item, function calls or one message.

`generate` runs the features in order — reasoning, vision, the tool round trip or
tool calls, the text answer, structured output, truncation, logprobs — each from
its own module, and the fault switches of what reaches the model.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from . import engine, logprobs, reasoning, structured, tools, verbosity, vision
from .catalog import Model
from .engine import Part, Reply
from .request import ParsedRequest


@dataclass
class Output:
    items: list[dict]
    message: dict | None  # the message item, None when the output is function calls
    parts: tuple[Part, ...]  # the message's (kind, text) parts as returned
    status: str  # completed, incomplete (truncated) or failed (upstream failure)
    effort: str | None  # the reasoning effort used, None for a model without reasoning
    reasoning_tokens: int
    call_tokens: int  # output tokens spent on function call arguments


def generate(parsed: ParsedRequest, model: Model, faults: frozenset[str]) -> Output:
    request = parsed.body
    effort = reasoning.effort_for(request, model)
    worked = effort  # the effort the model works at; `effort` is what the Response echoes
    if "reasoning_effort_ignored" in faults and effort not in (None, "none"):
        worked = reasoning.DEFAULT_EFFORT
    if "effort_none_ignored" in faults and effort == "none":
        worked = reasoning.DEFAULT_EFFORT  # the gateway maps none to the provider's default
    image = vision.see(parsed.images, model, faults)
    logprobs.check_model(request, model)

    instructions = None if "instructions_ignored" in faults else parsed.instructions
    messages = parsed.messages[-1:] if "history_dropped" in faults else parsed.messages
    question = engine.last_user_text(messages)

    items: list[dict] = []
    reasoning_tokens = 0
    if worked not in (None, "none") and "reasoning_dropped" not in faults:
        items.append(reasoning.item(request, question, faults))
        reasoning_tokens = 0 if "reasoning_tokens_missing" in faults else reasoning.TOKENS[worked]

    if parsed.tool_output is not None:
        # The input ends with a tool's result: the model answers with it, never calls again.
        calls = []
        if "tool_output_ignored" in faults:
            reply = engine.reply(instructions, messages, image)
        else:
            reply = Reply((("output_text", tools.round_trip_answer(parsed.tool_output)),))
    else:
        calls = tools.decide(request, question, faults)
        wanted = None if "verbosity_ignored" in faults else verbosity.requested(request)
        reply = engine.reply(instructions, messages, image, verbosity=wanted)

    if calls:
        call_items = [tools.call_item(name, arguments, faults) for name, arguments in calls]
        call_tokens = sum(max(1, engine.count_tokens(json.dumps(arguments, separators=(",", ":"))))
                          for _, arguments in calls)
        return Output(items + call_items, None, (), "completed", effort, reasoning_tokens, call_tokens)

    parts = reply.parts
    if not reply.failed and all(kind == "output_text" for kind, _ in parts):
        rendered = structured.render(structured.text_format(request), question, reply.text, faults)
        if rendered is not None:
            parts = (("output_text", rendered),)
    if "text_empty" in faults:
        parts = tuple((kind, "") for kind, _ in parts)
    limit = request.get("max_output_tokens")
    # Reasoning spends the budget first; only the message text is cut.
    parts, truncated = engine.truncate(parts, None if limit is None else max(limit - reasoning_tokens, 0))
    status = "failed" if reply.failed else "incomplete" if truncated else "completed"

    top = logprobs.wanted(request, faults)
    message = {
        "id": f"msg_{secrets.token_hex(12)}",
        "type": "message",
        "role": "assistant",
        "status": "completed" if status == "completed" else "incomplete",
        "content": [_content_part(kind, text, top, faults) for kind, text in parts],
    }
    return Output(items + [message], message, parts, status, effort, reasoning_tokens, 0)


def _content_part(kind: str, text: str, top: int | None, faults: frozenset[str]) -> dict:
    if kind == "refusal":
        return {"type": "refusal", "refusal": text}
    entries = [] if top is None else logprobs.entries(text, top, faults)
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": entries}
