"""The plugin end to end: collection of YAML cases, bad input, options,
profiles, selection and masking — each run in a pytester sandbox against the
embedded reference gateway."""

from __future__ import annotations

import socket
import textwrap

import pytest

GOOD_CASE = """
id: demo.pong
title: PONG comes back
tags: [smoke, demo]
models: [text]
requires: [responses.text]
request:
  body: {model: "{{model}}", input: "Reply with exactly: PONG"}
expect:
  status: 200
  output_text: {fullmatch: "PONG"}
"""


def write_case(pytester: pytest.Pytester, relpath: str, text: str) -> None:
    path = pytester.path / "cases" / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rA",
                                        "-W", "ignore::pytest.PytestAssertRewriteWarning", *args)


def test_good_case_passes_against_embedded_gateway(pytester):
    write_case(pytester, "demo/good.yaml", GOOD_CASE)
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["respcheck: profile reference, target embedded reference gateway at http://127.0.0.1:*/v1, concurrency *"])


def test_malformed_yaml_fails_one_item_naming_file_and_line(pytester):
    write_case(pytester, "demo/good.yaml", GOOD_CASE)
    write_case(pytester, "demo/broken.yaml", """
        id: demo.broken
        title: broken
        request:
          body: {model: "x", input: "y"
        expect: {status: 200}
        """)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*cases/demo/broken.yaml:*: invalid YAML*"])
    assert "Traceback" not in result.stdout.str()


def test_schema_violation_names_line_and_rule(pytester):
    write_case(pytester, "demo/bad.yaml", """
        id: demo.bad
        title: wrong status type
        request:
          body: {model: "x", input: "y"}
        expect:
          status: "two hundred"
        """)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "cases/demo/bad.yaml:6" in out
    assert "does not follow case.schema.json" in out and "$.expect.status" in out


def test_unknown_key_and_missing_request_are_reported(pytester):
    write_case(pytester, "demo/bad.yaml", """
        id: demo.bad
        title: typo in a key
        requst:
          body: {}
        """)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*cases/demo/bad.yaml:*does not follow case.schema.json*"])


def test_duplicate_case_ids_across_files(pytester):
    write_case(pytester, "a/one.yaml", GOOD_CASE)
    write_case(pytester, "b/two.yaml", GOOD_CASE)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*case id 'demo.pong' is already used at *one.yaml:1*"])


def test_duplicate_yaml_key_is_an_error(pytester):
    write_case(pytester, "demo/dup.yaml", GOOD_CASE + "title: again\n")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*duplicate key 'title' (first at line 2)*"])


def test_missing_schema_reference_fails_the_case_with_its_name(pytester):
    write_case(pytester, "demo/ref.yaml", GOOD_CASE.replace("  status: 200", "  status: 200\n  schema: no-such.schema.json"))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*cases/demo/ref.yaml:10 (case demo.pong): expect.schema names 'no-such.schema.json'*"])
    assert "Traceback" not in result.stdout.str()


def test_broken_inline_schema_and_sequence_are_caught_at_collection(pytester):
    write_case(pytester, "demo/inline.yaml", GOOD_CASE.replace("  status: 200", "  status: 200\n  schema: {type: 12}"))
    write_case(pytester, "demo/seq.yaml", GOOD_CASE.replace("demo.pong", "demo.seq").replace(
        "  status: 200", "  status: 200\n  stream:\n    sequence: [{group: [a], repeat: '!'}]"))
    result = run(pytester)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*inline.yaml:10*expect.schema is not a valid JSON Schema*"])
    result.stdout.fnmatch_lines(["*seq.yaml:*does not follow case.schema.json*"])


def test_unknown_placeholder_is_a_template_failure(pytester):
    write_case(pytester, "demo/tpl.yaml", GOOD_CASE.replace('"{{model}}"', '"{{models.nosuchrole}}"'))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*[[]template[]] unknown placeholder {{models.nosuchrole}}*"])


def test_tags_become_marks_for_m_and_k(pytester):
    write_case(pytester, "demo/good.yaml", GOOD_CASE)
    write_case(pytester, "demo/other.yaml", GOOD_CASE.replace("demo.pong", "demo.other").replace("smoke, demo", "extra"))
    run(pytester, "-m", "smoke").assert_outcomes(passed=1, deselected=1)
    run(pytester, "-m", "not smoke").assert_outcomes(passed=1, deselected=1)
    run(pytester, "-k", "other").assert_outcomes(passed=1, deselected=1)


def test_absent_capability_is_skipped_with_reason(pytester):
    write_case(pytester, "demo/skip.yaml", GOOD_CASE.replace("responses.text]", "responses.teleport]"))
    result = run(pytester)
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*does not declare capability 'responses.teleport'*"])


def test_rejected_capability_expects_the_profile_error(pytester):
    write_case(pytester, "demo/store.yaml", """
        id: demo.store
        title: store true
        models: [text]
        requires: [responses.store]
        request:
          body: {model: "{{model}}", input: "hi", store: true}
        expect:
          status: 200
          fields: {$.store: true}
        """)
    run(pytester).assert_outcomes(passed=1)
    # The same case against a gateway that wrongly accepts store: true fails on status.
    result = run(pytester, "--reference-fault", "store_accepted")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expecting the profile's rejection: profile 'reference' rejects 'responses.store'*",
                                 "*[[]status[]] expected HTTP 400, got 200*"])


