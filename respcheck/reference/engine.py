"""The deterministic "model" behind the reference gateway.

Cases ask for constrained output ("Reply with exactly: PONG") and for recall of
earlier turns ("what is my code word?"), so a few fixed rules are enough to
make every such case pass against a clean gateway and fail against a faulty one.
"""

from __future__ import annotations

import re

DEFAULT_ANSWER = "This is the respcheck reference gateway."
UNKNOWN_CODE_WORD = "I do not know your code word."

_REPLY_EXACTLY = re.compile(r"reply with exactly:[ \t]*(.*)", re.IGNORECASE)
_ASKS_CODE_WORD = re.compile(r"what is my code word", re.IGNORECASE)
_CODE_WORD = re.compile(r"code word is (\w+)", re.IGNORECASE)
_QUOTES = "\"'`\u201c\u201d\u2018\u2019"

Message = tuple[str, str]  # (role, text)


def _reply_exactly(text: str | None) -> str | None:
    """The rest of the line after "Reply with exactly:", without surrounding quotes."""
    if not text:
        return None
    match = _REPLY_EXACTLY.search(text)
    if match is None:
        return None
    return match.group(1).strip().strip(_QUOTES).strip()


def answer(instructions: str | None, messages: list[Message]) -> str:
    """Answer a conversation; rules are tried in order, the first that applies wins."""
    exact = _reply_exactly(instructions)
    if exact is not None:
        return exact

    last_user = max((i for i, (role, _) in enumerate(messages) if role == "user"), default=None)
    if last_user is None:
        return DEFAULT_ANSWER
    question = messages[last_user][1]

    exact = _reply_exactly(question)
    if exact is not None:
        return exact

    if _ASKS_CODE_WORD.search(question):
        # The most recent earlier mention wins, whoever said it.
        for _, text in reversed(messages[:last_user]):
            found = _CODE_WORD.search(text)
            if found:
                return found.group(1)
        return UNKNOWN_CODE_WORD

    return DEFAULT_ANSWER


def count_tokens(text: str | None) -> int:
    """Whitespace-separated words: a deterministic stand-in for a tokenizer."""
    return len(text.split()) if text else 0


def usage(instructions: str | None, messages: list[Message], output_text: str) -> dict:
    """The Responses `usage` object; total_tokens is exactly input + output."""
    input_tokens = count_tokens(instructions) + sum(count_tokens(text) for _, text in messages)
    output_tokens = count_tokens(output_text)
    if output_text and output_tokens == 0:
        output_tokens = 1  # whitespace-only output still cost a token
    return {
        "input_tokens": input_tokens,
        # cache_write_tokens: newer openai SDKs (3.x) require it to validate a Response.
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }
