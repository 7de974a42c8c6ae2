"""What a check returns: a named rule that did not hold, and where."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    """One broken rule. `rule` is a stable name (e.g. ``usage.total``) that
    reports, fault tests and regression diffs key on; `path` is where in the
    body it broke (``$.usage.total_tokens``) or empty for the whole exchange."""

    rule: str
    message: str
    path: str = ""
    step: str = ""
    line: int | None = None  # line of the expectation in the case file, when there is one
    source: str | None = None  # "file:line" of an expectation written elsewhere (a profile's case override)

    def render(self) -> str:
        where = f" {self.path}:" if self.path else ""
        step = f" (step {self.step})" if self.step else ""
        return f"[{self.rule}]{step}{where} {self.message}"
