"""Profiles: unknown keys and capabilities no case uses are errors with a
suggestion and a file:line; the line map stays on the Profile (for failures
from a `cases:` override); a profile can accept error types its target
legitimately sends, and without that the envelope check still fails."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from respcheck.model.catalogue import BUILTIN_CASES, build
from respcheck.checks import CheckContext
from respcheck.checks.envelope import check_error_envelope
from respcheck.exchange.client import Exchange
from respcheck.model.profile import ProfileError, available_profiles, load_profile
from respcheck.model.profile_check import check_profile

from scripted_server import ScriptedServer

BASE = """\
name: demo
models: {text: m}
capabilities:
  responses.text: supported
"""


def write(tmp_path: Path, text: str, name: str = "demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(path: Path) -> ProfileError:
    with pytest.raises(ProfileError) as info:
        load_profile(str(path))
    return info.value


@pytest.fixture(scope="module")
def catalogue():
    return build([BUILTIN_CASES])


def test_every_shipped_profile_loads_and_names_only_known_things(catalogue):
    assert len(catalogue.capabilities) > 40 and catalogue.files >= 10
    for name in available_profiles():
        assert check_profile(load_profile(name), catalogue) == [], name


def test_misspelt_capability_is_an_error_with_a_suggestion_and_line(tmp_path, catalogue):
    profile = load_profile(str(write(tmp_path, BASE + "  responses.streamingg: supported\n")))
    (problem,) = check_profile(profile, catalogue)
    assert problem.line == 5
    assert str(problem).endswith("demo.yaml:5: capability 'responses.streamingg' is required by no case "
                                 "(did you mean 'responses.streaming'?)")


def test_misspelt_model_role_is_an_error_with_a_suggestion(tmp_path, catalogue):
    profile = load_profile(str(write(tmp_path, BASE.replace("models: {text: m}", "models: {text: m, reasonig: r}"))))
    (problem,) = check_profile(profile, catalogue)
    assert (problem.line, problem.message) == (2, "models: no case uses the model role 'reasonig' "
                                                  "(did you mean 'reasoning'?)")


def test_override_for_a_case_that_does_not_exist_is_an_error(tmp_path, catalogue):
    profile = load_profile(str(write(tmp_path, BASE + "cases:\n  auth.missing_kye: {skip: not here}\n")))
    (problem,) = check_profile(profile, catalogue)
    assert (problem.line, problem.message) == (6, "cases: no case has the id 'auth.missing_kye' "
                                                  "(did you mean 'auth.missing_key'?)")


@pytest.mark.parametrize("extra, line, message", [
    ("setings: {}\n", 5, "$.setings: unknown key 'setings' (did you mean 'settings'?)"),
    ("settings:\n  done_sentinal: forbidden\n", 6,
     "$.settings.done_sentinal: unknown key 'done_sentinal' (did you mean 'done_sentinel'?)"),
    ("cases:\n  auth.missing_key: {xfial: known}\n", 6,
     "$.cases.auth.missing_key.xfial: unknown key 'xfial' (did you mean 'xfail'?)"),
    ("cases:\n  auth.missing_key:\n    expect: {statuss: 401}\n", 7,
     "$.cases.auth.missing_key.expect.statuss: unknown key 'statuss' (did you mean 'status'?)"),
    ("  responses.store:\n    rejected: {status: 400, cod: x}\n", 6, "unknown key 'cod' (did you mean 'code'?)"),
    ("  responses.tools: {absnet: why}\n", 5, "unknown key 'absnet' (did you mean 'absent'?)"),
    ("headers: {'X Tenant': a}\n", 5, "'X Tenant' does not match"),
])
def test_unknown_keys_anywhere_are_named_with_a_suggestion(tmp_path, extra, line, message):
    error = load_error(write(tmp_path, BASE + extra))
    assert error.line == line, error
    assert message in error.message, error.message
    assert "does not follow profile.schema.json" in error.message


def test_a_bad_regex_in_an_override_names_the_profile_line(tmp_path):
    error = load_error(write(tmp_path, BASE + "cases:\n  demo.x:\n    expect:\n      output_text: {matches: '(x'}\n"))
    assert error.line == 8
    assert "cases.demo.x: expect.output_text: `matches` regex '(x' does not compile" in error.message


def test_profile_keeps_its_line_map_for_overrides(tmp_path):
    path = write(tmp_path, BASE + textwrap.dedent("""\
        cases:
          auth.missing_key:
            expect:
              status: 401
              error: {type: invalid_request_error}
        """))
    profile = load_profile(str(path))
    assert profile.file == path
    assert profile.line_of(("cases", "auth.missing_key", "expect", "status")) == 8
    assert profile.line_of(("cases", "auth.missing_key", "expect", "error", "type")) == 9
    # the deepest known prefix, for a path the file does not spell out
    assert profile.source_of(("cases", "auth.missing_key", "expect", "error", "nothing")) == (path, 9)
    assert profile.where(("cases", "auth.missing_key", "expect", "status")).endswith("demo.yaml:8")


def test_the_openai_profile_cites_its_own_override_lines():
    profile = load_profile("openai")
    text = Path(profile.file).read_text().splitlines()
    line = profile.line_of(("cases", "responses.errors.unknown_model", "expect", "status"))
    assert text[line - 1].strip() == "status: 400"


# -- error types a profile accepts ------------------------------------------------------------------

def _envelope_failures(profile, error_type: str) -> list:
    body = ('{"error": {"message": "The server had an error", "type": "%s", "code": null, "param": null}}'
            % error_type).encode()
    exchange = Exchange(method="POST", url="http://h/v1/responses", request_headers={}, request_body=b"{}",
                        status=500, response_headers={"content-type": "application/json"}, body=body)
    ctx = CheckContext(exchange=exchange, expect={}, profile=profile, path="/responses")
    return check_error_envelope(ctx)


def test_openai_accepts_its_documented_error_types_and_others_still_fail():
    openai, reference = load_profile("openai"), load_profile("reference")
    for error_type in ("server_error", "insufficient_quota", "tokens"):
        assert _envelope_failures(openai, error_type) == []
        (failure,) = _envelope_failures(reference, error_type)  # without the extension: still a failure
        assert failure.rule == "error.envelope" and failure.path == "$.error.type"
        assert "accept_error_types" in failure.message
    (failure,) = _envelope_failures(openai, "made_up_error")  # the extension opens no more than it lists
    assert failure.rule == "error.envelope"
    assert _envelope_failures(openai, "invalid_request_error") == []


SERVER_ERROR_CASE = """
id: demo.server_error
title: an upstream failure is a 500 envelope
models: [text]
requires: [responses.text]
request:
  body: {model: "{{model}}", input: "x"}
