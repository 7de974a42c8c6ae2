"""Keeping API keys out of everything the suite prints or writes."""

from __future__ import annotations

import re

MASK = "***"
_SECRET_HEADER = re.compile(r"authorization|api[-_]?key|token|secret|cookie|password", re.IGNORECASE)


class Masker:
    """Replaces every known secret with *** (unless secrets are to be shown)."""

    def __init__(self, secrets: list[str] | tuple[str, ...] = (), show: bool = False):
        # Longest first, so a key that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self.show = show

    def text(self, value: str) -> str:
        if self.show:
            return value
        for secret in self.secrets:
            value = value.replace(secret, MASK)
        return value

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        if self.show:
            return dict(headers)
        out = {}
        for name, value in headers.items():
            if _SECRET_HEADER.search(name):
                scheme = value.split(" ", 1)[0] if " " in value else ""
                out[name] = f"{scheme} {MASK}" if scheme.lower() in ("bearer", "basic", "token") else MASK
            else:
                out[name] = self.text(value)
        return out


def secret_header_values(headers: dict[str, str]) -> list[str]:
    """Values of extra headers that look like credentials, to be masked too."""
    values = []
    for name, value in headers.items():
        if _SECRET_HEADER.search(name):
            values.append(value.split(" ", 1)[1] if " " in value else value)
    return values
