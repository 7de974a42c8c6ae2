"""What one case run exercised of the contract, as the `coverage` user property.

Computed on the process that ran the case (an xdist worker or the single
process) and carried as compact JSON, so the controller adds up the same sets
either way. Everything sent or received counts, whether the case passed or
not: coverage says what the target was asked and what it answered with, not
whether it answered right. The sets are raw here (a field outside the
request schema, an unknown event type); report/coverage.py keeps what the
catalogue knows.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..model.endpoints import step_endpoint

if TYPE_CHECKING:
    from ..model.profile import Profile
    from .runner import CaseRun

RESPONSES = "POST /responses"  # the request whose body fields are counted


def case_coverage(run: "CaseRun", profile: "Profile") -> str:
    """The property's value: {area: [names]}, leaving out the areas with nothing exercised."""
    return json.dumps({area: sorted(names) for area, names in exercised(run, profile).items() if names},
                      separators=(",", ":"), sort_keys=True)


def exercised(run: "CaseRun", profile: "Profile") -> dict[str, set[str]]:
    found: dict[str, set[str]] = {area: set() for area in
                                  ("endpoints", "request_fields", "stream_events", "output_items", "error_codes")}
    canonical = {str(target): name for name, target in (getattr(profile, "error_codes", None) or {}).items()}
    for step_run in run.steps:
        exchange = step_run.exchange
        if exchange is None:
            continue
        endpoint = step_endpoint(step_run.step.request)
        found["endpoints"].add(endpoint)
        if endpoint == RESPONSES:
            found["request_fields"] |= body_fields(exchange.request_json)
        stream = step_run.stream
        found["stream_events"] |= set(getattr(stream, "event_types", ()) or ())
        body = stream.terminal if exchange.streamed and stream is not None else _answer(exchange)
        found["output_items"] |= _output_types(body)
        failed = exchange.status is not None and exchange.status >= 400
        codes = [_error_code(_answer(exchange))] if failed and not exchange.streamed else []
        if getattr(stream, "error_event", None) is not None:
            codes.append(_error_code(stream.error_event))
        found["error_codes"] |= {canonical.get(code, code) for code in codes if code}
    return found


def body_fields(body: Any) -> set[str]:
    """Top-level keys, and one level down as "text.format" for object values."""
    if not isinstance(body, dict):
        return set()
    fields = set()
    for key, value in body.items():
        fields.add(str(key))
        if isinstance(value, dict):
            fields |= {f"{key}.{sub}" for sub in value}
    return fields


def _answer(exchange) -> Any:
    if exchange.status is None:
        return None
    body = exchange.json
    return body if isinstance(body, dict) else None


def _output_types(body: Any) -> set[str]:
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, list):
        return set()
    return {item["type"] for item in output if isinstance(item, dict) and isinstance(item.get("type"), str)}


def _error_code(body: Any) -> str | None:
    """error.code of an error envelope or stream error event (flat or nested)."""
    if not isinstance(body, dict):
        return None
    error = body.get("error") if isinstance(body.get("error"), dict) else body
    code = error.get("code")
    return code if isinstance(code, str) and code else None
