"""Up-front checks of an `expect` block (a case's, or a profile's override):
every matcher operand that can be judged before an answer arrives, so that a
bad regex is one line at collection naming file and line, not a failure (or
worse) at run time."""

from __future__ import annotations

from typing import Any, Iterator

from .jsonpath import PathSyntaxError, parse as parse_path
from .matchers import problems


def _matchers(expect: dict) -> Iterator[tuple[tuple, Any]]:
    """(path inside expect, matcher) for every place expect holds a matcher."""
    if "content_type" in expect:
        yield ("content_type",), expect["content_type"]
    if "output_text" in expect:
        yield ("output_text",), expect["output_text"]
    for group in ("headers", "fields", "error"):
        value = expect.get(group)
        if isinstance(value, dict):
            for key, spec in value.items():
                yield (group, key), spec
    stream_error = (expect.get("stream") or {}).get("error") if isinstance(expect.get("stream"), dict) else None
    if isinstance(stream_error, dict):
        for key, spec in stream_error.items():
            yield ("stream", "error", key), spec
    output = expect.get("output")
    if isinstance(output, list):
        for index, item in enumerate(output):
            if not isinstance(item, dict):
                continue
            if "text" in item:
                yield ("output", index, "text"), item["text"]
            if isinstance(item.get("where"), dict):
                for key, spec in item["where"].items():
                    yield ("output", index, "where", key), spec


def expect_problems(expect: Any) -> list[tuple[tuple, str]]:
    """(path inside expect, message) for each problem found; [] when sound."""
    if not isinstance(expect, dict):
        return []
    found: list[tuple[tuple, str]] = []
    for path in expect.get("fields") or {}:
        if "{{" in path:
            continue
        try:
            parse_path(path)
        except PathSyntaxError as exc:
            found.append((("fields", path), str(exc)))
    for at, spec in _matchers(expect):
        label = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in at)[1:]
        for sub, message in problems(spec):
            found.append((at + sub, f"expect.{label}: {message}"))
    return found
