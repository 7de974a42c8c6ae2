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


OPERATORS = ("equals", "matches", "fullmatch", "contains", "icontains", "in", "type", "present",
             "gt", "gte", "lt", "lte", "length", "json", "not", "any_of")


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _templated(value: Any) -> bool:
    # Filled in when the case runs (captures, matrix values): checked then.
    return isinstance(value, str) and "{{" in value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def problems(spec: Any, where: tuple = ()) -> list[tuple[tuple, str]]:
    """What is wrong with a matcher before any answer is seen: (path inside the
    spec, message) pairs. Templated operands are left to run time."""
    if not isinstance(spec, dict):
        return []
    found: list[tuple[tuple, str]] = []
    for op, arg in spec.items():
        at = where + (op,)
        if op not in OPERATORS:
            from difflib import get_close_matches
            near = get_close_matches(str(op), OPERATORS, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else f" (known: {', '.join(OPERATORS)})"
            found.append((at, f"unknown matcher operator {op!r}{hint}"))
        elif _templated(arg) and op not in ("not", "any_of"):
            continue
        elif op in ("matches", "fullmatch"):
            if not isinstance(arg, str):
                found.append((at, f"`{op}` takes a regular expression (a string), got {describe(arg)}"))
                continue
            try:
                _regex(arg)
            except re.error as exc:
                found.append((at, f"`{op}` regex {arg!r} does not compile: {exc}"))
        elif op in ("contains", "icontains") and not isinstance(arg, str):
            found.append((at, f"`{op}` takes a string, got {describe(arg)}"))
        elif op == "type" and arg not in _JSON_TYPES:
            found.append((at, f"`type` must be one of {', '.join(_JSON_TYPES)}, got {describe(arg)}"))
        elif op in ("present", "json") and not isinstance(arg, bool):
            found.append((at, f"`{op}` takes true or false, got {describe(arg)}"))
        elif op == "in" and not isinstance(arg, list):
            found.append((at, f"`in` takes a list of values, got {describe(arg)}"))
        elif op in ("gt", "gte", "lt", "lte") and not _is_number(arg):
            found.append((at, f"`{op}` takes a number, got {describe(arg)}"))
        elif op == "length" and not (isinstance(arg, int) and not isinstance(arg, bool) and arg >= 0):
            found.append((at, f"`length` takes a whole number >= 0, got {describe(arg)}"))
        elif op == "not":
            found += problems(arg, at)
        elif op == "any_of":
            if not isinstance(arg, list) or not arg:
                found.append((at, f"`any_of` takes a non-empty list of matchers, got {describe(arg)}"))
                continue
            for index, option in enumerate(arg):
                found += problems(option, at + (index,))
    return found


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


def _first_difference(want: Any, got: Any, where: str = "") -> tuple[str, Any, Any] | None:
    """Where two unequal JSON values first part (a JSON-path suffix), and the two values there."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key in list(want) + [k for k in got if k not in want]:
            if key not in got or key not in want:
                return f"{where}.{key}", want.get(key, MISSING), got.get(key, MISSING)
            found = _first_difference(want[key], got[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(want, list) and isinstance(got, list):
        for index, (a, b) in enumerate(zip(want, got)):
            found = _first_difference(a, b, f"{where}[{index}]")
            if found:
                return found
        if len(want) != len(got):
            return f"{where} (length)", len(want), len(got)
        return None
    return None if _equal(want, got) else (where, want, got)


def _unequal(want: Any, got: Any) -> str:
    """`expected X, got Y`; for two containers, where they first part, so a long value's difference is seen."""
    if isinstance(want, (dict, list)) and type(want) is type(got):
        found = _first_difference(want, got)
        if found and found[0]:
            where, a, b = found
            return f"at {where.lstrip('.')}: expected {describe(a)}, got {describe(b)}"
    return f"expected {describe(want)}, got {describe(got)}"


def mismatch(spec: Any, value: Any) -> str | None:
    if not isinstance(spec, dict):
        if value is MISSING or not _equal(value, spec):
            return _unequal(spec, value) if value is not MISSING else f"expected {describe(spec)}, got {describe(value)}"
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
        return None if _equal(value, arg) else _unequal(arg, value)
    if op == "in":
        return None if any(_equal(value, a) for a in arg) else f"expected one of {describe(arg)}, got {got}"
    if op == "type":
        return None if _is_type(value, arg) else f"expected a JSON {arg}, got {got}"
    if op in ("matches", "fullmatch", "contains", "icontains", "json"):
        if not isinstance(value, str):
            return f"expected a string ({op} {describe(arg)}), got {got}"
        if op in ("matches", "fullmatch"):
            try:
                regex = _regex(arg)
            except (re.error, TypeError) as exc:  # a templated operand only shows it now
                return f"the case's `{op}` regex {arg!r} does not compile: {exc}"
            ok = (regex.search(value) if op == "matches" else regex.fullmatch(value.strip())) is not None
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
        if not _is_number(arg):  # a placeholder that filled in as something else
            return f"the case's `{op}` operand must be a number, got {describe(arg)}"
        if not _is_type(value, "number"):
            return f"expected a number ({op} {arg}), got {got}"
        ok = {"gt": value > arg, "gte": value >= arg, "lt": value < arg, "lte": value <= arg}[op]
        return None if ok else f"expected a number {op} {arg}, got {got}"
    if op == "length":
        if not isinstance(value, (str, list, dict)):
            return f"expected something with a length, got {got}"
        return None if len(value) == arg else f"expected length {arg}, got {len(value)} ({got})"
    return f"unknown matcher operator {op!r}"
