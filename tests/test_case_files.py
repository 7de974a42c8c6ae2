"""Broken case files are found at collection, each as one line naming file,
line and reason: YAML alias bombs, cycles, deep nesting, and matcher operands
(regexes above all) that can be judged before any answer arrives."""

from __future__ import annotations

import resource
import textwrap
from pathlib import Path

import pytest

from respcheck.model.case import CaseError, load_case_file
from respcheck.model.matchers import mismatch, problems
from respcheck.model.yamlfile import YamlFileError, load_documents

HEAD = """\
id: demo.x
title: x
requires: [responses.text]
request:
  body: {model: "{{model}}", input: "x"}
"""


def write(tmp_path: Path, text: str, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(path: Path) -> CaseError:
    with pytest.raises(CaseError) as info:
        load_case_file(path)
    return info.value


BOMB = HEAD + "".join(
    f"{name}: &{name} [{', '.join([prev] * 9)}]\n"
    for name, prev in zip("abcdefghi", ['"lol"', "*a", "*b", "*c", "*d", "*e", "*f", "*g", "*h"]))


def test_alias_bomb_is_one_error_naming_the_first_alias_without_eating_memory(tmp_path):
    path = write(tmp_path, BOMB)
    assert path.stat().st_size < 1200  # the issue's 1 KB file: 9^9 values expanded
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    error = load_error(path)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert error.line == 7  # b: the first line holding an alias
    assert "aliases expand this file to more than 100,000 values" in error.render()
    assert error.render().endswith(":7: " + error.message)
    assert grown_kib < 200_000  # the walk stops at the cap; no gigabytes


def test_a_few_aliases_are_still_fine(tmp_path):
    path = write(tmp_path, """\
        id: demo.alias
        title: aliases within reason
        requires: [responses.text]
        request:
          body: &body {model: "{{model}}", input: "x"}
        expect:
          status: 200
          fields: {$.model: {present: true}}
        """)
    (case,) = load_case_file(path)
    assert case.steps[0].request["body"]["input"] == "x"


def test_recursive_alias_and_deep_nesting_are_errors_not_recursion(tmp_path):
    cyc = write(tmp_path, "id: demo.c\ntitle: c\nloop: &x [1, *x]\n", "cyc.yaml")
    error = load_error(cyc)
    assert error.line == 3 and "a YAML alias refers to a value that contains it" in error.message
    deep = write(tmp_path, "a: " + "[" * 3000 + "]" * 3000 + "\n", "deep.yaml")
    with pytest.raises(YamlFileError) as info:
        load_documents(deep)
    assert "nest" in info.value.message  # ours, or libyaml's "exceeded maximum nesting depth"


@pytest.mark.parametrize("expect, line, message", [
    ("  output_text: {matches: 'a(b'}\n", 7,
     "expect.output_text: `matches` regex 'a(b' does not compile: missing ), unterminated subpattern at position 1"),
    ("  fields:\n    $.id: {fullmatch: '[z-a]'}\n", 8, "expect.fields.$.id: `fullmatch` regex '[z-a]' does not compile"),
    ("  headers:\n    x-request-id: {not: {matches: '*'}}\n", 8, "expect.headers.x-request-id: `matches` regex '*'"),
    ("  error:\n    message: {any_of: [{contains: x}, {matches: '('}]}\n", 8, "expect.error.message: `matches`"),
    ("  output:\n    - type: message\n      text: {matches: '+'}\n", 9, "expect.output[0].text: `matches`"),
    ("  output:\n    - type: message\n      where:\n        role: {fullmatch: '(?P<'}\n", 10,
     "expect.output[0].where.role: `fullmatch`"),
    ("  stream:\n    error:\n      code: {matches: '['}\n", 9, "expect.stream.error.code: `matches`"),
    ("  content_type: {matches: ')'}\n", 7, "expect.content_type: `matches`"),
])
def test_a_regex_that_does_not_compile_is_found_at_collection(tmp_path, expect, line, message):
    error = load_error(write(tmp_path, HEAD + "expect:\n" + expect))
    assert error.line == line
    assert message in error.message
    assert "Traceback" not in error.render()


def test_a_regex_in_a_step_is_found_with_the_steps_line(tmp_path):
    path = write(tmp_path, """\
        id: demo.steps
        title: steps
        steps:
          - name: one
            request: {body: {model: m, input: x}}
          - name: two
            request: {body: {model: m, input: x}}
            expect:
              output_text: {matches: "(unclosed"}
        """)
    error = load_error(path)
    assert error.line == 9 and "does not compile" in error.message


def test_operands_the_schema_lets_through_are_checked_too():
    # The case schema admits a placeholder for `length` and the comparisons;
    # a literal must still be right, and an unknown operator gets a suggestion.
    assert problems({"length": -1}) == [(("length",), "`length` takes a whole number >= 0, got -1")]
    assert problems({"gt": True}) == [(("gt",), "`gt` takes a number, got true")]
    assert problems({"type": "str"})[0][1].startswith("`type` must be one of string, integer")
    assert problems({"machtes": "x"}) == [(("machtes",), "unknown matcher operator 'machtes' (did you mean 'matches'?)")]
    assert problems({"any_of": []})[0][1].startswith("`any_of` takes a non-empty list")
    assert problems({"not": {"in": "abc"}}) == [(("not", "in"), "`in` takes a list of values, got 'abc'")]


def test_templated_operands_wait_for_run_time_and_then_fail_as_a_reason_not_a_traceback():
    assert problems({"matches": "{{captured.pattern}}", "gt": "{{captured.n}}", "length": "{{matrix.n}}"}) == []
    # What the placeholder filled in as is judged when the case runs: one reason.
    assert mismatch({"matches": "a(b"}, "abc") == \
        "the case's `matches` regex 'a(b' does not compile: missing ), unterminated subpattern at position 1"
    assert mismatch({"gte": "ten"}, 3) == "the case's `gte` operand must be a number, got 'ten'"


def test_sound_matchers_have_no_problems():
    assert problems({"matches": r"^resp_\w+$", "type": "string", "length": 3, "gt": 0.5, "json": True,
                     "not": {"in": [1, 2]}, "any_of": [None, {"present": False}]}) == []
    assert problems("plain value") == []


def test_every_shipped_case_file_loads(repo):
    files = sorted((repo / "cases").rglob("*.yaml"))
    assert len(files) >= 10
    for file in files:
        assert load_case_file(file)


def test_a_bomb_in_cases_is_one_failed_item_and_the_rest_runs(pytester):
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (pytester.path / "cases" / "demo").mkdir(parents=True)
    (pytester.path / "cases" / "demo" / "bomb.yaml").write_text(BOMB)
    (pytester.path / "cases" / "demo" / "good.yaml").write_text(
        HEAD.replace("demo.x", "demo.good").replace('input: "x"', 'input: "Reply with exactly: PONG"')
        + "models: [text]\nexpect: {status: 200}\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--report-dir", "")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*cases/demo/bomb.yaml:7: YAML aliases expand this file to more than 100,000 values*"])
    assert "Traceback" not in result.stdout.str()
