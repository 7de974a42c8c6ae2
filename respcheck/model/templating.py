"""``{{ name.path }}`` placeholders in case files.

A string that is only a placeholder takes the value's own type (so
``code: "{{errors.invalid_request}}"`` can become null); placeholders inside
longer strings are formatted in. Unknown names are an error, never "".
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w\-]*(?:\.[\w\-]+)*)\s*\}\}")


class TemplateError(ValueError):
    pass


def _lookup(context: dict, name: str) -> Any:
    value: Any = context
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            known = ", ".join(sorted(value)) if isinstance(value, dict) else "nothing"
            raise TemplateError(f"unknown placeholder {{{{{name}}}}}: no {part!r} (known here: {known})")
        value = value[part]
    return value


def render(value: Any, context: dict) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value.strip())
        if whole:
            return _lookup(context, whole.group(1))
        if "{{" not in value:
            return value

        def one(match: re.Match) -> str:
            found = _lookup(context, match.group(1))
            return found if isinstance(found, str) else json.dumps(found)

        return _PLACEHOLDER.sub(one, value)
    if isinstance(value, dict):
        return {render(k, context): render(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context) for v in value]
    return value
