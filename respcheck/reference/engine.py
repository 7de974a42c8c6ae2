"""The deterministic "model" behind the reference gateway.

Cases ask for constrained output ("Reply with exactly: PONG"), for recall of
earlier turns ("what is my code word?"), for long answers ("Count from 1 to
2000"), for refusals, for multi-part messages and for an upstream failure, so a
few fixed rules are enough to make every such case pass against a clean gateway
and fail against a faulty one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import verbosity as verbosity_levels

DEFAULT_ANSWER = "This is the respcheck reference gateway."
UNKNOWN_CODE_WORD = "I do not know your code word."
REFUSAL = "I can't help with that."
PARTIAL_ANSWER = "Partial answer before the failure"
NO_IMAGE = "I see no image."
UPSTREAM_FAILURE_MESSAGE = "The upstream provider failed while generating the response."
MAX_COUNT = 200_000

_REPLY_EXACTLY = re.compile(r"reply with exactly:[ \t]*(.*)", re.IGNORECASE)
_ASKS_CODE_WORD = re.compile(r"what is my code word", re.IGNORECASE)
_CODE_WORD = re.compile(r"code word is (\w+)", re.IGNORECASE)
_COUNT = re.compile(r"count from 1 to (\d+)", re.IGNORECASE)
_TWO_PARTS = re.compile(r"reply in two parts:[ \t]*(.*?)[ \t]*\|\|[ \t]*(.*)", re.IGNORECASE)
_REFUSE = re.compile(r"\brefuse\b", re.IGNORECASE)
_ASKS_IMAGE = re.compile(r"\b(?:image|picture|colou?r)s?\b", re.IGNORECASE)
_UPSTREAM_FAILURE = re.compile(r"simulate an upstream failure", re.IGNORECASE)
_QUOTES = "\"'`\u201c\u201d\u2018\u2019"
_CHUNK = re.compile(r"\s*\S+\s*")

Message = tuple[str, str]  # (role, text)
Part = tuple[str, str]  # (content part type: "output_text" or "refusal", its text)


@dataclass(frozen=True)
class Reply:
    """What the model produced: content parts of one assistant message, and whether the upstream failed."""

    parts: tuple[Part, ...]
    failed: bool = False  # the upstream broke off after producing `parts`

    @property
    def text(self) -> str:
        """All parts' text joined without separator, like the SDK's `output_text` (refusals included)."""
        return "".join(text for _, text in self.parts)


def _text(*texts: str) -> Reply:
    return Reply(tuple(("output_text", text) for text in texts))


def _unquote(text: str) -> str:
    return text.strip().strip(_QUOTES).strip()


def _reply_exactly(text: str | None) -> str | None:
    """The rest of the line after "Reply with exactly:", without surrounding quotes."""
    if not text:
        return None
    match = _REPLY_EXACTLY.search(text)
    if match is None:
        return None
    return _unquote(match.group(1))


def _count(question: str) -> str | None:
    match = _COUNT.search(question)
    if match is None or not 1 <= int(match.group(1)) <= MAX_COUNT:
        return None
    return " ".join(str(number) for number in range(1, int(match.group(1)) + 1))


def last_user_index(messages: list[Message]) -> int | None:
    return max((i for i, (role, _) in enumerate(messages) if role == "user"), default=None)


def last_user_text(messages: list[Message]) -> str:
    """The text of the last user message ("" when there is none)."""
    index = last_user_index(messages)
    return "" if index is None else messages[index][1]


def reply(instructions: str | None, messages: list[Message], image: str | None = None,
          verbosity: str | None = None) -> Reply:
    """Answer a conversation; rules are tried in order, the first that applies wins.

    `image` is what the model sees in the input's image (see `vision.see`), None for nothing;
    `verbosity` is text.verbosity, which sets the length of an explanation.
    """
    exact = _reply_exactly(instructions)
    if exact is not None:
        return _text(exact)

    last_user = last_user_index(messages)
    if last_user is None:
        return _text(DEFAULT_ANSWER)
    question = messages[last_user][1]

    exact = _reply_exactly(question)
    if exact is not None:
        return _text(exact)

    if _UPSTREAM_FAILURE.search(question):
        return Reply((("output_text", PARTIAL_ANSWER),), failed=True)

    counted = _count(question)
    if counted is not None:
        return _text(counted)

    two_parts = _TWO_PARTS.search(question)
    if two_parts:
        return _text(_unquote(two_parts.group(1)), _unquote(two_parts.group(2)))

    if _REFUSE.search(question):
        return Reply((("refusal", REFUSAL),))

    if _ASKS_IMAGE.search(question):
        return _text(image or NO_IMAGE)

    explained = verbosity_levels.explanation(question, verbosity)
    if explained is not None:
        return _text(explained)

    if _ASKS_CODE_WORD.search(question):
        # The most recent earlier mention wins, whoever said it.
        for _, text in reversed(messages[:last_user]):
            found = _CODE_WORD.search(text)
            if found:
                return _text(found.group(1))
        return _text(UNKNOWN_CODE_WORD)

    return _text(DEFAULT_ANSWER)


def answer(instructions: str | None, messages: list[Message], image: str | None = None) -> str:
    """The reply as one string (see `Reply.text`)."""
    return reply(instructions, messages, image).text


def count_tokens(text: str | None) -> int:
    """Whitespace-separated words: a deterministic stand-in for a tokenizer."""
    return len(text.split()) if text else 0


def text_chunks(text: str) -> list[str]:
    """One piece per token (word), each with the whitespace after it; the pieces join back to `text`."""
    return _CHUNK.findall(text) or ([text] if text else [])


def truncate(parts: tuple[Part, ...], max_tokens: int | None) -> tuple[tuple[Part, ...], bool]:
    """Cut the parts to their first `max_tokens` tokens, dropping parts left empty; (parts, was anything cut)."""
    if max_tokens is None or sum(count_tokens(text) for _, text in parts) <= max_tokens:
        return parts, False
    kept: list[Part] = []
    budget = max_tokens
    for kind, text in parts:
        if budget <= 0:
            break
        chunks = text_chunks(text)
        kept.append((kind, "".join(chunks[:budget]).rstrip()))
        budget -= len(chunks)
    return tuple(kept), True


def usage(instructions: str | None, messages: list[Message], output_text: str, *, extra_output_tokens: int = 0,
          reasoning_tokens: int = 0, cached_tokens: int = 0) -> dict:
    """The Responses `usage` object; total_tokens is exactly input + output.

    Output tokens are the text's, plus `extra_output_tokens` (function calls) and `reasoning_tokens`.
    """
    input_tokens = count_tokens(instructions) + sum(count_tokens(text) for _, text in messages)
    output_tokens = count_tokens(output_text)
    if output_text and output_tokens == 0:
        output_tokens = 1  # whitespace-only output still cost a token
    output_tokens += extra_output_tokens + reasoning_tokens
    return {
        "input_tokens": input_tokens,
        # cache_write_tokens: newer openai SDKs (3.x) require it to validate a Response.
        "input_tokens_details": {"cached_tokens": cached_tokens, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }
