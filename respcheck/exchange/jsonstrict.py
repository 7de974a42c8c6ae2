"""Reading a gateway's JSON strictly, the way RFC 8259 peers expect.

Python's `json` accepts what many clients refuse or read differently:
`NaN`/`Infinity`, numbers that overflow to infinity (`1e999`), and a key
given twice (the last one silently wins, other parsers keep the first). A
conformance suite must report those, and must not crash on a body nested
deeper than the interpreter can recurse. Everything here raises
`JsonError` with one readable line.
"""

from __future__ import annotations

import json
import math
from typing import Any


class JsonError(ValueError):
    """The text is not strict JSON; the message says why in one line."""


def _object(pairs: list[tuple[str, Any]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonError(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return result


def _constant(name: str) -> Any:
    raise JsonError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonError(f"the number {text[:40]} does not fit a double (it reads as {value})")
    return value


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_constant, parse_float=_float)


def loads(data: bytes | str) -> Any:
    """Parse one JSON text; JsonError for anything a strict peer would refuse."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    except UnicodeDecodeError as exc:
        raise JsonError(f"the body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise JsonError("the JSON is nested deeper than the suite reads (a hostile or broken body)") from None
    except JsonError:
        raise
    except ValueError as exc:  # json.JSONDecodeError
        raise JsonError(str(exc)) from None
