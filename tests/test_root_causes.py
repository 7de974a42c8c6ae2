"""Root causes: a run's failures grouped by rule and message shape, so one
defect shows once with its count — in results.json, the terminal, matrix.md,
matrix.html and diff.md, all from the one results document."""

from __future__ import annotations

import json
import re

import pytest

from conftest import REPO
from respcheck.report.diff import diff_runs, render_markdown as diff_markdown
from respcheck.report.matrix import build_matrix, render_html, render_markdown
from respcheck.report.rootcause import causes_of, normalize, render_text, root_causes


def case(name, outcome="failed", *failures):
    return {"name": name, "outcome": outcome,
            "failures": [{"rule": rule, "message": message, "path": path, "step": None}
                         for rule, message, path in failures]}


@pytest.mark.parametrize("message, shape", [
    ("total_tokens 10 != input_tokens 4 + output_tokens 5", "total_tokens N != input_tokens N + output_tokens N"),
    ("event #12 response.output_text.delta (sequence_number 12): sequence_number must be an integer, got None",
     "event #N: sequence_number must be an integer, got None"),
    ("event #4 response.refusal.delta (sequence_number None): $: 'sequence_number' is a required property",
     "event #N: $: 'sequence_number' is a required property"),  # a quoted field name is kept
    ("output_text: expected text that fullmatch 'PONG', got 'pong!'",
     "output_text: expected text that fullmatch '…', got '…'"),  # quoted values are folded
    ("previous_response_id resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452e3a6a5 not found",
     "previous_response_id <id> not found"),
    ("call id 3f2a9c1e-1b2c-4d5e-8f90-a1b2c3d4e5f6 unknown", "call id <id> unknown"),
    ("expected HTTP 404, got 500 after 3 tries", "expected HTTP 404, got 500 after N tries"),  # statuses stay
    ("`sequence_number` missing on 143 of 143 events, first at #0",
     "`sequence_number` missing on N of N events, first at #N"),
    ("model gpt-4o answered in 1.25 s", "model gpt-4o answered in N s"),
    ("$.id: response id 'abc123def456xyz' does not start with 'resp_'",
     "$.id: response id '…' does not start with 'resp_'"),  # an id in quotes is a value, even in lower case
    ("$.id: response id 'resp_9f8e7d6c5b4a' does not match '^resp_[0-9a-f]+$'", "$.id: response id '…' does not match '…'"),
    ("event #3 has no `event:` line", "event #N has no `event:` line"),
])
def test_normalize_folds_ids_numbers_indexes_and_values(message, shape):
    assert normalize(message) == shape


def test_grouping_counts_cases_orders_by_count_and_skips_counters():
    doc = {"cases": [
        case("a", "failed", ("usage.total", "total_tokens 6 != input_tokens 4 + output_tokens 1", "$.usage.total_tokens"),
             ("status", "expected HTTP 200, got 500", None)),
        case("b", "failed", ("usage.total", "total_tokens 9 != input_tokens 7 + output_tokens 1", "$.usage.total_tokens")),
        case("c", "error", ("stream.sequence_number", "event #4 x.delta (sequence_number None): must be an integer", None),
             ("stream.sequence_number", "event #5 x.delta (sequence_number None): must be an integer", None),
             ("stream.sequence_number", "... and 7 more event(s) broke this rule", None),
             ("usage.total", "total_tokens 1 != input_tokens 0 + output_tokens 0", "$.output[3].usage.total_tokens")),
        case("d", "passed", ("usage.total", "left over from a retry", None)),  # not a failing case
        case("e", "skipped"),
    ]}
    causes = root_causes(doc)
    assert [(c["rule"], c["cases"], c["first_case"]) for c in causes] == [
        ("usage.total", 2, "a"), ("stream.sequence_number", 1, "c"), ("status", 1, "a"), ("usage.total", 1, "c")]
    assert causes[0]["message"] == "$.usage.total_tokens: total_tokens N != input_tokens N + output_tokens N"
    assert causes[1]["failures"] == 2 and causes[1]["message"] == "event #N: must be an integer"
    assert causes[3]["message"].startswith("$.output[N].usage.total_tokens: ")
    assert causes[0]["example"] == "$.usage.total_tokens: total_tokens 6 != input_tokens 4 + output_tokens 1"
    assert root_causes({"cases": []}) == [] and root_causes({}) == []
    lines = render_text(causes)
    assert re.match(r"\s+2 cases  usage\.total\s+\$\.usage\.total_tokens: total_tokens N != .*\(first: a\)$", lines[0])
    assert len(render_text(causes, limit=2)) == 3 and "2 more root cause(s)" in render_text(causes, limit=2)[-1]


