"""The feature-support view: for each row of the seed gateway's feature table,
did the target's cases pass, fail, or not run — printed at the end of the
session and written as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

# A case's outcome as the view counts it: an xpassed known failure counts as a
# failure (the profile's xfail entry is out of date), an xfailed one as skipped.
_OUTCOME = {"passed": "passed", "flaky": "passed", "failed": "failed", "error": "failed", "xpassed": "failed",
            "skipped": "skipped", "xfailed": "skipped", "known": "skipped"}  # known: the profile's known_deviations

# The rows of the seed page's feature table, in its order.
SEED_FEATURES = (
    "Text completions", "Streaming", "Tool calling", "Structured output", "Vision", "Multi-model routing",
    "Prompt caching", "Token logprobs", "Reasoning", "store", "previous_response_id", "File/audio inputs",
    "Background execution",
)


@dataclass
class FeatureRow:
    feature: str
    passed: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    rejected: list = field(default_factory=list)  # passed by answering the profile's rejection
    skip_reasons: set = field(default_factory=set)
    models: set = field(default_factory=set)

    @property
    def status(self) -> str:
        if self.failed:
            return "failed"
        if self.passed:
            return "rejected as declared" if len(self.rejected) == len(self.passed) else "passed"
        if self.skipped:
            return "skipped"
        return "not run"


class FeatureView:
    """Built from a run's results document (results.json), so the view, the
    matrix and the regression diff all read the same records."""

    def __init__(self):
        self.rows: dict[str, FeatureRow] = {}

    @classmethod
    def from_results(cls, document: dict) -> "FeatureView":
        view = cls()
        for case in document.get("cases", []):
            view.add(case)
        return view

    def add(self, case: dict) -> None:
        outcome = _OUTCOME.get(case.get("outcome") or "error", "failed")
        feature = case.get("feature") or f"({case.get('area') or 'other'})"
        row = self.rows.setdefault(feature, FeatureRow(feature))
        getattr(row, outcome).append(case["name"])
        if outcome == "passed" and case.get("rejected"):
            row.rejected.append(case["name"])
        if outcome == "skipped" and case.get("skip_reason"):
            row.skip_reasons.add(case["skip_reason"])
        if case.get("model"):
            row.models.add(case["model"])

    def ordered(self) -> list[FeatureRow]:
        seed = [self.rows.get(f, FeatureRow(f)) for f in SEED_FEATURES]
        others = [row for name, row in sorted(self.rows.items()) if name not in SEED_FEATURES]
        return seed + others

    def lines(self) -> list[str]:
        out = []
        width = max(len(r.feature) for r in self.ordered())
        for row in self.ordered():
            counts = f"{len(row.passed)} passed, {len(row.failed)} failed, {len(row.skipped)} skipped"
            note = ""
            if row.status == "skipped" and row.skip_reasons:
                note = f"  ({sorted(row.skip_reasons)[0]})"
            elif row.failed:
                note = f"  (failing: {', '.join(row.failed[:3])}{' …' if len(row.failed) > 3 else ''})"
            out.append(f"{row.feature:<{width}}  {row.status:<20} {counts}{note}")
        return out

    def to_json(self, profile: str, target: str) -> dict:
        return {
            "profile": profile, "target": target,
            "features": [{"feature": r.feature, "status": r.status, "in_seed_table": r.feature in SEED_FEATURES,
                          "passed": r.passed, "failed": r.failed, "skipped": r.skipped,
                          "rejected_as_declared": r.rejected, "skip_reasons": sorted(r.skip_reasons),
                          "models": sorted(r.models)} for r in self.ordered()],
        }

    def write(self, directory: Path, profile: str, target: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "feature-support.json"
        path.write_text(json.dumps(self.to_json(profile, target), indent=2) + "\n", encoding="utf-8")
        return path
