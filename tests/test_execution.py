"""The execution core's verdicts: what a case's run blames, resends, skips
or keeps going with, against scripted answers no reference fault produces
on its own (a body that is JSON null, a redirect, a step that breaks a
universal rule, a target that stops answering, a bug inside the suite)."""

from __future__ import annotations

import json
import textwrap

import pytest
from scripted_server import ScriptedServer, response_body

SECRET = "sk-exec-secret-0042"

ONE_CASE = """
id: exec.pong
title: PONG comes back
models: [text]
requires: [responses.text]
request:
  body: {model: "{{model}}", input: "Reply with exactly: PONG"}
expect:
  status: 200
"""

TWO_STEPS = """
id: exec.two_steps
title: the second step runs on the first one's answer
models: [text]
requires: [responses.text]
steps:
  - name: first
    request:
      body: {model: "{{model}}", input: "Reply with exactly: ONE"}
    capture: {first_id: $.id}
  - name: second
    request:
      body: {model: "{{model}}", input: "Reply with exactly: TWO", metadata: {after: "{{captured.first_id}}"}}
    expect:
      output_text: {fullmatch: TWO}
"""


# A plain target: no request-id header, no routing metadata to report.
PROFILE = """
name: scripted
models: {text: m}
capabilities: {responses.text: supported}
settings: {request_id_header: null, routing_metadata_source: none}
"""


def write(pytester: pytest.Pytester, text: str, name: str = "exec.yaml") -> None:
    path = pytester.path / "cases" / "exec" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    (pytester.path / "scripted.yaml").write_text(textwrap.dedent(PROFILE).lstrip(), encoding="utf-8")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def run(pytester: pytest.Pytester, base_url: str | None, *args: str) -> pytest.RunResult:
    profile = str(pytester.path / "scripted.yaml")
    target = ("--base-url", base_url, "--profile", profile, "--api-key", SECRET) if base_url else ()
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rA", "-W",
                                        "ignore::pytest.PytestAssertRewriteWarning", *target,
                                        "--report-dir", str(pytester.path / "reports"), *args)


def results(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "reports" / "results.json").read_text(encoding="utf-8"))


def rules_of(pytester: pytest.Pytester, case: str) -> set[str]:
    (record,) = [c for c in results(pytester)["cases"] if c["name"] == case]
    return {f["rule"] for f in record["failures"]}


@pytest.mark.parametrize("body,kind", [(None, "null"), ([], "an array"), ("resp_1", "a string")])
def test_a_2xx_body_that_is_no_object_fails_response_schema(pytester, body, kind):
    write(pytester, ONE_CASE)
    with ScriptedServer([(200, {}, body)]) as server:
        result = run(pytester, server.base_url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"  ✗ [[]response.schema[]] $: the body is JSON {kind}, not a Response object"])


def test_a_response_object_still_passes(pytester):
    write(pytester, ONE_CASE)
    with ScriptedServer([(200, {}, response_body("PONG"))]) as server:
        run(pytester, server.base_url).assert_outcomes(passed=1)


def test_a_redirect_is_reported_with_its_location_not_as_an_error_envelope(pytester):
    write(pytester, ONE_CASE)
    with ScriptedServer([(307, {"Location": "https://gateway.example/v1/responses"}, {})]) as server:
        result = run(pytester, server.base_url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  ✗ [[]status[]] expected HTTP 200, got a redirect: HTTP 307 to "
                                 "https://gateway.example/v1/responses (the suite does not follow redirects*"])
    assert rules_of(pytester, "exec.pong") == {"status"}