def test_model_override_and_missing_role(pytester):
    write_case(pytester, "demo/good.yaml", GOOD_CASE)
    result = run(pytester, "--model", "text=respcheck-no-such-model-0")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected HTTP 200, got 404*model_not_found*"])
    write_case(pytester, "demo/role.yaml", GOOD_CASE.replace("demo.pong", "demo.role").replace("[text]", "[teleporter]"))
    result = run(pytester, "-k", "role")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*names no model for role 'teleporter'*"])


def test_unknown_profile_is_a_usage_error(pytester):
    write_case(pytester, "demo/good.yaml", GOOD_CASE)
    result = run(pytester, "--profile", "nosuch")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown profile 'nosuch'; known profiles: *reference*"])


def test_broken_profile_names_file_and_line(pytester):
    write_case(pytester, "demo/good.yaml", GOOD_CASE)
    profile = pytester.path / "mine.yaml"
    profile.write_text("name: mine\nmodels: {text: x}\ncapabilities:\n  responses.text: maybe\n")
    result = run(pytester, "--profile", str(profile))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mine.yaml:4: does not follow profile.schema.json*responses.text*"])


def test_base_url_without_profile_is_a_usage_error(pytester):
    write_case(pytester, "demo/good.yaml", GOOD_CASE)
    result = run(pytester, "--base-url", "http://127.0.0.1:9/v1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--base-url needs --profile*"])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_target_stops_early_with_one_line(pytester):
    write_case(pytester, "demo/good.yaml", GOOD_CASE)
    port = _closed_port()
    result = run(pytester, "--base-url", f"http://127.0.0.1:{port}/v1", "--profile", "reference",
                 "--api-key", "sk-secret-do-not-print")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = result.stdout.str() + result.stderr.str()
    assert f"respcheck: cannot reach the target at http://127.0.0.1:{port}/v1" in out
    assert "sk-secret-do-not-print" not in out
    result.assert_outcomes()


def test_api_key_is_masked_in_failures_and_junit(pytester):
    secret = "sk-live-respcheck-0123456789abcdef"
    write_case(pytester, "demo/good.yaml", GOOD_CASE)
    junit = pytester.path / "junit.xml"
    result = run(pytester, "--api-key", secret, "--reference-fault", "text_empty",
                 "--header", "X-Api-Key: hdr-secret-value-42", f"--junitxml={junit}")
    result.assert_outcomes(failed=1)
    out = result.stdout.str() + result.stderr.str()
    assert "Reproduce with:" in out and "Bearer ***" in out
    assert secret not in out and "hdr-secret-value-42" not in out
    assert secret not in junit.read_text()
    shown = run(pytester, "--api-key", secret, "--reference-fault", "text_empty", "--show-secrets")
    assert secret in shown.stdout.str()


def test_profile_case_overrides_skip_and_xfail(pytester):
    write_case(pytester, "demo/good.yaml", GOOD_CASE)
    profile = pytester.path / "mine.yaml"
    profile.write_text(textwrap.dedent("""
        name: mine
        models: {text: ref-text-1}
        capabilities: {responses.text: supported}
        cases:
          demo.pong: {xfail: "known bug #12"}
        """))
    # The clean gateway passes the case, so the strict xfail reports it.
    result = run(pytester, "--profile", str(profile))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*known bug #12*"])
    result = run(pytester, "--profile", str(profile), "--reference-fault", "text_empty")
    result.assert_outcomes(xfailed=1)


def test_rules_no_fault_switch_reaches_fail_as_named(pytester):
    """capture, error.type, error.message and stream.too_long are reached
    by the case or the run's limits, not by the gateway: shown here."""
    write_case(pytester, "demo/rules.yaml", """
        - id: demo.capture
          title: a capture path that leads nowhere
          models: [text]
          steps:
            - request: {body: {model: "{{model}}", input: "Reply with exactly: PONG"}}
              capture: {nothing: $.no.such.field}
            - request: {body: {model: "{{model}}", input: "{{captured.nothing}}"}}
        - id: demo.error_fields
          title: error type and message that do not match
          request: {body: {model: respcheck-no-such-model-0, input: x}}
          expect:
            status: 404
            error: {type: invalid_request_error, message: {matches: "^never$"}}
        - id: demo.long_stream
          title: a stream longer than the run allows
          models: [text]
          request: {body: {model: "{{model}}", input: "Count from 1 to 50", stream: true}}
        """)
    result = run(pytester, "--max-stream-events", "5")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*[[]capture[]] (step step1) $.no.such.field: nothing at $.no.such.field*"])
    result.stdout.fnmatch_lines(["*[[]error.type[]] $.error.type: expected 'invalid_request_error', got 'not_found_error'*"])
    result.stdout.fnmatch_lines(["*[[]error.message[]] $.error.message: expected text that matches '^never$'*"])
    result.stdout.fnmatch_lines(["*[[]stream.too_long[]] the stream went past 5 events (--max-stream-events)*"])


def test_collect_only_fails_on_a_broken_case_file(pytester):
    write_case(pytester, "demo/good.yaml", GOOD_CASE)
    write_case(pytester, "demo/broken.yaml", "id: demo.broken\ntitle: [unclosed\n")
    result = run(pytester, "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["respcheck: cases/demo/broken.yaml:*"])
    assert "Traceback" not in result.stdout.str()
    write_case(pytester, "demo/broken.yaml", GOOD_CASE.replace("demo.pong", "demo.ping"))
    assert run(pytester, "--collect-only", "-q").ret == pytest.ExitCode.OK
