"""Running the suite's own cases in-process against the reference gateway, and
reading back each case's outcome: shared by the fault and silent-drop tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    outcome: str
    rules: set
    statuses: list
    text: str
    streamed: bool = False
    output_types: tuple = ()
    endpoint: str = ""  # of the last step, e.g. "POST /responses"
    file: str = ""  # the case file, relative to the repository: cases/streaming/text.yaml
    clients: dict | None = None  # the client verdicts (--clients), by client name


def run_suite(pytester: pytest.Pytester, repo, *args: str, paths: tuple[str, ...] = ("cases",)) -> dict[str, Outcome]:
    """Outcomes by case name. No idle timeout of its own: a stream that pauses on a loaded machine is not
    a stall (only the stream_stall run sets one, of a few seconds). No client verdicts unless asked
    (`--clients ...`): they never change an outcome, and tests/test_clients.py runs them."""
    if not any(str(arg).startswith("--clients") for arg in args):
        args = (*args, "--clients", "none")
    result = pytester.runpytest_inprocess(
        *(str(repo / path) for path in paths), "-p", "no:cacheprovider", "-q", "--rootdir", str(repo),
        "-W", "ignore::pytest.PytestAssertRewriteWarning", *args)
    outcomes: dict[str, Outcome] = {}
    for report in result.reprec.getreports("pytest_runtest_logreport"):
        props = dict(report.user_properties)
        case_id = props.get("case_name")
        if case_id is None:
            raise AssertionError(f"an item that is not a case ran: {report.nodeid}: {report.longreprtext}")
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            if report.outcome == "skipped":
                props.setdefault("http_statuses", "")
            outcomes[case_id] = Outcome(
                outcome=report.outcome,
                rules=set(filter(None, props.get("failed_rules", "").split(","))),
                statuses=[int(s) for s in props.get("http_statuses", "").split(",") if s],
                text=report.longreprtext, streamed=props.get("streamed") == "true",
                output_types=tuple(filter(None, props.get("output_types", "").split(","))),
                file=report.nodeid.split("::")[0],
                clients=json.loads(props["clients"]) if props.get("clients") else None,
                endpoint=props.get("endpoint", ""))
    return outcomes
