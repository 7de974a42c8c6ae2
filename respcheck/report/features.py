"""The feature-support view: for each row of the seed gateway's feature table,
did the target's cases pass, fail, or not run — printed at the end of the
session and written as JSON.

It is built from test reports only (outcome + user properties), so it also
works on the controller of a pytest-xdist run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

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
    def __init__(self):
        self.rows: dict[str, FeatureRow] = {}
        self._seen: dict[str, str] = {}
        self.cells: dict[tuple[str, str], list[str]] = defaultdict(list)  # (feature, model) -> outcomes

    def add(self, report) -> None:
        props = dict(report.user_properties)
        name = props.get("case_name")
        if name is None:
            return
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            outcome = report.outcome
            if hasattr(report, "wasxfail"):
                outcome = "failed" if report.outcome == "passed" else "skipped"  # XPASS(strict) / known failure
            self._seen[name] = outcome
            feature = props.get("feature") or f"({props.get('area', 'other')})"
            row = self.rows.setdefault(feature, FeatureRow(feature))
            getattr(row, outcome if outcome in ("passed", "failed") else "skipped").append(name)
            if outcome == "passed" and props.get("rejected") == "true":
                row.rejected.append(name)
            if outcome == "skipped" and isinstance(report.longrepr, tuple):
                row.skip_reasons.add(str(report.longrepr[2]).removeprefix("Skipped: "))
            if props.get("model"):
                row.models.add(props["model"])
                self.cells[(feature, props["model"])].append(outcome)

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

    def models(self) -> list[str]:
        return sorted({model for _, model in self.cells})

    def cell(self, feature: str, model: str) -> str:
        outcomes = self.cells.get((feature, model), [])
        if not outcomes:
            return "-"
        if "failed" in outcomes:
            return "FAIL"
        return "ok" if "passed" in outcomes else "skip"

    def matrix_lines(self) -> list[str]:
        """Feature x model, for runs that touched several models (--discover)."""
        models = self.models()
        features = [r.feature for r in self.ordered() if any((r.feature, m) in self.cells for m in models)]
        if len(models) < 2 or not features:
            return []
        width = max(len(f) for f in features)
        cols = [max(len(m), 4) for m in models]
        lines = [" " * width + "  " + "  ".join(m.ljust(c) for m, c in zip(models, cols))]
        for feature in features:
            lines.append(feature.ljust(width) + "  " + "  ".join(self.cell(feature, m).ljust(c)
                                                                for m, c in zip(models, cols)))
        return lines

    def to_json(self, profile: str, target: str) -> dict:
        return {
            "profile": profile, "target": target,
            "features": [{"feature": r.feature, "status": r.status, "in_seed_table": r.feature in SEED_FEATURES,
                          "passed": r.passed, "failed": r.failed, "skipped": r.skipped,
                          "rejected_as_declared": r.rejected, "skip_reasons": sorted(r.skip_reasons),
                          "models": sorted(r.models)} for r in self.ordered()],
            "matrix": {f"{feature} @ {model}": self.cell(feature, model) for feature, model in sorted(self.cells)},
        }

    def write(self, directory: Path, profile: str, target: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "feature-support.json"
        path.write_text(json.dumps(self.to_json(profile, target), indent=2) + "\n", encoding="utf-8")
        return path


def counts(view: FeatureView) -> dict[str, int]:
    tally: dict[str, int] = defaultdict(int)
    for row in view.ordered():
        tally[row.status] += 1
    return dict(tally)
