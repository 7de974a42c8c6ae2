"""A hostile target fails a case within the request timeout with a readable
reason: never a hang, never a traceback, never the API key in the output.

Each test runs the suite in a pytester sandbox (one simple case) against
tests/hostile_server.py in one misbehaving mode, and measures the wall time.
Should the client ever hang again, the server is stopped after HARD_STOP
seconds, which ends the run (and the test fails on its wall time) instead of
hanging the project's test run.
"""

from __future__ import annotations

import re
import textwrap
import threading
import time
from dataclasses import dataclass

import pytest
from hostile_server import HUGE_TOTAL, HostileServer

TIMEOUT = 1.0  # --request-timeout
SLACK = 6.0  # a run may take this much longer than the timeout, all in (generous: a loaded 2-core machine)
HARD_STOP = TIMEOUT + 15.0
SECRET = "sk-hostile-secret-123"

CASE = """
id: hostile.echo
title: ECHO comes back
tags: [hostile]
models: [text]
requires: [responses.text]
request:
  body: {model: "{{model}}", input: "Reply with exactly: ECHO"}
expect:
  status: 200
  output_text: {fullmatch: "ECHO"}
"""


@dataclass
class HostileRun:
    result: pytest.RunResult
    seconds: float
    server: HostileServer
    base_url: str

    @property
    def output(self) -> str:
        return self.result.stdout.str() + "\n" + self.result.stderr.str()


def run_against(pytester: pytest.Pytester, mode: str, *extra: str, case: str = CASE) -> HostileRun:
    path = pytester.path / "cases" / "hostile" / "echo.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(case).lstrip(), encoding="utf-8")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    with HostileServer(mode) as server:
        watchdog = threading.Timer(HARD_STOP, server.stop)
        watchdog.start()
        started = time.monotonic()
        try:
            result = pytester.runpytest_inprocess(
                "-p", "no:cacheprovider", "-rA", "-W", "ignore::pytest.PytestAssertRewriteWarning",
                "--base-url", server.base_url, "--profile", "reference",
                "--request-timeout", f"{TIMEOUT:g}", "--api-key", SECRET, *extra)
        finally:
            seconds = time.monotonic() - started
            watchdog.cancel()
            watchdog.join()
    # Leaving the server's context joined every thread it started.
    assert server.alive_threads() == []
    assert server.errors == []
    return HostileRun(result, seconds, server, server.base_url)


def assert_clean_output(run: HostileRun) -> None:
    out = run.output
    assert "Traceback" not in out, out
    assert "INTERNALERROR" not in out, out
    assert SECRET not in out, out


# mode, extra options, the exchange line, the failure lines (fnmatch), the rules that fail
# (exactly), the most seconds the whole run may take.
QUICK = SLACK  # no timeout to wait for: well under the slow budget even on a loaded machine
SLOW = TIMEOUT + SLACK
MODES = {
    "stall": ((), "POST */v1/responses -> no answer in * ms",
              ["  ✗ [[]transport[]] no answer within the request timeout of 1s (read timeout)"],
              {"transport"}, SLOW),
    "stall_body": ((), "POST */v1/responses -> HTTP 200 in * ms",
                   ["  ✗ [[]transport[]] the body was not complete within the request timeout of 1s (read timeout);"
                    " stopped reading"],
                   {"transport"}, SLOW),
    "drip": ((), "POST */v1/responses -> HTTP 200 in * ms",
             ["  ✗ [[]transport[]] the body was not complete within the request timeout of 1s (read timeout);"
              " stopped reading"],
             {"transport"}, SLOW),
    "drip_headers": ((), "POST */v1/responses -> no answer in * ms",
                     ["  ✗ [[]transport[]] no answer within the request timeout of 1s (read timeout)"],
                     {"transport"}, SLOW),
    "garbage": ((), "POST */v1/responses -> no answer in * ms",
                ["  ✗ [[]transport[]] the server broke the HTTP exchange: illegal status line: *hello garbage*"],
                {"transport"}, QUICK),
    "cut": ((), "POST */v1/responses -> HTTP 200 in * ms",
            ["  ✗ [[]transport[]] the server broke the HTTP exchange: peer closed connection without sending "
             "complete message body (received 20 bytes, expected 1000)"],
            {"transport"}, QUICK),
    "html": ((), "POST */v1/responses -> HTTP 200 in * ms",
             ["  ✗ [[]content_type[]] expected application/json, got 'text/html; charset=utf-8'",
              "  ✗ [[]body.json[]] the body is not JSON (*); it starts with '<!doctype html>*"],
             {"request_id", "content_type", "body.json", "output.items"}, QUICK),
    "not_json": ((), "POST */v1/responses -> HTTP 200 in * ms",
                 ["  ✗ [[]body.json[]] the body is not JSON (*); it starts with '<html>oops</html>'"],
                 {"request_id", "body.json", "output.items"}, QUICK),
    "empty_500": ((), "POST */v1/responses -> HTTP 500 in * ms",
                  ["  ✗ [[]status[]] expected HTTP 200, got 500",
                   "  ✗ [[]error.envelope[]] HTTP 500 without a JSON error envelope: the body is empty"],
                  {"status", "request_id", "error.content_type", "error.envelope"}, QUICK),
    "huge": (("--max-body-bytes", "1000000"), "POST */v1/responses -> HTTP 200 in * ms",
             ["  ✗ [[]transport[]] the body exceeds 1000000 bytes (--max-body-bytes); stopped reading"],
             {"transport"}, QUICK),
    # The probe gets its headers and does not wait for the endless /models body.
    "probe_drip": ((), "POST */v1/responses -> HTTP 500 in * ms",
                   ["  ✗ [[]status[]] expected HTTP 200, got 500"],
                   {"status", "request_id", "error.content_type", "error.envelope"}, QUICK),
}


