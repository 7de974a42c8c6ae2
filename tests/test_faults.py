"""Every check is proven to fail: the suite's own cases run against the
reference gateway with each fault switch on, and exactly the cases covering
the broken rule fail — each naming that rule — while the rest pass."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from respcheck.reference.faults import FAULTS

OK, ERR, ALL = "cases with a 2xx answer", "cases with an error answer", "every case"

ERROR_PARAM_CASES = {
    "responses.errors.unknown_field", "responses.errors.missing_model", "responses.errors.missing_input",
    "responses.errors.wrong_type", "responses.errors.unknown_model", "responses.errors.model_and_gateway_models",
}
TEXT_CASES = frozenset({
    "responses.text.string_input", "responses.text.message_items", "responses.text.easy_message",
    "responses.text.multi_turn", "responses.text.instructions", "responses.text.store_false",
})


@dataclass(frozen=True)
class Expect:
    rule: str  # the rule the fault breaks: named by the failing cases
    cases: frozenset | str  # the exact set of failing case ids, or one of OK/ERR/ALL
    also: frozenset = frozenset()  # rules that may stand in for `rule` in a case that checks the effect otherwise


def only(*ids: str) -> frozenset:
    return frozenset(ids)


EXPECTED = {
    "success_status_202": Expect("status", OK),
    "usage_missing": Expect("usage.present", OK),
    "usage_total_wrong": Expect("usage.total", OK),
    "error_type_missing": Expect("error.envelope", ERR),
    "error_code_http_status": Expect("error.code_is_status", ERR),
    "error_param_missing": Expect("error.param", frozenset(ERROR_PARAM_CASES)),
    "error_not_json": Expect("error.envelope", ERR),
    "store_accepted": Expect("status", only("responses.state.store_true")),
    "previous_response_id_ignored": Expect("status", only("responses.state.previous_response_id")),
    "background_accepted": Expect("status", only("responses.state.background")),
    "file_input_accepted": Expect("status", only("responses.inputs.input_file")),
    "audio_input_accepted": Expect("status", only("responses.inputs.input_audio")),
    "bad_json_500": Expect("status", only("responses.errors.bad_json")),
    "unknown_model_400": Expect("status", only("responses.errors.unknown_model")),
    "unknown_field_ignored": Expect("status", only("responses.errors.unknown_field")),
    "auth_ignored": Expect("status", only("auth.missing_key", "auth.invalid_key")),
    "instructions_ignored": Expect("output.text", only("responses.text.instructions")),
    "history_dropped": Expect("output.text", only("responses.text.multi_turn")),
    "metadata_dropped": Expect("field", only("responses.text.metadata_echo")),
    # The usage case sees the same fault as zero output tokens.
    "text_empty": Expect("output.text", TEXT_CASES | {"responses.text.usage_grows_with_input"}, also=frozenset({"field"})),
    "empty_output": Expect("response.output_empty", OK),
    "response_id_unprefixed": Expect("response.schema", OK),
    "created_at_string": Expect("response.schema", OK),
    "object_wrong": Expect("response.schema", OK),
    "content_string": Expect("response.schema", OK),
    "role_wrong": Expect("response.schema", OK),
    "json_content_type_wrong": Expect("content_type", OK),
    "request_id_missing": Expect("request_id", ALL),
    "missing_model_400_wrong_param": Expect("error.param", only("responses.errors.missing_model")),
    "unavailable_model_200": Expect("status", only("responses.errors.unavailable_model")),
}


@dataclass
class Outcome:
    outcome: str
    rules: set
    statuses: list
    text: str


def run_suite(pytester: pytest.Pytester, repo, *args: str) -> dict[str, Outcome]:
    result = pytester.runpytest_inprocess(
        str(repo / "cases"), "-p", "no:cacheprovider", "-q", "--rootdir", str(repo),
        "-W", "ignore::pytest.PytestAssertRewriteWarning", *args)
    outcomes: dict[str, Outcome] = {}
    for report in result.reprec.getreports("pytest_runtest_logreport"):
        props = dict(report.user_properties)
        case_id = props.get("case_id")
        if case_id is None:
            raise AssertionError(f"an item that is not a case ran: {report.nodeid}: {report.longreprtext}")
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            outcomes[case_id] = Outcome(
                outcome=report.outcome,
                rules=set(filter(None, props.get("failed_rules", "").split(","))),
                statuses=[int(s) for s in props.get("http_statuses", "").split(",") if s],
                text=report.longreprtext)
    return outcomes




_CLEAN: dict = {}


@pytest.fixture
def clean_run(pytester, repo):
    """The clean run, done once (pytester itself is function-scoped)."""
    if not _CLEAN:
        _CLEAN.update(run_suite(pytester, repo))
    return _CLEAN


def test_every_fault_has_an_expectation():
    assert set(EXPECTED) == set(FAULTS), "each fault switch needs a row in EXPECTED (and vice versa)"
    for name, fault in FAULTS.items():
        assert fault.rule == EXPECTED[name].rule, f"{name}: faults.py says {fault.rule!r}, the checks report {EXPECTED[name].rule!r}"


def test_clean_reference_gateway_passes_every_case(clean_run):
    bad = {cid: o.text for cid, o in clean_run.items() if o.outcome != "passed"}
    assert not bad, bad
    assert len(clean_run) >= 20


def _expected_ids(expect: Expect, clean: dict[str, Outcome]) -> set:
    if expect.cases == OK:
        return {cid for cid, o in clean.items() if any(200 <= s < 300 for s in o.statuses)}
    if expect.cases == ERR:
        return {cid for cid, o in clean.items() if any(s >= 400 for s in o.statuses)}
    if expect.cases == ALL:
        return set(clean)
    return set(expect.cases)


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_fault_fails_exactly_the_cases_of_its_rule(fault, pytester, repo, clean_run):
    expect = EXPECTED[fault]
    outcomes = run_suite(pytester, repo, "--reference-fault", fault)
    failed = {cid for cid, o in outcomes.items() if o.outcome == "failed"}
    wanted = _expected_ids(expect, clean_run)
    assert wanted, f"{fault}: no case is expected to catch it"
    assert failed == wanted, (f"{fault}: unexpected failures {sorted(failed - wanted)}, "
                              f"missed {sorted(wanted - failed)}")
    accepted = {expect.rule} | expect.also
    for cid in failed:
        assert outcomes[cid].rules & accepted, f"{fault}: {cid} failed on {outcomes[cid].rules}, not {expect.rule}"
        named = outcomes[cid].rules & accepted
        assert any(f"[{rule}]" in outcomes[cid].text for rule in named)
    assert any(expect.rule in outcomes[cid].rules for cid in failed), f"{fault}: no case names {expect.rule}"
    passed = {cid for cid, o in outcomes.items() if o.outcome == "passed"}
    assert passed | failed == set(clean_run)
