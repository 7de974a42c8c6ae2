"""What the probes found: each profile entry with the evidence it rests on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The six error types of schemas/error.schema.json: a target answering another
# of these where a case expects one is a deviation to report, not a name to map.
STANDARD_TYPES = frozenset({"invalid_request_error", "authentication_error", "permission_error", "not_found_error",
                            "rate_limit_error", "api_error"})


@dataclass
class Entry:
    value: Any
    evidence: str


@dataclass
class Findings:
    base_url: str
    request_timeout: float
    paths: dict[str, Entry] = field(default_factory=dict)
    models: dict[str, Entry] = field(default_factory=dict)
    capabilities: dict[str, Entry] = field(default_factory=dict)
    settings: dict[str, Entry] = field(default_factory=dict)
    error_codes: dict[str, Entry] = field(default_factory=dict)
    error_types: dict[str, Entry] = field(default_factory=dict)
    accept_error_types: dict[str, Entry] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what was not probed, and why

    def cap(self, name: str, value: Any, evidence: str) -> None:
        self.capabilities.setdefault(name, Entry(value, evidence))

    def supported(self, name: str, evidence: str) -> None:
        self.cap(name, "supported", evidence)

    def absent(self, name: str, evidence: str) -> None:
        self.cap(name, {"absent": evidence}, evidence)

    def setting(self, name: str, value: Any, evidence: str) -> None:
        self.settings.setdefault(name, Entry(value, evidence))

    def error_seen(self, canonical_code: str | None, canonical_type: str | None, error: dict, evidence: str) -> None:
        """Map a canonical code (and a non-standard type) to what the target
        answered where a case expects the canonical one."""
        code = error.get("code", None) if error else None
        if canonical_code and error and code != canonical_code and (code is None or isinstance(code, str)):
            self.error_codes.setdefault(canonical_code, Entry(code, evidence))
        kind = error.get("type") if error else None
        if canonical_type and isinstance(kind, str) and kind and kind != canonical_type \
                and kind not in STANDARD_TYPES:
            self.error_types.setdefault(canonical_type, Entry(kind, evidence))
            self.accept_error_types.setdefault(kind, Entry(kind, evidence))


def rejection(answer) -> dict:
    """A `rejected:` value from an error answer (status 400-599)."""
    error = answer.error_body
    rejected: dict = {"status": answer.status}
    for key in ("type", "code", "param"):
        value = error.get(key)
        if key in error and (value is None and key != "type" or isinstance(value, str)):
            rejected[key] = value
    return {"rejected": rejected}