def failed_rules(out: str) -> set[str]:
    return set(re.findall(r"^  ✗ \[([a-z_.]+)\]", out, flags=re.M))


@pytest.mark.parametrize("mode", list(MODES))
def test_hostile_answer_fails_the_case_in_time(pytester, mode):
    extra, exchange_line, failure_lines, rules, budget = MODES[mode]
    run = run_against(pytester, mode, *extra)
    result = run.result
    result.assert_outcomes(failed=1)  # failed, not errored
    assert run.seconds < budget, f"{mode}: the run took {run.seconds:.2f}s (budget {budget:g}s)"
    result.stdout.fnmatch_lines(["hostile.echo: ECHO comes back  (cases/hostile/echo.yaml:*)", exchange_line,
                                 *failure_lines, "Reproduce with:", "  curl * -H 'Authorization: Bearer ***' *"])
    assert failed_rules(result.stdout.str()) == rules
    assert_clean_output(run)
    assert ("POST", "/v1/responses") in run.server.requests


def test_huge_answer_is_not_read_to_the_end(pytester):
    run = run_against(pytester, "huge", "--max-body-bytes", "1000000")
    run.result.assert_outcomes(failed=1)
    # The client hung up soon after its limit instead of taking all 200 MiB.
    assert run.server.bytes_sent < HUGE_TOTAL // 10


def test_silent_probe_stops_the_run_early(pytester):
    run = run_against(pytester, "probe_stall")
    result = run.result
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert run.seconds < TIMEOUT + SLACK, f"the run took {run.seconds:.2f}s"
    result.assert_outcomes()
    lines = [line for line in run.output.splitlines() if "cannot reach the target" in line]
    assert len(lines) == 1, lines
    # pytest shows its exit reason as "!!! _pytest.outcomes.Exit: <reason> !!!"; the reason is one line.
    reason = re.sub(r"^!+ (_pytest\.outcomes\.Exit: )?|\s!+$", "", lines[0])
    assert reason == f"respcheck: cannot reach the target at {run.base_url}: ReadTimeout: timed out", lines[0]
    assert run.server.requests == [("GET", "/v1/models")]  # no case was sent
    assert_clean_output(run)


def report_lines(result: pytest.RunResult) -> list[str]:
    """The failure reports, without pytest's short summary (which repeats them in full when CI is set)."""
    lines = result.stdout.lines
    ends = [n for n, line in enumerate(lines) if "short test summary info" in line]
    return lines[:ends[0]] if ends else lines


def cases(count: int, stream: bool = False) -> str:
    """`count` copies of the echo case (ids hostile.echo_1 ...), as one list."""
    one = textwrap.dedent(CASE).strip().replace("input: \"Reply", "stream: %s, input: \"Reply" % str(stream).lower())
    return "\n".join("- " + textwrap.indent(one.replace("id: hostile.echo", f"id: hostile.echo_{n}"), "  ")[2:]
                     for n in range(1, count + 1))


