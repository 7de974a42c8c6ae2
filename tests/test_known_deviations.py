"""known_deviations: failures of a declared rule are reported as known (shown
with the reason, counted, outcome `known` in results.json) and do not fail
the run; any other failure still fails the case, its known failures marked;
a declared deviation that did not occur in the cases that could show it is
named at the end; a rule or case pattern that names nothing is an error."""

from __future__ import annotations

import json
import textwrap

import pytest
from scripted_server import ScriptedServer, response_body
from suite_runs import REPO

from respcheck.failures import Failure
from respcheck.model.catalogue import BUILTIN_CASES, build
from respcheck.model.deviations import KnownDeviation, judge
from respcheck.model.profile import load_profile
from respcheck.model.profile_check import check_profile
from respcheck.report.diff import diff_runs
from respcheck.report.features import FeatureView
from respcheck.report.matrix import build_matrix

from test_execution import ONE_CASE, TWO_STEPS, results, run, write

WRONG_USAGE = {**response_body("PONG"), "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 9}}


def declare(pytester: pytest.Pytester, block: str) -> None:
    path = pytester.path / "scripted.yaml"
    path.write_text(path.read_text(encoding="utf-8") + textwrap.dedent(block), encoding="utf-8")


USAGE_KNOWN = """\
known_deviations:
  usage.total:
    reason: counts cached tokens twice
    ticket: GW-7
"""


def test_a_case_whose_only_failure_is_known_is_reported_known_and_the_run_passes(pytester):
    write(pytester, ONE_CASE)
    declare(pytester, USAGE_KNOWN)
    with ScriptedServer([(200, {}, WRONG_USAGE)]) as server:
        result = run(pytester, server.base_url)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*1 known*"])
    result.stdout.fnmatch_lines(["*respcheck known deviations*", "exec.pong: known",
                                 "  ✗ [[]usage.total[]] $.usage.total_tokens: *",
                                 "      known deviation: counts cached tokens twice; GW-7 (scripted.yaml:6)"])
    document = results(pytester)
    (record,) = document["cases"]
    assert record["outcome"] == "known" and document["counts"]["known"] == 1 and document["counts"]["failed"] == 0
    assert record["failures"][0]["known"] == {"rule": "usage.total", "reason": "counts cached tokens twice",
                                              "ticket": "GW-7", "declared_at": "scripted.yaml:6"}
    (entry,) = document["known_deviations"]
    assert entry["occurred_in"] == ["exec.pong"] and entry["cases_run"] == 1
    assert "did not occur" not in result.stdout.str()


def test_a_case_with_another_failure_still_fails_with_its_known_failure_marked(pytester):
    write(pytester, ONE_CASE.replace("  status: 200", "  status: 200\n  output_text: PONG"))
    declare(pytester, USAGE_KNOWN)
    wrong = {**WRONG_USAGE, **{k: v for k, v in response_body("PING").items() if k == "output"}}
    with ScriptedServer([(200, {}, wrong)]) as server:
        result = run(pytester, server.base_url)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["  ✗ [[]usage.total[]]*",
                                 "      known deviation: counts cached tokens twice; GW-7 (scripted.yaml:6)",
                                 "  ✗ [[]output.text[]]*", "      expected at cases/exec/exec.yaml:9"])
    (record,) = results(pytester)["cases"]
    assert record["outcome"] == "failed"
    assert {f["rule"]: "known" in f for f in record["failures"]} == {"output.text": False, "usage.total": True}


@pytest.mark.parametrize("pattern, outcome", [("exec.p*", "known"), ("exec.pong", "known"), ("other.*", "failed")])
def test_cases_limits_a_deviation_to_matching_case_ids(pytester, pattern, outcome):
    write(pytester, ONE_CASE)
    write(pytester, TWO_STEPS.replace("exec.two_steps", "other.steps"), name="other.yaml")
    declare(pytester, USAGE_KNOWN + f"    cases: [\"{pattern}\"]\n")
    with ScriptedServer([(200, {}, WRONG_USAGE)]) as server:
        run(pytester, server.base_url, "-k", "pong")
    (record,) = [c for c in results(pytester)["cases"] if c["name"] == "exec.pong"]
    assert record["outcome"] == outcome


def test_a_deviation_that_did_not_occur_is_named_with_its_line(pytester):
    write(pytester, ONE_CASE)
    declare(pytester, USAGE_KNOWN)
    with ScriptedServer([(200, {}, response_body("PONG"))]) as server:
        result = run(pytester, server.base_url)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["known deviation usage.total (counts cached tokens twice) did not occur in this run "
                                 "(1 case(s) could show it): remove it from scripted.yaml:6"])
    (entry,) = results(pytester)["known_deviations"]
    assert entry["occurred_in"] == []


def test_a_deviation_whose_cases_did_not_run_is_not_called_stale(pytester):
    write(pytester, ONE_CASE)
    write(pytester, TWO_STEPS, name="two.yaml")
    declare(pytester, USAGE_KNOWN + "    cases: [exec.two_steps]\n")
    with ScriptedServer([(200, {}, response_body("PONG"))]) as server:
        result = run(pytester, server.base_url, "-k", "pong")
    assert "did not occur" not in result.stdout.str()
    assert results(pytester)["known_deviations"] == []


