"""Command-line values are checked before any request, each problem one line
(exit 4, pytest's usage error), never an INTERNALERROR or a traceback after
the run."""

from __future__ import annotations

import pytest

from respcheck.option_checks import OptionError, parse_headers
from scripted_server import ScriptedServer

CASE = """\
id: demo.pong
title: PONG
models: [text]
requires: [responses.text]
request:
  body: {model: "{{model}}", input: "Reply with exactly: PONG"}
expect:
  status: 200
"""
PROFILE = ("name: plain\nmodels: {text: m}\ncapabilities: {responses.text: supported}\n"
           "settings: {routing_metadata_source: none}\n")


@pytest.fixture
def sandbox(pytester):
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (pytester.path / "cases" / "demo").mkdir(parents=True)
    (pytester.path / "cases" / "demo" / "d.yaml").write_text(CASE)
    (pytester.path / "plain.yaml").write_text(PROFILE)
    return pytester


def run_against_script(pytester, *args):
    """Run against a server that counts requests: a usage error must send none."""
    with ScriptedServer([(200, {}, {})]) as server:
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--base-url", server.base_url,
                                              "--profile", str(pytester.path / "plain.yaml"), *args)
        assert server.calls == 0
    return result


@pytest.mark.parametrize("args, line", [
    (["--header", "X-Note: caf\u00e9"],
     "--header X-Note: the value holds non-ASCII ('\u00e9'); header values are printable ASCII (percent-encode it)"),
    (["--header", "X Tenant: a"], "--header 'X Tenant: a': 'X Tenant' is not a valid header name (' ' is not allowed;*"),
    (["--header", "X-T\u00e9nant: a"], "--header*'X-T\u00e9nant' is not a valid header name*"),
    (["--header", "novalue"], "--header must look like NAME:VALUE, got 'novalue'"),
    (["--request-timeout", "0"], "--request-timeout must be a positive number of seconds, got 0"),
    (["--max-body-bytes", "0"], "--max-body-bytes must be positive, got 0"),
    (["--max-stream-bytes", "0"], "--max-stream-bytes must be positive, got 0"),
    (["--max-transport-failures", "-1"], "--max-transport-failures must be 0 or more, got -1"),
    (["--retries", "-1"], "--retries must be 0 or more, got -1"),
    (["--stream-timeout", "nan"], "--stream-timeout must be positive, got nan"),
    (["--baseline", "missing/results.json"], "--baseline: missing/results.json: no such file"),
    (["--discover-models", "m"], "--discover-models only selects models for --discover; add --discover"),
])
def test_bad_values_are_one_line_before_any_request(sandbox, args, line):
    result = run_against_script(sandbox, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: respcheck: {line}"])
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output and "INTERNALERROR" not in output


def test_malformed_baseline_and_unwritable_report_dir(sandbox):
    (sandbox.path / "old.json").write_text("{not json")
    result = run_against_script(sandbox, "--baseline", "old.json")
    result.stderr.fnmatch_lines(["ERROR: respcheck: --baseline: old.json: not valid JSON (*line 1, column 2)"])
    (sandbox.path / "afile").write_text("")
    result = run_against_script(sandbox, "--report-dir", "afile/reports")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: respcheck: --report-dir 'afile/reports': cannot write there (*)"])


def test_request_timeout_from_the_environment_is_checked_too(sandbox, monkeypatch):
    monkeypatch.setenv("RESPCHECK_REQUEST_TIMEOUT", "-3")
    result = run_against_script(sandbox)
    result.stderr.fnmatch_lines(["ERROR: respcheck: RESPCHECK_REQUEST_TIMEOUT must be a positive number of "
                                 "seconds, got -3"])


def test_discover_with_a_profile_that_declares_no_directory_sends_nothing(sandbox):
    (sandbox.path / "plain.yaml").write_text(PROFILE.replace(
        "{responses.text: supported}", "{responses.text: supported, models.directory: {absent: none here}}"))
    result = run_against_script(sandbox, "--discover")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: respcheck: --discover reads the target's model directory "
                                 "(GET /directory/models), but profile 'plain' declares it absent "
                                 "(plain.yaml:3: capability models.directory); nothing was sent"])


def test_good_values_still_run_and_reach_the_settings(sandbox):
    sandbox.makeconftest("""
        from respcheck.options import resolve
        def pytest_collection_finish(session):
            s = resolve(session.config)
            print("SETTINGS", s.max_stream_bytes, s.max_transport_failures, s.timeout, s.headers)
    """)
    result = sandbox.runpytest_inprocess("-p", "no:cacheprovider", "-s", "--max-stream-bytes", "1000",
                                         "--max-transport-failures", "0", "--request-timeout", "7",
                                         "--header", "X-Tenant: t1", "--report-dir", "")
    result.stdout.fnmatch_lines(["SETTINGS 1000 0 7.0 {'X-Tenant': 't1'}"])
    result.assert_outcomes(passed=1)


def test_header_defaults_and_legal_values():
    assert parse_headers(["X-A: 1", "x_b:two words", "X-C:"]) == {"X-A": "1", "x_b": "two words", "X-C": ""}
    with pytest.raises(OptionError, match="control character"):
        parse_headers(["X-A: a\x07b"])


def test_defaults_bound_streams_and_transport_failures():
    from respcheck.options import DEFAULT_MAX_STREAM_BYTES, RunSettings

    fields = RunSettings.__dataclass_fields__
    assert fields["max_stream_bytes"].default == DEFAULT_MAX_STREAM_BYTES == 64 * 1024 * 1024
    assert fields["max_transport_failures"].default == 3
