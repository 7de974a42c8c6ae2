"""results.json: one record per case of a run, built from test reports only
(outcome + user properties), so an xdist controller gets the same file as a
single process. Regression diffs and the matrix are made from it."""

from __future__ import annotations

import json
import time
from pathlib import Path

from .. import __version__
from .compat import judged, summarize as summarize_clients
from .coverage import Exercised, summarize
from .printable import json_text
from .rootcause import root_causes

# known: every failure of the case is one the profile declares under
# known_deviations (each failure then carries `known`); it does not fail the run.
OUTCOMES = ("passed", "failed", "skipped", "flaky", "xfailed", "xpassed", "error", "known")


class ResultsCollector:
    def __init__(self):
        self.cases: dict[str, dict] = {}
        self.deviations: dict[str, dict] = {}  # rule -> the declaration, and the cases that showed it
        self.started = time.time()
        self.exercised = Exercised()  # the cases' `coverage` properties, added up
        self.rootpath: Path | None = None  # node ids are relative to it (set at session start)

    def add(self, report) -> None:
        props = dict(report.user_properties)
        name = props.get("case_name")
        if name is None:
            return
        record = self.cases.setdefault(name, {
            "id": props.get("case_id"), "name": name, "area": props.get("area"), "feature": props.get("feature"),
            "model": None, "endpoint": None, "outcome": None, "flaky": False, "retries": 0, "duration": 0.0,
            "failures": [], "skip_reason": None, "transcript": None, "rejected": False})
        duration = report.duration or 0.0
        if report.when == "call" and props.get("case_seconds"):
            duration = float(props["case_seconds"])  # the case's own time, not the wait for its turn
        record["duration"] = round(record["duration"] + duration, 6)
        for key in ("model", "endpoint", "transcript"):
            if props.get(key):
                record[key] = props[key]
        if props.get("retries"):
            record["retries"] = int(props["retries"])
        record["flaky"] = props.get("flaky") == "true"
        record["rejected"] = props.get("rejected") == "true"  # passed by answering the profile's rejection
        self.exercised.add(props.get("coverage"))
        self.exercised.files.add(Path(report.nodeid.split("::", 1)[0]))
        if props.get("failures"):
            record["failures"] = json.loads(props["failures"])
        if props.get("clients") and report.when == "call":
            record["clients"] = json.loads(props["clients"])
            record["compat"] = compat_of(record["clients"])
        if props.get("deviations") and report.when == "call":
            self._add_deviations(name, json.loads(props["deviations"]))
        if report.when == "setup" and report.outcome == "skipped":
            record["outcome"] = "xfailed" if hasattr(report, "wasxfail") else "skipped"
            record["skip_reason"] = _skip_reason(report)
        elif report.when == "setup" and report.outcome == "failed":
            record["outcome"] = "error"
        elif report.when == "call":
            if hasattr(report, "wasxfail"):
                record["outcome"] = "xpassed" if report.outcome == "passed" else "xfailed"
            elif report.outcome == "passed" and props.get("known") == "true":
                record["outcome"] = "known"
            else:
                record["outcome"] = report.outcome
        elif report.when == "teardown" and report.outcome == "failed" and record["outcome"] == "passed":
            record["outcome"] = "error"

    def _add_deviations(self, case: str, entries: list[dict]) -> None:
        for entry in entries:
            seen = self.deviations.setdefault(entry["rule"], {
                **{k: v for k, v in entry.items() if k != "occurred"}, "cases_run": 0, "occurred_in": []})
            seen["cases_run"] += 1
            if entry.get("occurred") and case not in seen["occurred_in"]:
                seen["occurred_in"].append(case)

    def document(self, profile: str, target: str) -> dict:
        cases = sorted(self.cases.values(), key=lambda c: c["name"])
        counts = dict.fromkeys(OUTCOMES, 0)
        for case in cases:
            outcome = case["outcome"] or "error"
            counts["flaky" if outcome == "passed" and case["flaky"] else outcome] += 1
        finished = time.time()
        document = {
            "respcheck": __version__, "profile": profile, "target": target,
            "started_at": _iso(self.started), "finished_at": _iso(finished),
            "duration": round(finished - self.started, 3), "counts": counts, "cases": cases,
            # each declared deviation some case that ran could show: whether it did (none: remove it)
            "known_deviations": [{**entry, "occurred_in": sorted(entry["occurred_in"])}
                                 for _, entry in sorted(self.deviations.items())],
        }
        document["root_causes"] = root_causes(document)
        if judged(document):
            document["clients"] = summarize_clients(document)
        files = [self.rootpath / f if self.rootpath is not None else f for f in sorted(self.exercised.files)]
        document["coverage"] = summarize(self.exercised.names, case_files=[f for f in files if f.is_file()])
        return document

    def write(self, directory: Path, document: dict) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "results.json"
        path.write_text(json_text(json.dumps(document, indent=2, ensure_ascii=False)) + "\n", encoding="utf-8")
        return path


def compat_of(clients: dict) -> str:
    """A case's compat verdict: `fail` when a real client breaks on an answer
    or reads it otherwise than the suite did, else `pass` (the strict verdict
    is the outcome, as always)."""
    bad = {"breaks", "differs"}
    return "fail" if any(isinstance(v, dict) and v.get("verdict") in bad for v in clients.values()) else "pass"


def _skip_reason(report) -> str | None:
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return None


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