def test_a_stored_document_keeps_its_causes_and_an_old_one_gets_them_computed():
    doc = {"cases": [case("a", "failed", ("status", "expected HTTP 200, got 500", None))]}
    assert causes_of(doc)[0]["rule"] == "status"
    stored = dict(doc, root_causes=[{"rule": "x", "message": "m", "cases": 9, "first_case": "z"}])
    assert causes_of(stored)[0]["rule"] == "x"


def test_pages_show_the_root_causes():
    doc = {"profile": "p", "target": "t", "cases": [
        dict(case(f"c{i}", "failed", ("usage.total", f"total_tokens {i} != input_tokens 1 + output_tokens 1", None)),
             feature="Text completions", model="m") for i in range(4)]}
    md = render_markdown(build_matrix(doc))
    assert "### Root causes (1)" in md and "| 4 | `usage.total` | total_tokens N != input_tokens N" in md
    page = render_html(build_matrix(doc))
    assert "Root causes (1)" in page and '<td class="count">4</td>' in page and 'href="#case-1"' in page
    before = {"cases": [dict(c, outcome="passed", failures=[]) for c in doc["cases"]]}
    report = diff_markdown(diff_runs(before, doc))
    assert "### Root causes of the new failures (1)" in report and "| 4 | `usage.total` |" in report


def _real_run(pytester, fault: str, tmp_name: str):
    report_dir = pytester.path / tmp_name
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning",
                                          str(REPO / "cases"), "--rootdir", str(REPO), "--reference-fault", fault,
                                          "--report-dir", str(report_dir))
    return result, json.loads((report_dir / "results.json").read_text()), report_dir


def test_one_broad_fault_is_one_root_cause(pytester):
    result, doc, folder = _real_run(pytester, "usage_total_wrong", "usage")
    failing = [c for c in doc["cases"] if c["outcome"] in ("failed", "error")]
    assert len(failing) > 30
    assert [(c["rule"], c["cases"]) for c in doc["root_causes"]] == [("usage.total", len(failing))]
    assert doc["root_causes"] == root_causes(doc)  # one source: recomputing from the cases gives the same
    result.stdout.fnmatch_lines(["*respcheck root causes*",
                                 f"*{len(failing)} cases  usage.total  $.usage.total_tokens: total_tokens N != "
                                 f"input_tokens N + output_tokens N  (first: *"])
    assert "### Root causes (1)" in (folder / "matrix.md").read_text()
    assert "Root causes (1)" in (folder / "matrix.html").read_text()


def test_a_stream_wide_defect_is_the_expected_few_root_causes(pytester):
    _, doc, _ = _real_run(pytester, "stream_seq_missing", "seq")
    failing = {c["name"] for c in doc["cases"] if c["outcome"] in ("failed", "error")}
    causes = doc["root_causes"]
    # A missing sequence_number is named by its own rule only, in one shape whether one event or many lack it.
    assert [(c["rule"], c["cases"]) for c in causes] == [("stream.sequence_number", len(failing))]
    assert "sequence_number is missing" in causes[0]["message"]


def test_the_status_is_kept_apart_only_where_it_is_the_finding():
    def case(name, rule, message):
        return {"name": name, "id": name, "outcome": "failed", "failures": [{"rule": rule, "message": message,
                                                                             "path": ""}]}

    doc = {"cases": [case("a", "status", "expected HTTP 200, got 500"), case("b", "status", "expected HTTP 200, got 404"),
                     case("c", "error.envelope", "HTTP 400 without a JSON error envelope: the body is empty"),
                     case("d", "error.envelope", "HTTP 503 without a JSON error envelope: the body is empty")]}
    causes = {(c["rule"], c["cases"]) for c in root_causes(doc)}
    assert causes == {("status", 1), ("error.envelope", 2)} and len(root_causes(doc)) == 3
