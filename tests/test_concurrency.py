"""In-process concurrency (--concurrency N): up to N cases at once, and a
run that reads exactly like a sequential one.

Timing is only ever asserted in the direction load cannot break (a rate
limit makes a run at least so slow), or with wide margins.
"""

from __future__ import annotations

import json
import textwrap
import threading
import time
import pytest
from local_server import LocalServer, QuietHandler
from scripted_server import ScriptedServer, response_body

PROFILE = """
name: scripted
models: {text: m}
capabilities: {responses.text: supported}
settings: {request_id_header: null, routing_metadata_source: none}
"""


def many_cases(count: int, text: str = "PONG") -> str:
    return "\n".join(textwrap.dedent(f"""
        - id: conc.case_{n:02d}
          title: case {n}
          models: [text]
          requires: [responses.text]
          request:
            body: {{model: "{{{{model}}}}", input: "Reply with exactly: {text}"}}
          expect:
            output_text: {text}
        """) for n in range(1, count + 1))


def setup(pytester: pytest.Pytester, cases: str) -> str:
    path = pytester.path / "cases" / "conc" / "cases.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cases, encoding="utf-8")
    profile = pytester.path / "scripted.yaml"
    profile.write_text(textwrap.dedent(PROFILE).lstrip(), encoding="utf-8")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return str(profile)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning",
                                        "--report-dir", str(pytester.path / "reports"), *args)


class SlowServer(LocalServer):
    """Answers every POST with a valid Response after `delay` seconds and
    counts how many requests were in flight at once."""

    def __init__(self, delay: float, text: str = "PONG"):
        self.in_flight = 0
        self.most_in_flight = 0
        self.arrivals: list[float] = []
        self.lock = threading.Lock()
        outer = self
        body = json.dumps(response_body(text)).encode()

        class Handler(QuietHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.arrivals.append(time.monotonic())
                    outer.in_flight += 1
                    outer.most_in_flight = max(outer.most_in_flight, outer.in_flight)
                time.sleep(delay)
                with outer.lock:
                    outer.in_flight -= 1
                self.send_bytes(200, {}, body)

        super().__init__(Handler)


def outcomes(result: pytest.RunResult) -> list[tuple[str, str]]:
    return [(r.nodeid, r.outcome) for r in result.reprec.getreports("pytest_runtest_logreport") if r.when == "call"]


def test_cases_run_at_once_but_never_more_than_n(pytester):
    profile = setup(pytester, many_cases(12))
    with SlowServer(delay=0.3) as server:
        result = run(pytester, "--base-url", server.base_url, "--profile", profile, "--concurrency", "4")
    result.assert_outcomes(passed=12)
    assert 2 <= server.most_in_flight <= 4, server.most_in_flight


def test_a_remote_target_gets_one_case_at_a_time_unless_asked(pytester):
    profile = setup(pytester, many_cases(4))
    with SlowServer(delay=0.1) as server:
        result = run(pytester, "--base-url", server.base_url, "--profile", profile)
    result.assert_outcomes(passed=4)
    assert server.most_in_flight == 1
    result.stdout.fnmatch_lines(["respcheck: profile scripted, target *, concurrency 1"])


def test_the_profile_and_the_environment_set_the_default(pytester, monkeypatch):
    profile = setup(pytester, many_cases(2))
    text = (pytester.path / "scripted.yaml").read_text(encoding="utf-8")
    (pytester.path / "scripted.yaml").write_text(text.replace("settings: {", "settings: {concurrency: 3, "),
                                                 encoding="utf-8")
    with SlowServer(delay=0.0) as server:
        result = run(pytester, "--base-url", server.base_url, "--profile", profile)
        result.stdout.fnmatch_lines(["respcheck: *, concurrency 3"])
        monkeypatch.setenv("RESPCHECK_CONCURRENCY", "5")
        result = run(pytester, "--base-url", server.base_url, "--profile", profile)
        result.stdout.fnmatch_lines(["respcheck: *, concurrency 5"])
        result = run(pytester, "--base-url", server.base_url, "--profile", profile, "--concurrency", "2")
        result.stdout.fnmatch_lines(["respcheck: *, concurrency 2"])


def _comparable(document: dict) -> list[dict]:
    drop = {"duration"}
    return [{k: v for k, v in case.items() if k not in drop} for case in document["cases"]]


def test_a_concurrent_run_reads_exactly_like_a_sequential_one(pytester, repo):
    """The suite's own cases against the embedded gateway, with one fault on
    so that failures (and their transcripts) are compared too."""
    runs, texts = {}, {}
    for n in ("1", "8"):
        report_dir = pytester.path / f"reports-{n}"
        result = pytester.runpytest_inprocess(
            str(repo / "cases"), "-p", "no:cacheprovider", "--rootdir", str(repo), "-W",
            "ignore::pytest.PytestAssertRewriteWarning", "--concurrency", n, "--report-dir", str(report_dir),
            "--reference-fault", "usage_total_wrong", "--junitxml", str(pytester.path / f"junit-{n}.xml"))
        document = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
        transcripts = sorted(p.name for p in (report_dir / "transcripts").glob("*.txt"))
        text = result.stdout.str()
        failures_section = text[text.index("= FAILURES ="):text.index("generated xml file")]
        runs[n] = (outcomes(result), _comparable(document), document["counts"], transcripts,
                   _scrub(failures_section))
        texts[n] = {r.nodeid: r.longreprtext for r in result.reprec.getreports("pytest_runtest_logreport")
                    if r.when == "call"}
    differ = [a[0] for a, b in zip(runs["1"][0], runs["8"][0]) if a != b]
    # the same items, in the same order, with the same outcomes (else: what each run said of them)
    assert runs["1"][0] == runs["8"][0], {node: (texts["1"].get(node, "")[:1500], texts["8"].get(node, "")[:1500])
                                          for node in differ}
    assert runs["1"][1] == runs["8"][1]  # results.json case by case
    assert runs["1"][2] == runs["8"][2]
    assert runs["1"][3] == runs["8"][3] and runs["1"][3]  # the same transcripts
    assert runs["1"][4] == runs["8"][4]  # the same failure texts, in the same order
    assert runs["1"][2]["failed"] > 10


def _scrub(text: str) -> str:
    """Ports, ids, timings and the run's random key differ between two runs; the rest must not."""
    import re

    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"\b(resp|msg|fc|rs|req|chatcmpl|call)_[0-9a-zA-Z]+", r"\1_ID", text)
    text = re.sub(r"in \d+ ms", "in N ms", text)
    text = re.sub(r"\b\d+(\.\d+)?\s?(ms|s)\b", "T", text)
    text = re.sub(r" +", " ", text)  # columns widen with the numbers in them
    return re.sub(r"\b1[6-9]\d{8}\b", "EPOCH", text)  # created_at and friends


