"""Schema errors of hand-written files as one line: where, what, and for an
unknown key the nearest known one ("did you mean responses.streaming?")."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Iterable

from jsonschema.exceptions import ValidationError, best_match


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """' (did you mean X?)' or ''."""
    near = get_close_matches(str(word), sorted(set(known)), n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _unknown_keys(error: ValidationError) -> tuple[tuple, str] | None:
    """An additionalProperties failure, said about the first unknown key itself."""
    schema, instance = error.schema, error.instance
    if error.validator != "additionalProperties" or not isinstance(instance, dict):
        return None
    known = set(schema.get("properties", {}))
    extra = [k for k in instance if k not in known]
    if not extra:
        return None
    key = extra[0]
    return (tuple(error.absolute_path) + (key,),
            f"unknown key {key!r}{did_you_mean(key, known) or ' (known: ' + ', '.join(sorted(known)) + ')'}")


def _deepest(error: ValidationError) -> ValidationError:
    """Inside a oneOf/anyOf, the branch error that got furthest into the value."""
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), e.validator == "additionalProperties"))
    return error


def first_problem(errors: Iterable[ValidationError]) -> tuple[tuple, str] | None:
    """(path into the document, message) for the most telling error, or None."""
    error = best_match(errors)
    if error is None:
        return None
    for candidate in (error, _deepest(error)):
        unknown = _unknown_keys(candidate)
        if unknown:
            return unknown
    path = tuple(error.absolute_path)
    return path, error.message


def render_path(path: tuple) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
