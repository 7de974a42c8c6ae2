"""Known deviations: a profile's `known_deviations: {RULE: {reason, ticket?,
cases?}}`, matched against a case's failures.

A case whose failures all break known rules is reported as `known` and does
not fail the run; one with any other failure fails as before, its known
failures marked. Each deviation also says whether it was in scope of a case
that ran and whether it occurred there, so the end of the run can name the
declarations that no longer hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from .profile import Profile


@dataclass(frozen=True)
class KnownDeviation:
    rule: str
    reason: str
    declared_at: str  # "suites/profiles/x.yaml:12"
    ticket: str | None = None
    cases: tuple[str, ...] = ()  # case ids or names, fnmatch globs; empty: every case

    def covers_case(self, name: str, case_id: str, streamed: bool) -> bool:
        """Whether this deviation speaks for the case at all. A stream rule only
        for a case that streamed: it cannot occur elsewhere."""
        if self.rule.startswith(("stream.", "chat.stream.")) and not streamed:
            return False
        return not self.cases or any(fnmatchcase(name, p) or fnmatchcase(case_id, p) for p in self.cases)

    def as_record(self) -> dict:
        return {"rule": self.rule, "reason": self.reason, "declared_at": self.declared_at,
                **({"ticket": self.ticket} if self.ticket else {})}

    def label(self) -> str:
        ticket = f"; {self.ticket}" if self.ticket else ""
        return f"known deviation: {self.reason}{ticket} ({self.declared_at})"


def known_deviations(profile: Profile) -> list[KnownDeviation]:
    return [KnownDeviation(rule=rule, reason=entry["reason"], declared_at=profile.where(("known_deviations", rule)),
                           ticket=entry.get("ticket"), cases=tuple(entry.get("cases") or ()))
            for rule, entry in profile.known_deviations.items()]


@dataclass(frozen=True)
class Verdict:
    """What the profile's deviations make of one case's failures."""

    known: dict[int, KnownDeviation]  # index into the failures -> the deviation covering it
    in_scope: tuple[KnownDeviation, ...]  # the deviations that speak for this case
    failures: int

    @property
    def all_known(self) -> bool:
        return self.failures > 0 and len(self.known) == self.failures

    def occurred(self, deviation: KnownDeviation) -> bool:
        return any(d is deviation for d in self.known.values())


def judge(failures, deviations: list[KnownDeviation], name: str, case_id: str, streamed: bool) -> Verdict:
    in_scope = tuple(d for d in deviations if d.covers_case(name, case_id, streamed))
    by_rule = {d.rule: d for d in in_scope}
    known = {index: by_rule[f.rule] for index, f in enumerate(failures) if f.rule in by_rule}
    return Verdict(known, in_scope, len(failures))
