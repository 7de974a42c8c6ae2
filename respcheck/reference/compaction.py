"""POST /v1/responses/compact and the compaction items it makes.

A compacted conversation is its user messages, verbatim, followed by one
`compaction` item standing for everything else (assistant turns, tool
results). OpenAI's `encrypted_content` is opaque; the reference gateway's is
base64 JSON of those messages, so that sending the item back as input puts
them before the model again (`expand`), which the follow-up turn proves.
"""

from __future__ import annotations

import base64
import binascii
import json
import time

from . import engine
from .errors import invalid
from .request import parse_request

PREFIX = "rc-compaction:"


def _encode(messages: list[tuple[str, str]]) -> str:
    return PREFIX + base64.b64encode(json.dumps(messages).encode("utf-8")).decode("ascii")


def _decode(content, index: int) -> list[tuple[str, str]]:
    bad = invalid("invalid_parameter_value", f"input[{index}]: a compaction item's encrypted_content is not one "
                                             "this gateway made.", "input")
    if not isinstance(content, str) or not content.startswith(PREFIX):
        raise bad
    try:
        messages = json.loads(base64.b64decode(content[len(PREFIX):], validate=True))
    except (binascii.Error, ValueError):
        raise bad from None
    if not (isinstance(messages, list) and all(isinstance(m, list) and len(m) == 2 and all(isinstance(x, str) for x in m)
                                               for m in messages)):
        raise bad
    return [(role, text) for role, text in messages]


def expand(items: list) -> list:
    """The input with every compaction item replaced by the messages it stands for."""
    expanded = []
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("type") == "compaction":
            expanded += [{"type": "message", "role": role, "content": text}
                         for role, text in _decode(item.get("encrypted_content"), index)]
        else:
            expanded.append(item)
    return expanded


def compact(body: dict, faults: frozenset[str], new_id) -> dict:
    """The CompactedResponse of the request's conversation (its input, after any stored items)."""
    parsed = parse_request(body, faults)
    kept = [{"id": new_id("msg"), "type": "message", "role": "user", "status": "completed",
             "content": [{"type": "input_text", "text": text}]}
            for role, text in parsed.messages if role == "user"]
    # Assistant turns and tool results are what the compaction item carries (as assistant text).
    carried = [("assistant", text) for role, text in parsed.messages if role != "user"]
    if "compact_context_lost" in faults:
        carried = []
    item = {"id": new_id("cmp"), "type": "compaction", "encrypted_content": _encode(carried), "created_by": None}
    input_tokens = engine.count_tokens(parsed.instructions) + sum(engine.count_tokens(t) for _, t in parsed.messages)
    output_tokens = max(1, sum(engine.count_tokens(t) for _, t in carried))
    return {
        "id": new_id("resp"), "object": "response.compaction", "created_at": int(time.time()),
        "output": [*kept, item],
        "usage": {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                  "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                  "total_tokens": input_tokens + output_tokens},
    }