def test_a_step_that_breaks_only_universal_rules_lets_later_steps_run(pytester):
    write(pytester, TWO_STEPS)
    wrong_usage = {**response_body("ONE"), "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 9}}
    with ScriptedServer([(200, {}, wrong_usage), (200, {}, response_body("TWO"))]) as server:
        result = run(pytester, server.base_url)
        calls = server.calls
    result.assert_outcomes(failed=1)
    assert calls == 2  # the second step was measured too
    result.stdout.fnmatch_lines(["  ✗ [[]usage.total[]] (step first) $.usage.total_tokens: total_tokens 9 != *"])
    (record,) = results(pytester)["cases"]
    assert [(f["rule"], f["step"]) for f in record["failures"]] == [("usage.total", "first")]


def test_a_step_that_fails_its_own_expectation_stops_the_case(pytester):
    write(pytester, TWO_STEPS.replace("    capture: {first_id: $.id}",
                                      "    capture: {first_id: $.id}\n    expect: {output_text: ONE}"))
    with ScriptedServer([(200, {}, response_body("WRONG")), (200, {}, response_body("TWO"))]) as server:
        result = run(pytester, server.base_url)
        calls = server.calls
    result.assert_outcomes(failed=1)
    assert calls == 1
    result.stdout.fnmatch_lines(["*later steps were not run after step 'first' failed*"])


def patch_in_sandbox(pytester: pytest.Pytester, module: str, name: str, body: str) -> None:
    """A sandbox conftest that swaps one function for the run and puts it back
    after (in-process runs share the interpreter with the other tests)."""
    pytester.makeconftest(f"""
        import {module} as target

        _real = target.{name}

{textwrap.indent(textwrap.dedent(body), "        ")}

        def pytest_configure(config):
            target.{name} = replacement

        def pytest_unconfigure(config):
            target.{name} = _real
    """)


def test_a_bug_inside_the_suite_is_one_internal_failure_not_a_traceback(pytester):
    write(pytester, ONE_CASE)
    patch_in_sandbox(pytester, "respcheck.execution.runner", "run_checks", """
        def replacement(*args, **kwargs):
            raise RuntimeError("boom in a check\\nsecond line")
    """)
    with ScriptedServer([(200, {}, response_body("PONG"))]) as server:
        result = run(pytester, server.base_url, "-l")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(["  ✗ [[]internal[]] respcheck could not finish this case (RuntimeError: boom in a "
                                 "check); please report it"])
    assert "Traceback" not in out and "second line" not in out
    assert rules_of(pytester, "exec.pong") == {"internal"}


def test_showlocals_never_prints_the_key(pytester):
    """A traceback the guard cannot catch (here: writing the transcript
    fails) is printed with every local of every frame under `-l`; the
    gateway even echoes the key in its answer."""
    write(pytester, ONE_CASE.replace("status: 200", "status: 200\n  output_text: PONG"))
    patch_in_sandbox(pytester, "respcheck.report.transcript", "write_transcript", """
        def replacement(directory, run, masker):
            raise OSError("disk full")
    """)
    junit = pytester.path / "junit.xml"
    with ScriptedServer([(200, {}, response_body(f"your key is {SECRET}"))]) as server:
        result = run(pytester, server.base_url, "-l", "--tb=long", f"--junitxml={junit}")
    out = result.stdout.str() + result.stderr.str()
    assert "disk full" in out  # the traceback was printed...
    assert SECRET not in out  # ...without the key
    assert SECRET not in junit.read_text(encoding="utf-8")


def test_headers_and_target_never_show_the_key_in_a_repr():
    from respcheck.exchange.client import Client, SentHeaders, Target

    client = Client(Target(base_url="http://127.0.0.1:9/v1", api_key=SECRET,
                           headers=SentHeaders({"X-Api-Key": SECRET, "X-Trace": "t-1"})))
    try:
        headers = client.build_headers("default", None, "application/json")
        assert headers["Authorization"] == f"Bearer {SECRET}"  # sent as is...
        for shown in (repr(headers), repr(client.target), str(headers)):
            assert SECRET not in shown  # ...never shown
        assert "t-1" in repr(client.target)  # what is no credential stays readable
    finally:
        client.close()


def test_chat_usage_is_not_required_of_a_stream_that_did_not_ask_for_it():
    from respcheck.checks.chat import check_chat_usage
    from respcheck.checks.context import CheckContext
    from respcheck.exchange.client import Exchange
    from respcheck.model.profile import load_profile

    profile = load_profile("reference")
    profile.settings = {**profile.settings, "chat_usage_chunk": "on_request"}
    completion = {"id": "c", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}

    def verdict(request: dict, streamed: bool) -> list[str]:
        exchange = Exchange("POST", "http://x/v1/chat/completions", {}, json.dumps(request).encode(), status=200,
                            streamed=streamed)
        ctx = CheckContext(exchange=exchange, expect={}, profile=profile, path="/chat/completions",
                           stream_requested=streamed, stream_body=completion)
        if not streamed:
            exchange.body = json.dumps(completion).encode()
        return [f.rule for f in check_chat_usage(ctx)]

    assert verdict({"stream": True}, streamed=True) == []
    assert verdict({"stream": True, "stream_options": {"include_usage": True}}, streamed=True) == [
        "chat.usage.present"]
    assert verdict({}, streamed=False) == ["chat.usage.present"]  # a plain completion always owes usage
    profile.settings["chat_usage_chunk"] = "always"
    assert verdict({"stream": True}, streamed=True) == ["chat.usage.present"]


def test_sigterm_ends_the_run_at_once_and_still_writes_reports(tmp_path):
    """CI cancelling a job sends SIGTERM: the reports of what ran are written,
    and the case in flight does not hold the process until its timeout."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from hostile_server import HostileServer

    (tmp_path / "cases" / "exec").mkdir(parents=True)
    (tmp_path / "cases" / "exec" / "exec.yaml").write_text(textwrap.dedent(ONE_CASE).lstrip(), encoding="utf-8")
    (tmp_path / "tox.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n", encoding="utf-8")
    with HostileServer("stall") as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "cases", "-p", "no:cacheprovider", "--base-url", server.base_url,
             "--profile", "reference", "--api-key", SECRET, "--request-timeout", "120", "--report-dir", "rd"],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 60
            while ("POST", "/v1/responses") not in server.requests and time.monotonic() < deadline:
                time.sleep(0.1)
            assert ("POST", "/v1/responses") in server.requests, "the case was never sent"
            os.kill(process.pid, signal.SIGTERM)
            terminated = time.monotonic()
            output, _ = process.communicate(timeout=60)
            waited = time.monotonic() - terminated
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 2, output  # pytest's "interrupted"
    assert waited < 30, f"the process took {waited:.1f}s to end (the request timeout is 120s)"
    document = json.loads((tmp_path / "rd" / "results.json").read_text(encoding="utf-8"))
    assert document["profile"] == "reference"
    assert "Traceback" not in output and SECRET not in output


def test_a_failure_from_a_profile_override_names_the_profile_file_and_line(pytester):
    write(pytester, ONE_CASE)
    profile = pytester.path / "scripted.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "cases:\n  exec.pong:\n    expect:\n      status: 201\n",
                       encoding="utf-8")
    with ScriptedServer([(200, {}, response_body("PONG"))]) as server:
        result = run(pytester, server.base_url)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  ✗ [[]status[]] expected HTTP 201, got 200",
                                 "      expected at scripted.yaml:8 (the profile's override)"])
    (record,) = results(pytester)["cases"]
    assert record["failures"][0]["expected_at"] == "scripted.yaml:8"


def test_a_failure_from_the_case_file_still_names_the_case_file(pytester):
    write(pytester, ONE_CASE)
    with ScriptedServer([(201, {}, response_body("PONG"))]) as server:
        result = run(pytester, server.base_url)
    result.stdout.fnmatch_lines(["  ✗ [[]status[]] expected HTTP 200, got 201", "      expected at cases/exec/exec.yaml:8"])


def test_a_chat_stream_error_of_a_type_the_profile_accepts_is_no_malformation():
    from respcheck.exchange.sse import Frame, StreamEnd
    from respcheck.stream.chat import ChatStreamChecker

    frame = Frame(0, None, json.dumps({"error": {"message": "upstream overloaded", "type": "server_error",
                                                 "code": "server_error", "param": None}}), 10, 0.0)

    def rules(settings: dict) -> set[str]:
        checker = ChatStreamChecker({"chat_usage_chunk": "on_request", "done_sentinel": "optional", **settings},
                                    {"stream": True})
        checker.feed(frame)
        return {f.rule for f in checker.finish(StreamEnd())}

    assert "chat.stream.error" in rules({})  # server_error is none of the six canonical types
    assert "chat.stream.error" not in rules({"accept_error_types": ("server_error",)})


def test_under_xdist_the_banner_shows_and_an_unreachable_target_is_one_line(pytester):
    """With -n the workers' output is not shown: the controller announces the
    target and probes it once, and a dead target stops the run in one line
    instead of crashing every worker."""
    import socket

    write(pytester, ONE_CASE)
    with ScriptedServer([(200, {}, response_body("PONG"))]) as server:
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--base-url", server.base_url,
                                               "--profile", str(pytester.path / "scripted.yaml"), "--report-dir", "")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["respcheck: profile scripted, target http://127.0.0.1:*/v1, concurrency 1",
                                 "respcheck: no API key given (--api-key, $RESPCHECK_API_KEY)*"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--base-url", dead, "--profile",
                                           str(pytester.path / "scripted.yaml"), "--report-dir", "")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "crashed" not in out and "Traceback" not in out and "INTERNALERROR" not in out
    assert f"respcheck: cannot reach the target at {dead}" in out