@pytest.mark.parametrize("mode,reason", [
    ("deep_json", "the JSON is nested deeper than the suite reads"),
    ("non_finite", "the number 1e999 does not fit a double"),
    ("dup_keys", "the key 'status' appears twice in one object"),
])
def test_json_a_strict_peer_would_refuse_fails_body_json_in_one_line(pytester, mode, reason):
    run = run_against(pytester, mode)
    run.result.assert_outcomes(failed=1)
    lines = [line for line in report_lines(run.result) if line.startswith("  ✗ [body.json]")]
    assert len(lines) == 1 and reason in lines[0], lines
    assert len(lines[0]) < 400
    assert_clean_output(run)


def test_a_redirect_is_reported_as_one(pytester):
    run = run_against(pytester, "redirect")
    run.result.assert_outcomes(failed=1)
    run.result.stdout.fnmatch_lines(["  ✗ [[]status[]] expected HTTP 200, got a redirect: HTTP 307 to "
                                     "http://127.0.0.1:1/elsewhere *"])
    assert failed_rules(run.result.stdout.str()) == {"status"}  # no error-envelope complaint about a redirect
    assert_clean_output(run)


def test_dripped_stream_headers_are_bounded_by_the_request_timeout(pytester):
    run = run_against(pytester, "drip_stream_headers", case=cases(1, stream=True))
    run.result.assert_outcomes(failed=1)
    # Bounded by --request-timeout (1 s), not by --stream-timeout (300 s by default).
    assert run.seconds < TIMEOUT + SLACK, f"the run took {run.seconds:.2f}s"
    run.result.stdout.fnmatch_lines(["  ✗ [[]transport[]] no answer within the request timeout of 1s*"])
    assert_clean_output(run)


def test_a_target_that_stops_answering_fails_the_rest_fast(pytester):
    run = run_against(pytester, "stop_after_probe", case=cases(8))
    result = run.result
    result.assert_outcomes(failed=8)
    failures = [line for line in report_lines(result) if line.startswith("  ✗ [transport]")]
    # Three cases wait out their timeout; the other five are not sent.
    assert sum("no answer within the request timeout of 1s" in line for line in failures) == 3
    assert sum("not sent: the target stopped answering from the first case on" in line for line in failures) == 5
    assert sum(1 for method, _ in run.server.requests if method == "POST") == 3
    assert run.seconds < 3 * TIMEOUT + SLACK, f"the run took {run.seconds:.2f}s"
    assert_clean_output(run)


def test_the_breaker_can_be_switched_off(pytester):
    run = run_against(pytester, "stop_after_probe", "--max-transport-failures", "0", case=cases(4))
    run.result.assert_outcomes(failed=4)
    assert sum(1 for method, _ in run.server.requests if method == "POST") == 4


def test_a_kept_alive_connection_closed_after_an_error_is_not_blamed_on_the_next_case(pytester):
    run = run_against(pytester, "keepalive_close_after_error", case=cases(2))
    result = run.result
    # The first case gets the 400 (its own finding); the second one's request met the closed
    # connection, went out again on a fresh one and passed.
    result.assert_outcomes(failed=1, passed=1)
    assert "hostile.echo_1" in result.stdout.str().split("short test summary")[1].split("passed")[0]
    assert "transport" not in failed_rules(result.stdout.str())
    assert_clean_output(run)


@pytest.mark.parametrize("mode", ["stall", "drip", "drip_stream_headers", "huge", "cut", "deep_json",
                                  "endless_stream", "big_event"])
def test_hostile_answers_under_concurrency_fail_each_case_alike(pytester, mode):
    """Four cases at once against one hostile server: every case fails with the
    reason a sequential run gives, in about the time one case takes."""
    stream = mode in ("drip_stream_headers", "endless_stream", "big_event")
    limits = ("--max-stream-bytes", "2000000", "--max-body-bytes", "1000000")
    run = run_against(pytester, mode, "--concurrency", "4", *limits, case=cases(4, stream=stream))
    result = run.result
    result.assert_outcomes(failed=4)
    rules = [set(re.findall(r"^  ✗ \[([a-z_.]+)\]", text, flags=re.M))
             for text in (r.longreprtext for r in result.reprec.getreports("pytest_runtest_logreport")
                          if r.when == "call")]
    assert len(rules) == 4 and all(r == rules[0] for r in rules), rules
    assert run.seconds < TIMEOUT + SLACK, f"{mode}: the run took {run.seconds:.2f}s"
    assert_clean_output(run)