def test_an_xfail_case_with_only_known_failures_stays_xfailed(pytester):
    write(pytester, ONE_CASE)
    declare(pytester, USAGE_KNOWN + "cases:\n  exec.pong: {xfail: usage is off}\n")
    with ScriptedServer([(200, {}, WRONG_USAGE)]) as server:
        result = run(pytester, server.base_url)
    assert result.ret == pytest.ExitCode.OK
    assert results(pytester)["cases"][0]["outcome"] == "xfailed"


def test_a_known_reference_fault_keeps_the_suite_green_and_others_still_fail(pytester, tmp_path):
    profile = tmp_path / "ref.yaml"
    profile.write_text("name: refkd\nextends: reference\nknown_deviations:\n"
                       "  stream.event_line: {reason: labels content_part.added as .done}\n", encoding="utf-8")
    args = (str(REPO / "cases" / "streaming"), "-p", "no:cacheprovider", "-q", "--rootdir", str(REPO),
            "-W", "ignore::pytest.PytestAssertRewriteWarning", "-o", "asyncio_default_fixture_loop_scope=function",
            "--profile", str(profile),
            "--report-dir", str(tmp_path / "rd"))
    known = pytester.runpytest_inprocess(*args, "--reference-fault", "stream_event_line_mismatch")
    assert known.ret == pytest.ExitCode.OK
    document = json.loads((tmp_path / "rd" / "results.json").read_text(encoding="utf-8"))
    assert document["counts"]["known"] >= 3 and document["counts"]["failed"] == 0
    assert all(f["known"]["rule"] == "stream.event_line" for c in document["cases"] for f in c["failures"])
    other = pytester.runpytest_inprocess(*args, "--reference-fault", "stream_done_text_differs")
    assert other.ret == pytest.ExitCode.TESTS_FAILED  # a deviation the profile does not know still fails
    other.stdout.fnmatch_lines(["known deviation stream.event_line (labels content_part.added as .done) did not "
                                "occur in this run (* case(s) could show it): remove it from *ref.yaml:4"])


def test_stream_rules_speak_only_for_cases_that_streamed():
    deviation = KnownDeviation("stream.event_line", "r", "p.yaml:3")
    assert deviation.covers_case("a.b", "a.b", streamed=True) and not deviation.covers_case("a.b", "a.b", False)
    verdict = judge([Failure("stream.event_line", "m"), Failure("usage.total", "m")], [deviation], "a", "a", True)
    assert list(verdict.known) == [0] and not verdict.all_known and verdict.occurred(deviation)
    assert judge([], [deviation], "a", "a", True).all_known is False  # no failure: a pass, not known


def test_an_unknown_rule_or_a_pattern_matching_no_case_is_an_error(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nextends: reference\nknown_deviations:\n  stream.event_lines: {reason: x}\n"
                    "  usage.total:\n    reason: y\n    cases: [nothing.here*]\n", encoding="utf-8")
    problems = check_profile(load_profile(str(path)), build([BUILTIN_CASES]))
    assert [(p.line, p.message) for p in problems] == [
        (4, "known_deviations: no check has the rule 'stream.event_lines' (did you mean 'stream.event_line'?)"),
        (7, "known_deviations.usage.total.cases: 'nothing.here*' matches no case")]


def test_a_deviation_needs_a_reason(tmp_path):
    from respcheck.model.profile import ProfileError

    path = tmp_path / "p.yaml"
    path.write_text("name: p\nextends: reference\nknown_deviations:\n  usage.total: {ticket: GW-1}\n")
    with pytest.raises(ProfileError) as info:
        load_profile(str(path))
    assert info.value.line == 4 and "'reason' is a required property" in info.value.message


def _doc(outcome: str, known: bool = False) -> dict:
    failure = {"rule": "usage.total", "message": "m", **({"known": {"rule": "usage.total", "reason": "r"}} if known
                                                          else {})}
    return {"profile": "p", "cases": [{"name": "a.b", "id": "a.b", "area": "a", "feature": "Text completions",
                                       "model": "m", "outcome": outcome, "failures": [failure]}]}


def test_diff_matrix_and_features_treat_known_as_no_failure():
    assert diff_runs(_doc("known", True), _doc("failed")).new_failures[0].name == "a.b"  # known -> failed: regressed
    settled = diff_runs(_doc("failed"), _doc("known", True))
    assert not settled.new_failures and not settled.still_failing and settled.current_failures == 0
    matrix = build_matrix(_doc("known", True))
    assert matrix.cell("Text completions", "m").status == "skip" and not matrix.failing  # "⏭ skipped or known"
    row = FeatureView.from_results(_doc("known", True)).rows["Text completions"]
    assert row.skipped == ["a.b"] and row.failed == [] and row.status == "skipped"
