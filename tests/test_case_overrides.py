"""`cases.<id>` overrides always apply: merged deeply into a case's expect
(null removes a key, lists are replaced), reaching the steps of multi-step
cases by name; a failure of an overridden expectation cites the profile's
file:line, one of the case's own still the case file; an override naming a
case or step that does not exist is an error with file:line and a
suggestion."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from scripted_server import ScriptedServer, response_body

from respcheck.execution.runner import profile_expect
from respcheck.model.case import load_case_file
from respcheck.model.catalogue import build
from respcheck.model.profile import load_profile
from respcheck.model.profile_check import check_profile

from test_execution import ONE_CASE, TWO_STEPS, results, run, write

ERROR_CASE = """
id: exec.error
title: a bad request is refused
models: [text]
requires: [responses.text]
request:
  body: {model: "{{model}}", input: 1}
expect:
  status: 400
  error:
    type: invalid_request_error
    code: invalid_parameter_value
    param: input
"""

WITH_OUTPUT = ERROR_CASE + "  output: [{type: message}, {type: reasoning}]\n"


def error_body(**error) -> dict:
    return {"error": {"message": "no", "type": "invalid_request_error", "code": "invalid_parameter_value",
                      "param": "input", **error}}


def profile_with(pytester: pytest.Pytester, cases_block: str) -> Path:
    path = pytester.path / "scripted.yaml"
    path.write_text(path.read_text(encoding="utf-8") + textwrap.dedent(cases_block), encoding="utf-8")
    return path


def test_the_override_merges_deeply_null_removes_and_sources_say_who_wrote_what(tmp_path):
    (tmp_path / "cases").mkdir()
    case_file = tmp_path / "cases" / "c.yaml"
    case_file.write_text(textwrap.dedent(WITH_OUTPUT).lstrip(), encoding="utf-8")
    (case,) = load_case_file(case_file)
    profile_file = tmp_path / "p.yaml"
    profile_file.write_text(textwrap.dedent("""\
        name: p
        models: {text: m}
        capabilities: {responses.text: supported}
        cases:
          exec.error:
            expect:
              error:
                code: bad_input
                param: null
              output: [{type: function_call}]
        """), encoding="utf-8")
    merged, sources = profile_expect(case, case.steps[0], load_profile(str(profile_file)))
    assert merged == {"status": 400, "error": {"type": "invalid_request_error", "code": "bad_input"},
                      "output": [{"type": "function_call"}]}
    assert sources[("expect", "error", "code")].endswith("p.yaml:8")
    assert sources[("expect", "output", 0, "type")].endswith("p.yaml:10")
    assert sources[("expect", "error", "type")] is None and sources[("expect", "status")] is None
    assert sources[("expect", "error")].endswith("p.yaml:7")  # both wrote it: the profile changed it
    assert ("expect", "error", "param") not in sources
    assert case.steps[0].expect["error"]["param"] == "input"  # the case itself is untouched


def test_a_failure_of_a_deep_override_cites_the_profile_and_one_of_the_case_the_case(pytester):
    write(pytester, ERROR_CASE)
    profile_with(pytester, """\
        cases:
          exec.error:
            expect:
              error:
                code: bad_input
        """)
    with ScriptedServer([(400, {}, error_body(type="invalid_request", code="invalid_parameter_value"))]) as server:
        result = run(pytester, server.base_url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  ✗ [[]error.type[]]*", "      expected at cases/exec/exec.yaml:10",
                                 "  ✗ [[]error.code[]]*bad_input*", "      expected at scripted.yaml:9 (the profile's override)"])
    (record,) = results(pytester)["cases"]
    by_rule = {f["rule"]: f for f in record["failures"]}
    assert by_rule["error.code"]["expected_at"] == "scripted.yaml:9" and "expected_at" not in by_rule["error.type"]


def test_null_in_an_override_removes_the_case_expectation(pytester):
    write(pytester, ERROR_CASE)
    profile_with(pytester, "cases:\n  exec.error:\n    expect:\n      error: {param: null}\n")
    with ScriptedServer([(400, {}, error_body(param="body.input"))]) as server:
        result = run(pytester, server.base_url)
    result.assert_outcomes(passed=1)


def test_a_step_override_applies_and_its_failure_names_the_profile_and_step(pytester):
    write(pytester, TWO_STEPS)
    profile_with(pytester, """\
        cases:
          exec.two_steps:
            steps:
              second:
                expect:
                  output_text: {fullmatch: "TWO!"}
        """)
    with ScriptedServer([(200, {}, response_body("ONE")), (200, {}, response_body("TWO"))]) as server:
        result = run(pytester, server.base_url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  ✗ [[]output.text[]] (step second)*", "      expected at scripted.yaml:10 (the profile's override)"])


@pytest.mark.parametrize("matcher, outcome", [
    ("{icontains: two}", {"failed": 1}),  # merged: the case's fullmatch still holds too
    ("{fullmatch: null, icontains: two}", {"passed": 1}),  # the case's operator removed: relaxed
])
def test_a_step_override_merges_into_a_matcher_and_null_drops_an_operator(pytester, matcher, outcome):
    write(pytester, TWO_STEPS)
    profile_with(pytester, "cases:\n  exec.two_steps:\n    steps:\n      second:\n        expect:\n"
                           f"          output_text: {matcher}\n")
    with ScriptedServer([(200, {}, response_body("ONE")), (200, {}, response_body("two, as asked"))]) as server:
        result = run(pytester, server.base_url)
    result.assert_outcomes(**outcome)


@pytest.mark.parametrize("block, line, message", [
    ("cases:\n  exec.two_steps:\n    steps:\n      secnd: {expect: {status: 200}}\n", 9,
     "cases.exec.two_steps.steps: case 'exec.two_steps' has no step 'secnd' (did you mean 'second'?)"),
    ("cases:\n  exec.two_steps:\n    expect: {status: 200}\n", 8,
     "cases.exec.two_steps.expect: case 'exec.two_steps' has steps (first, second); "
     "override one under cases.exec.two_steps.steps.<step name>.expect"),
    ("cases:\n  exec.pong:\n    steps:\n      main: {expect: {status: 200}}\n", 8,
     "cases.exec.pong.steps: case 'exec.pong' is one request without steps; override it under cases.exec.pong.expect"),
    ("cases:\n  exec.pongg: {xfail: known}\n", 7, "cases: no case has the id 'exec.pongg' (did you mean 'exec.pong'?)"),
])
def test_an_override_that_reaches_nothing_is_an_error(tmp_path, block, line, message):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "a.yaml").write_text(textwrap.dedent(ONE_CASE).lstrip(), encoding="utf-8")
    (tmp_path / "cases" / "b.yaml").write_text(textwrap.dedent(TWO_STEPS).lstrip(), encoding="utf-8")
    profile_file = tmp_path / "p.yaml"
    profile_file.write_text("name: p\nmodels: {text: m}\ncapabilities: {responses.text: supported}\n"
                            "settings: {}\ndescription: x\n" + block, encoding="utf-8")
    (problem,) = check_profile(load_profile(str(profile_file)), build([tmp_path / "cases"]))
    assert (problem.file, problem.line, problem.message) == (profile_file, line, message)


def test_an_override_error_stops_the_run_before_any_request(pytester):
    write(pytester, TWO_STEPS)
    profile_with(pytester, "cases:\n  exec.two_steps:\n    steps:\n      thrid: {expect: {status: 200}}\n")
    with ScriptedServer([(200, {}, response_body("ONE"))]) as server:
        result = run(pytester, server.base_url)
        assert server.calls == 0
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*scripted.yaml:8: cases.exec.two_steps.steps: case 'exec.two_steps' has no step "
                                 "'thrid' (its steps: first, second)"])


def test_an_inherited_override_merges_with_the_childs_and_cites_each_file(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "c.yaml").write_text(textwrap.dedent(ERROR_CASE).lstrip(), encoding="utf-8")
    (case,) = load_case_file(tmp_path / "cases" / "c.yaml")
    (tmp_path / "parent.yaml").write_text("name: parent\nmodels: {text: m}\ncapabilities: {}\ncases:\n"
                                          "  exec.error:\n    expect:\n      error: {code: parent_code}\n")
    (tmp_path / "child.yaml").write_text("name: child\nextends: parent.yaml\ncases:\n"
                                         "  exec.error:\n    expect:\n      status: 422\n")
    merged, sources = profile_expect(case, case.steps[0], load_profile(str(tmp_path / "child.yaml")))
    assert merged["status"] == 422 and merged["error"]["code"] == "parent_code" and merged["error"]["param"] == "input"
    assert sources[("expect", "status")].endswith("child.yaml:6")
    assert sources[("expect", "error", "code")].endswith("parent.yaml:7")
