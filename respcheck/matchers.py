"""Loose matchers for values in a body: equality, regex, ranges, types.

A matcher is a plain value (equal) or a mapping of operators that must all
hold. `mismatch` returns None when the value matches, else a short reason
that reads well after the path (``expected 'PONG', got 'pong!'``).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from .jsonpath import MISSING

_JSON_TYPES = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "null": (type(None),), "object": (dict,), "array": (list,),
}


def describe(value: Any, limit: int = 120) -> str:
    if value is MISSING:
        return "nothing (the field is missing)"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _JSON_TYPES[name])


def _equal(a: Any, b: Any) -> bool:
    # JSON does not tell 1 from True; a conformance check must.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def mismatch(spec: Any, value: Any) -> str | None:
    if not isinstance(spec, dict):
        if value is MISSING or not _equal(value, spec):
            return f"expected {describe(spec)}, got {describe(value)}"
        return None
    for op, arg in spec.items():
        reason = _check(op, arg, value)
        if reason:
            return reason
    return None


def _check(op: str, arg: Any, value: Any) -> str | None:
    got = describe(value)
    if op == "present":
        present = value is not MISSING
        if present != arg:
            return f"expected the field to be {'present' if arg else 'absent'}, got {got}"
        return None
    # Combinators see a missing field too: {any_of: [null, {present: false}]}.
    if op == "not":
        return None if mismatch(arg, value) else f"expected not {describe(arg)}, got {got}"
    if op == "any_of":
        reasons = [mismatch(a, value) for a in arg]
        return None if any(r is None for r in reasons) else "; or ".join(r for r in reasons if r)
    if value is MISSING:
        return f"expected a value ({op} {describe(arg)}), got {got}"
    if op == "equals":
        return None if _equal(value, arg) else f"expected {describe(arg)}, got {got}"
    if op == "in":
        return None if any(_equal(value, a) for a in arg) else f"expected one of {describe(arg)}, got {got}"
    if op == "type":
        return None if _is_type(value, arg) else f"expected a JSON {arg}, got {got}"
    if op in ("matches", "fullmatch", "contains", "icontains", "json"):
        if not isinstance(value, str):
            return f"expected a string ({op} {describe(arg)}), got {got}"
        if op == "matches":
            ok = _regex(arg).search(value) is not None
        elif op == "fullmatch":
            ok = _regex(arg).fullmatch(value.strip()) is not None
        elif op == "contains":
            ok = arg in value
        elif op == "icontains":
            ok = arg.casefold() in value.casefold()
        else:
            try:
                json.loads(value)
                ok = bool(arg)
            except ValueError:
                ok = not arg
            return None if ok else f"expected {'' if arg else 'no '}JSON text, got {got}"
        return None if ok else f"expected text that {op} {arg!r}, got {got}"
    if op in ("gt", "gte", "lt", "lte"):
        if not _is_type(value, "number"):
            return f"expected a number ({op} {arg}), got {got}"
        ok = {"gt": value > arg, "gte": value >= arg, "lt": value < arg, "lte": value <= arg}[op]
        return None if ok else f"expected a number {op} {arg}, got {got}"
    if op == "length":
        if not isinstance(value, (str, list, dict)):
            return f"expected something with a length, got {got}"
        return None if len(value) == arg else f"expected length {arg}, got {len(value)} ({got})"
    return f"unknown matcher operator {op!r}"