expect:
  status: 500
"""


def _sandbox_profile(pytester, accept: str) -> str:
    path = pytester.path / "gw.yaml"
    path.write_text(f"name: gw\nmodels: {{text: m}}\ncapabilities: {{responses.text: supported}}\n{accept}"
                    "settings: {routing_metadata_source: none}\n")
    return str(path)


def test_accepted_error_type_end_to_end_both_ways(pytester):
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (pytester.path / "cases" / "demo").mkdir(parents=True)
    (pytester.path / "cases" / "demo" / "e.yaml").write_text(SERVER_ERROR_CASE.lstrip())
    answer = (500, {}, {"error": {"message": "The server had an error", "type": "server_error", "code": None,
                                  "param": None}})
    args = ("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning", "--report-dir", "")
    with ScriptedServer([answer]) as server:
        passing = pytester.runpytest_inprocess(*args, "--base-url", server.base_url, "--profile",
                                               _sandbox_profile(pytester, "accept_error_types: [server_error]\n"))
        passing.assert_outcomes(passed=1)
        failing = pytester.runpytest_inprocess(*args, "--base-url", server.base_url, "--profile",
                                               _sandbox_profile(pytester, ""))
    failing.assert_outcomes(failed=1)
    failing.stdout.fnmatch_lines(["*error.envelope*server_error*"])


def test_misspelt_capability_stops_the_run_before_any_request(pytester):
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (pytester.path / "cases" / "demo").mkdir(parents=True)
    (pytester.path / "cases" / "demo" / "e.yaml").write_text(SERVER_ERROR_CASE.lstrip())
    profile = pytester.path / "typo.yaml"
    profile.write_text("name: typo\nmodels: {text: m}\ncapabilities:\n  responses.text: supported\n"
                       "  responses.streamingg: supported\n")
    with ScriptedServer([(200, {}, {})]) as server:
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--base-url", server.base_url,
                                              "--profile", str(profile))
        assert server.calls == 0
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*typo.yaml:5: capability 'responses.streamingg' is required by no case "
                                 "(did you mean 'responses.streaming'?)"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_override_sources_are_keyed_like_a_steps_line_map():
    profile = load_profile("openai")
    sources = profile.override_sources("responses.errors.unknown_model")
    file, line = sources[("expect", "status")]
    assert file == profile.file and Path(file).read_text().splitlines()[line - 1].strip() == "status: 400"
    assert ("expect", "error", "code") in sources and ("skip",) not in sources
    assert profile.override_sources("no.such.case") == {}


def test_an_alias_bomb_in_a_profile_is_one_error(tmp_path):
    bomb = BASE + "".join(f"x{n}: &{n} [{', '.join([p] * 9)}]\n"
                          for n, p in zip("abcdefghi", ['"lol"', "*a", "*b", "*c", "*d", "*e", "*f", "*g", "*h"]))
    error = load_error(write(tmp_path, bomb))
    assert error.line == 6
    assert "YAML aliases expand this file to more than 100,000 values" in error.message


def test_an_error_answer_whose_body_is_not_an_object_is_an_envelope_failure_not_a_crash():
    exchange = Exchange(method="POST", url="http://h/v1/responses", request_headers={}, request_body=b"{}",
                        status=500, response_headers={"content-type": "application/json"}, body=b'["oops"]')
    failures = check_error_envelope(CheckContext(exchange=exchange, expect={}, profile=load_profile("openai"),
                                                 path="/responses"))
    assert [f.rule for f in failures] == ["error.envelope"]