def test_exitfirst_stops_scheduling_new_cases(pytester):
    profile = setup(pytester, many_cases(40))
    with SlowServer(delay=0.2, text="WRONG") as server:
        result = run(pytester, "--base-url", server.base_url, "--profile", profile, "--concurrency", "4", "-x")
        sent = len(server.arrivals)
    result.assert_outcomes(failed=1)
    assert sent < 40, f"{sent} cases were sent after -x"


def test_rate_limit_is_shared_by_concurrent_cases(pytester):
    profile = setup(pytester, many_cases(5))
    with SlowServer(delay=0.0) as server:
        result = run(pytester, "--base-url", server.base_url, "--profile", profile, "--concurrency", "4",
                     "--rate-limit", "2")
        arrivals = sorted(server.arrivals)
    result.assert_outcomes(passed=5)
    # Five requests at two a second span at least two seconds whatever the load (it only slows them).
    assert arrivals[-1] - arrivals[0] >= 1.0, arrivals


def test_retry_after_budget_is_shared_by_concurrent_cases(pytester):
    profile = setup(pytester, many_cases(4))
    busy = (429, {"Retry-After": "1"}, {"error": {"message": "slow down", "type": "rate_limit_error",
                                                  "code": "rate_limit_exceeded", "param": None}})
    with ScriptedServer([busy, busy, busy, busy, (200, {}, response_body("PONG"))]) as server:
        result = run(pytester, "--base-url", server.base_url, "--profile", profile, "--concurrency", "4",
                     "--retry-after-budget", "1")
    # One case may wait out its second: the budget is the run's, not each thread's.
    result.assert_outcomes(passed=1, failed=3)


def test_retries_still_work_under_concurrency(pytester):
    profile = setup(pytester, many_cases(1))
    with ScriptedServer([(200, {}, response_body("NOPE")), (200, {}, response_body("PONG"))]) as server:
        result = run(pytester, "--base-url", server.base_url, "--profile", profile, "--concurrency", "4",
                     "--retries", "1")
    result.assert_outcomes(passed=1)
    document = json.loads((pytester.path / "reports" / "results.json").read_text(encoding="utf-8"))
    assert document["cases"][0]["flaky"] is True
