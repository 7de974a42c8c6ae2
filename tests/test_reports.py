"""What a run leaves behind: results.json, transcripts, the feature view,
the regression diff and --fail-on, retries reported as flaky, 429 waits,
xdist merging, Allure and JUnit — and never an API key in any of it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from scripted_server import ScriptedServer, response_body

SECRET = "sk-report-secret-0123456789"
CASE = """
id: demo.pong
title: PONG comes back
tags: [smoke]
feature: Text completions
models: [text]
requires: [responses.text]
request:
  body: {model: "{{model}}", input: "Reply with exactly: PONG"}
expect:
  status: 200
  output_text: {fullmatch: "PONG"}
---
id: demo.error
title: unknown model is 404
request:
  body: {model: respcheck-no-such-model-0, input: "x"}
expect:
  status: 404
"""


@pytest.fixture
def sandbox(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (pytester.path / "cases" / "demo").mkdir(parents=True)
    (pytester.path / "cases" / "demo" / "demo.yaml").write_text(textwrap.dedent(CASE).lstrip())
    return pytester


PLAIN_PROFILE = """
name: plain
models: {text: m}
capabilities: {responses.text: supported}
settings: {routing_metadata_source: none, request_id_header: null}
"""


def plain(pytester) -> str:
    path = pytester.path / "plain.yaml"
    path.write_text(textwrap.dedent(PLAIN_PROFILE).lstrip())
    return str(path)


def run(pytester, *args):
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning",
                                        "--api-key", SECRET, *args)


def results(pytester, folder="reports") -> dict:
    return json.loads((pytester.path / folder / "results.json").read_text())


def all_report_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_results_json_and_transcripts(sandbox):
    result = run(sandbox, "--reference-fault", "usage_total_wrong")
    result.assert_outcomes(passed=1, failed=1)
    doc = results(sandbox)
    assert doc["profile"] == "reference" and doc["counts"]["failed"] == 1 and doc["counts"]["passed"] == 1
    failed = next(c for c in doc["cases"] if c["outcome"] == "failed")
    assert failed["id"] == "demo.pong" and failed["feature"] == "Text completions" and failed["model"] == "ref-text-1"
    assert failed["endpoint"] == "POST /responses"
    assert [f["rule"] for f in failed["failures"]] == ["usage.total"]
    assert failed["failures"][0]["path"] == "$.usage.total_tokens"
    transcript = (sandbox.path / "reports" / failed["transcript"]).read_text()
    assert "> POST http://127.0.0.1:" in transcript and "< HTTP 200" in transcript and "usage.total" in transcript
    assert "Bearer ***" in transcript
    folder = sandbox.path / "reports"
    assert {p.name for p in folder.iterdir()} >= {"results.json", "feature-support.json", "transcripts"}
    assert SECRET.encode() not in all_report_bytes(folder)
    result.stdout.fnmatch_lines(["*respcheck feature support: profile reference*", "Text completions*failed*"])


def test_no_key_anywhere_even_when_the_gateway_echoes_it(sandbox):
    # The key in the request body (and so in transcripts, curl lines, Allure attachments) is masked too.
    (sandbox.path / "cases" / "demo" / "echo.yaml").write_text(textwrap.dedent(f"""
        id: demo.echo
        title: the key in an input
        models: [text]
        request:
          body: {{model: "{{{{model}}}}", input: "Reply with exactly: {SECRET}"}}
        expect:
          status: 201
        """))
    allure_dir = sandbox.path / "allure"
    junit = sandbox.path / "junit.xml"
    result = run(sandbox, f"--alluredir={allure_dir}", f"--junitxml={junit}")
    result.assert_outcomes(passed=2, failed=1)
    assert SECRET not in result.stdout.str() + result.stderr.str()
    for folder in (sandbox.path / "reports", allure_dir):
        assert SECRET.encode() not in all_report_bytes(folder), folder
    assert SECRET not in junit.read_text()


def test_baseline_diff_and_fail_on(sandbox):
    run(sandbox).assert_outcomes(passed=2)
    baseline = sandbox.path / "baseline.json"
    baseline.write_text((sandbox.path / "reports" / "results.json").read_text())
    regressed = run(sandbox, "--reference-fault", "text_empty", "--baseline", str(baseline), "--fail-on", "regression")
    assert regressed.ret == 1
    regressed.stdout.fnmatch_lines(["*respcheck regression diff*", "*1 new failure*"])
    assert "demo.pong" in (sandbox.path / "reports" / "diff.md").read_text()
    # Against a baseline that already failed the same way, nothing is new: exit 0 with --fail-on regression.
    baseline.write_text((sandbox.path / "reports" / "results.json").read_text())
    same = run(sandbox, "--reference-fault", "text_empty", "--baseline", str(baseline), "--fail-on", "regression")
    assert same.ret == 0
    assert run(sandbox, "--reference-fault", "text_empty", "--baseline", str(baseline)).ret == 1  # --fail-on any


def test_broken_baseline_is_a_usage_error(sandbox):
    bad = sandbox.path / "bad.json"
    bad.write_text("{not json")
    result = run(sandbox, "--baseline", str(bad))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    # checked before the run (options.resolve), so it is pytest's usage error on stderr
    result.stderr.fnmatch_lines(["*--baseline*bad.json*"])


def test_retry_on_semantic_failure_is_reported_flaky(sandbox):
    script = [(200, {}, response_body("wrong")), (200, {}, response_body("PONG"))]
    with ScriptedServer(script) as server:
        result = run(sandbox, "--base-url", server.base_url, "--profile", plain(sandbox), "-k", "pong", "--retries", "2")
    result.assert_outcomes(passed=1, deselected=1)
    case = next(c for c in results(sandbox)["cases"] if c["id"] == "demo.pong")
    assert case["flaky"] is True and case["retries"] == 1
    assert results(sandbox)["counts"]["flaky"] == 1
    with ScriptedServer(script) as server:  # without --retries the same answer fails
        run(sandbox, "--base-url", server.base_url, "--profile", plain(sandbox), "-k", "pong").assert_outcomes(
            failed=1, deselected=1)


def test_protocol_failures_are_never_retried(sandbox):
    bad_usage = response_body("PONG")
    bad_usage["usage"]["total_tokens"] = 99
    with ScriptedServer([(200, {}, bad_usage), (200, {}, response_body("PONG"))]) as server:
        result = run(sandbox, "--base-url", server.base_url, "--profile", plain(sandbox), "-k", "pong",
                     "--retries", "3")
        assert server.calls == 1
    result.assert_outcomes(failed=1, deselected=1)


def test_429_retry_after_is_waited_out_within_budget(sandbox):
    limited = (429, {"Retry-After": "0.3"}, {"error": {"message": "slow down", "type": "rate_limit_error",
                                                       "code": "rate_limit_exceeded", "param": None}})
    with ScriptedServer([limited, (200, {}, response_body("PONG"))]) as server:
        run(sandbox, "--base-url", server.base_url, "--profile", plain(sandbox), "-k", "pong").assert_outcomes(
            passed=1, deselected=1)
    with ScriptedServer([limited, (200, {}, response_body("PONG"))]) as server:
        result = run(sandbox, "--base-url", server.base_url, "--profile", plain(sandbox), "-k", "pong",
                     "--retry-after-budget", "0")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(["*expected HTTP 200, got 429*"])


def test_xdist_results_are_merged(sandbox):
    result = run(sandbox, "-n", "2", "--reference-fault", "text_empty")
    result.assert_outcomes(passed=1, failed=1)
    doc = results(sandbox)
    assert sorted(c["name"] for c in doc["cases"]) == ["demo.error", "demo.pong"]
    failed = next(c for c in doc["cases"] if c["outcome"] == "failed")
    assert failed["failures"][0]["rule"] == "output.text" and failed["transcript"]


def test_allure_labels_steps_and_attachments(sandbox):
    allure_dir = sandbox.path / "allure"
    run(sandbox, f"--alluredir={allure_dir}", "--reference-fault", "text_empty").assert_outcomes(passed=1, failed=1)
    found = [json.loads(p.read_text()) for p in allure_dir.glob("*-result.json")]
    pong = next(r for r in found if "demo.pong" in r["name"])
    labels = {(label["name"], label["value"]) for label in pong["labels"]}
    assert {("epic", "reference"), ("feature", "demo"), ("story", "demo.pong")} <= labels
    steps = [s["name"] for s in pong["steps"]]
    assert any(name.startswith("main: POST") for name in steps) and any("output.text" in n for n in steps)
    names = {a["name"] for step in pong["steps"] for a in step.get("attachments", [])} | \
        {a["name"] for a in pong.get("attachments", [])}
    assert {"request", "response", "curl", "transcript"} <= names


def test_junit_properties(sandbox):
    junit = sandbox.path / "junit.xml"
    run(sandbox, f"--junitxml={junit}").assert_outcomes(passed=2)
    xml = junit.read_text()
    assert 'name="case_id" value="demo.pong"' in xml and 'name="feature" value="Text completions"' in xml
    assert 'name="model" value="ref-text-1"' in xml


def test_record_then_replay_offline(sandbox):
    recording = sandbox.path / "rec"
    first = run(sandbox, "--record", str(recording), "--reference-fault", "text_empty")
    first.assert_outcomes(passed=1, failed=1)
    assert SECRET.encode() not in all_report_bytes(recording)
    before = {c["name"]: (c["outcome"], [f["rule"] for f in c["failures"]]) for c in results(sandbox)["cases"]}
    # No gateway now: every answer comes from the recording, and the checks give the same verdicts.
    again = run(sandbox, "--replay", str(recording))
    again.assert_outcomes(passed=1, failed=1)
    again.stdout.fnmatch_lines(["respcheck: profile reference, target a replay of *rec (offline)*"])
    after = {c["name"]: (c["outcome"], [f["rule"] for f in c["failures"]]) for c in results(sandbox)["cases"]}
    assert after == before


def test_replay_miss_is_a_readable_failure(sandbox):
    recording = sandbox.path / "rec"
    run(sandbox, "--record", str(recording), "-k", "error").assert_outcomes(passed=1, deselected=1)
    result = run(sandbox, "--replay", str(recording), "-k", "pong")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(["*[[]transport[]]*no recorded exchange for POST /v1/responses*"])


def test_missing_key_is_said_once_and_each_case_names_the_401(sandbox, monkeypatch):
    monkeypatch.delenv("RESPCHECK_API_KEY", raising=False)
    with ScriptedServer([(401, {}, {"error": {"message": "no key", "type": "authentication_error",
                                             "code": "invalid_api_key", "param": None}})]) as server:
        result = sandbox.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning",
                                             "--base-url", server.base_url, "--profile", plain(sandbox), "-k", "pong")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(["respcheck: no API key given (--api-key, $RESPCHECK_API_KEY)*",
                                 "*expected HTTP 200, got 401 (error type 'authentication_error', code 'invalid_api_key'*"])
    assert "Traceback" not in result.stdout.str()
