"""Logical endpoints: what a case step calls, as method + path template.

A step's path is written with placeholders ("/models/{{model}}",
"/responses/{{captured.id}}/input_items"); a segment holding one becomes
`{id}`, so every model and every stored response is the same endpoint,
"GET /models/{id}". A literal id written into a path ("/models/no-such-model")
is folded into the template it fits by `fold`, once the templates are known.
"""

from __future__ import annotations

import re
from typing import Iterable

_PLACEHOLDER = re.compile(r"\{\{.*?\}\}")
ID = "{id}"


def step_endpoint(request: dict) -> str:
    """"POST /responses" for a step's request as the case file writes it (unrendered)."""
    method = request.get("method") or ("POST" if "body" in request or "raw_body" in request else "GET")
    return f"{str(method).upper()} {path_template(str(request.get('path', '/responses')))}"


def path_template(path: str) -> str:
    path = path.split("?", 1)[0].rstrip("/") or "/"
    segments = [ID if _PLACEHOLDER.search(s) else s for s in path.split("/")]
    return "/".join(segments)


def _fits(literal: list[str], template: list[str]) -> bool:
    return len(literal) == len(template) and all(t == ID or t == s for s, t in zip(literal, template))


def fold(endpoints: Iterable[str]) -> dict[str, str]:
    """Each endpoint → the one it counts as: a literal path that fits a template
    with `{id}` segments (same method, same length, the other segments equal)
    counts as that template; everything else as itself."""
    names = set(endpoints)
    templates = [name.split(" ", 1) for name in names if ID in name]
    folded = {}
    for name in names:
        method, _, path = name.partition(" ")
        segments = path.split("/")
        fitting = sorted(f"{m} {t}" for m, t in templates
                         if m == method and f"{m} {t}" != name and _fits(segments, t.split("/")))
        # The most literal fitting template: "/models/{id}/x" before "/{id}/{id}/x".
        folded[name] = min(fitting, key=lambda t: (t.count(ID), t)) if fitting and ID not in path else name
    return folded
