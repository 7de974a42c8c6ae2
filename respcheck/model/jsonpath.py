"""The small JSON path dialect cases use: ``$.output[0].content[-1].text``.

Dotted keys and integer indexes only; enough to name a place in a body and to
print it back in a failure, without a dependency.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"\.([A-Za-z_][\w\-]*)|\[(-?\d+)\]|\[['\"]([^'\"]+)['\"]\]")
MISSING = object()  # a path that leads nowhere (distinct from a JSON null)


class PathSyntaxError(ValueError):
    pass


def parse(path: str) -> tuple:
    if not path.startswith("$"):
        raise PathSyntaxError(f"JSON path must start with '$': {path!r}")
    parts: list = []
    pos = 1
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if not match:
            raise PathSyntaxError(f"cannot read JSON path {path!r} at {path[pos:]!r}")
        key, index, quoted = match.groups()
        parts.append(int(index) if index is not None else (key if key is not None else quoted))
        pos = match.end()
    return tuple(parts)


def get(document: Any, path: str | tuple) -> Any:
    """The value at `path`, or MISSING."""
    parts = parse(path) if isinstance(path, str) else path
    value = document
    for part in parts:
        if isinstance(part, int):
            if not isinstance(value, list) or not -len(value) <= part < len(value):
                return MISSING
            value = value[part]
        else:
            if not isinstance(value, dict) or part not in value:
                return MISSING
            value = value[part]
    return value


def render(parts) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
