"""The regression diff between two results.json documents, its Markdown and
text renderings, and `respcheck diff`'s output and exit codes."""

from __future__ import annotations

import json

import pytest

from respcheck.cli import main
from respcheck.report.diff import (CaseChange, RunDiff, diff_runs, load_results, md_escape, render_markdown,
                                   render_text, shorten)


def case(name, outcome="passed", feature="Text completions", model="ref-text-1", rules=(), message="it broke",
         flaky=False, retries=0, skip_reason=None, area="responses", transcript=None):
    return {"id": name.split("[")[0], "name": name, "area": area, "feature": feature, "model": model,
            "endpoint": "POST /responses", "outcome": outcome, "flaky": flaky, "retries": retries, "duration": 0.01,
            "failures": [{"rule": rule, "message": message, "path": "$.usage.total_tokens", "step": ""}
                         for rule in rules],
            "skip_reason": skip_reason, "transcript": transcript}


def run(*cases, started="2026-11-28T04:00:00Z", profile="reference"):
    return {"respcheck": "0.1.0", "profile": profile, "target": "http://127.0.0.1:40000/v1",
            "started_at": started, "finished_at": started, "duration": 1.0, "counts": {}, "cases": list(cases)}


BASELINE = run(
    case("responses.text.string_input[stream=true]"),
    case("responses.text.flaky_before", flaky=True, retries=1),
    case("tools.call.auto", "failed", "Tool calling", "ref-tools-1", rules=["tool.name"]),
    case("structured.schema", "failed", "Structured output", rules=["structured.schema"]),
    case("reasoning.effort", "error", "Reasoning", rules=["reasoning.tokens"]),
    case("vision.url", "passed", "Vision", "ref-vision-1"),
    case("vision.base64", "failed", "Vision", "ref-vision-1", rules=["output.text"]),
    case("caching.skipped_both", "skipped", "Prompt caching", skip_reason="no caching"),
    case("logprobs.was_skipped", "skipped", "Token logprobs", skip_reason="no logprobs"),
    case("removed.one"), case("removed.two"),
    started="2026-11-28T03:00:00Z",
)

CURRENT = run(
    case("responses.text.string_input[stream=true]", "failed", rules=["usage.total"],
         message="total_tokens 6 != input_tokens 4 + output_tokens 1"),
    case("responses.text.flaky_before", "error", rules=["transport"]),
    case("tools.call.auto", "passed", "Tool calling", "ref-tools-1"),
    case("structured.schema", "failed", "Structured output", rules=["structured.json"]),
    case("reasoning.effort", "failed", "Reasoning", rules=["reasoning.tokens"]),
    case("vision.url", "skipped", "Vision", "ref-vision-1", skip_reason="profile: vision not supported"),
    case("vision.base64", "skipped", "Vision", "ref-vision-1", skip_reason="profile: vision not supported"),
    case("caching.skipped_both", "skipped", "Prompt caching", skip_reason="no caching"),
    case("logprobs.was_skipped", "failed", "Token logprobs", rules=["logprobs.shape"]),
    case("errors.auth.missing_key", "passed", None, None, area="errors", flaky=True, retries=2),
    case("added.failing", "failed", "Streaming", rules=["stream.terminal"]),
    case("added.passing"),
)


def names(entries):
    return [e.name for e in entries]


def test_every_category():
    diff = diff_runs(BASELINE, CURRENT)
    assert names(diff.new_failures) == ["added.failing", "logprobs.was_skipped", "responses.text.flaky_before",
                                        "responses.text.string_input[stream=true]"]
    assert names(diff.fixed) == ["tools.call.auto"]
    assert names(diff.newly_skipped) == ["vision.base64", "vision.url"]
    assert names(diff.still_failing) == ["reasoning.effort", "structured.schema"]
    assert names(diff.flaky) == ["errors.auth.missing_key"]
    assert diff.added == ["added.failing", "added.passing", "errors.auth.missing_key"]
    assert diff.removed == ["removed.one", "removed.two"]
    assert diff.has_regressions
    assert diff.current_failures == 6


def test_entries_carry_before_and_after():
    diff = diff_runs(BASELINE, CURRENT)
    by_name = {e.name: e for _, _, entries in diff.sections() for e in entries}
    new = by_name["responses.text.string_input[stream=true]"]
    assert (new.before, new.after, new.rules_before, new.rules_after) == ("passed", "failed", (), ("usage.total",))
    assert new.messages_after == ("$.usage.total_tokens: total_tokens 6 != input_tokens 4 + output_tokens 1",)
    assert new.feature == "Text completions" and new.model == "ref-text-1"
    assert by_name["added.failing"].is_new and by_name["added.failing"].before is None
    assert by_name["logprobs.was_skipped"].before == "skipped"
    fixed = by_name["tools.call.auto"]
    assert fixed.rules_before == ("tool.name",) and fixed.rules_after == ()
    skipped = by_name["vision.url"]
    assert skipped.skip_reason == "profile: vision not supported" and skipped.before == "passed"
    assert by_name["structured.schema"].rules_changed
    assert by_name["structured.schema"].rules_before == ("structured.schema",)
    assert by_name["structured.schema"].rules_after == ("structured.json",)
    assert not by_name["reasoning.effort"].rules_changed  # error -> failed on the same rule
    assert by_name["errors.auth.missing_key"].retries == 2
    assert by_name["errors.auth.missing_key"].group == "(errors)"


def test_unchanged_cases_are_in_no_section():
    diff = diff_runs(BASELINE, CURRENT)
    listed = {e.name for _, _, entries in diff.sections() for e in entries}
    assert "caching.skipped_both" not in listed
    assert "added.passing" not in listed  # counted as added only


def test_summary_line():
    diff = diff_runs(BASELINE, CURRENT)
    assert diff.summary_line() == ("4 new failures, 1 fixed, 2 newly skipped, 2 still failing, 1 flaky, 3 added, "
                                   "2 removed (baseline 2026-11-28T03:00:00Z, profile reference)")
    one = diff_runs(run(case("a")), run(case("a", "failed", rules=["status"])))
    assert one.summary_line() == ("1 new failure, 0 fixed, 0 newly skipped, 0 still failing, 0 flaky "
                                  "(baseline 2026-11-28T04:00:00Z, profile reference)")


def test_summary_line_names_a_profile_change():
    diff = diff_runs(run(case("a"), profile="reference"), run(case("a"), profile="auriko"))
    assert "profile reference → auriko" in diff.summary_line()


def test_flaky_now_after_failing_is_flaky_not_fixed():
    diff = diff_runs(run(case("a", "failed", rules=["status"])), run(case("a", flaky=True, retries=1)))
    assert names(diff.flaky) == ["a"] and not diff.fixed
    assert not diff.has_regressions


def test_failure_previously_flaky_is_a_new_failure():
    diff = diff_runs(run(case("a", flaky=True)), run(case("a", "failed", rules=["status"])))
    assert names(diff.new_failures) == ["a"]


def test_record_without_outcome_counts_as_error():
    broken = case("a")
    broken["outcome"] = None
    diff = diff_runs(run(case("a")), run(broken))
    assert diff.new_failures[0].after == "error"


def test_empty_runs():
    diff = diff_runs(run(), run())
    assert not diff.has_regressions and diff.is_clean
    assert diff.summary_line().startswith("0 new failures, 0 fixed, 0 newly skipped, 0 still failing, 0 flaky (")
    text = render_markdown(diff)
    assert "No regressions." in text and "|" not in text
    assert render_text(diff) == [f"respcheck diff: {diff.summary_line()}"]


def test_everything_new_against_an_empty_baseline():
    diff = diff_runs(run(), run(case("a"), case("b", "failed", rules=["status"])))
    assert diff.added == ["a", "b"] and names(diff.new_failures) == ["b"]
    assert diff.new_failures[0].is_new


def test_markdown_sections_and_tables():
    text = render_markdown(diff_runs(BASELINE, CURRENT))
    assert text.startswith("## ")
    assert diff_runs(BASELINE, CURRENT).summary_line() in text
    for heading in ("### New failures (4)", "### Fixed (1)", "### Newly skipped (2)", "### Still failing (2)",
                    "### Flaky (1)"):
        assert heading in text
    assert "No regressions." not in text
    assert "| case | feature | model | rule(s) | message |" in text
    row = next(line for line in text.splitlines() if line.startswith("| `responses.text.string_input"))
    assert row == ("| `responses.text.string_input[stream=true]` | Text completions | ref-text-1 | `usage.total` | "
                   "$.usage.total_tokens: total_tokens 6 != input_tokens 4 + output_tokens 1 |")
    changed = next(line for line in text.splitlines() if line.startswith("| `structured.schema`"))
    assert "`structured.schema` → `structured.json`" in changed
    skipped = next(line for line in text.splitlines() if line.startswith("| `vision.url`"))
    assert "profile: vision not supported (was passed)" in skipped
    assert "Cases added since the baseline (3)" in text and "Cases no longer in the run (2)" in text
    for line in text.splitlines():  # every table row has exactly five cells
        if line.startswith("| "):
            assert len(line.replace("\\|", "").split("|")) == 7, line


def test_markdown_without_regressions_says_so():
    diff = diff_runs(run(case("a", "failed", rules=["status"])), run(case("a")))
    text = render_markdown(diff)
    assert "No regressions." in text and "### Fixed (1)" in text and "New failures" not in text


def test_markdown_escapes_pipes_and_html_and_shortens():
    message = "bad | value <script>alert(1)</script> " + "x" * 300
    diff = diff_runs(run(case("a|b")), run(case("a|b", "failed", rules=["output.text"], message=message)))
    text = render_markdown(diff)
    row = next(line for line in text.splitlines() if line.startswith("| `a"))
    assert "`a\\|b`" in row
    assert "bad \\| value" in row
    assert "<script" not in text and "&lt;script&gt;" in text
    assert "…" in row and "x" * 200 not in row
    assert len(row.replace("\\|", "").split("|")) == 7


def test_markdown_caps_rows():
    many = [case(f"c{i:03}", "failed", rules=["status"]) for i in range(12)]
    text = render_markdown(diff_runs(run(), run(*many)), max_rows=5)
    assert "| … and 7 more | | | | |" in text
    assert "c004" in text and "c005" not in text.split("### New failures")[1].split("… and")[0]


def test_added_and_removed_are_counted_not_all_listed():
    diff = diff_runs(run(*[case(f"old{i:02}") for i in range(25)]), run(*[case(f"new{i:02}") for i in range(25)]))
    text = render_markdown(diff)
    assert "Cases added since the baseline (25)" in text and "and 15 more" in text
    assert "new24" not in text


def test_md_escape_and_shorten():
    assert md_escape("a|b\nc") == "a\\|b c"
    assert md_escape("total_tokens") == "total_tokens"
    assert md_escape("_x_ *y*") == "\\_x\\_ \\*y\\*"
    assert md_escape("<b>&") == "&lt;b&gt;&amp;"
    assert shorten("a" * 200) == "a" * 119 + "…"
    assert len(shorten("a" * 200)) == 120 and shorten("short") == "short"


def test_text_lines():
    lines = render_text(diff_runs(BASELINE, CURRENT))
    assert lines[0].startswith("respcheck diff: 4 new failures")
    joined = "\n".join(lines)
    assert "NEW FAILURE" in joined and "[usage.total]" in joined
    assert "tools.call.auto  was failed" in joined
    assert "vision.url  profile: vision not supported (was passed)" in joined
    assert "1 case(s) on the same rules" in joined  # reasoning.effort: counted, not listed
    assert "structured.schema  rules structured.schema → structured.json" in joined
    assert "errors.auth.missing_key  passed after 2 retries" in joined
    assert all(len(line) < 220 for line in lines)


def test_text_lines_are_capped():
    many = [case(f"c{i:03}", "failed", rules=["status"]) for i in range(30)]
    lines = render_text(diff_runs(run(), run(*many)), limit=10)
    assert len(lines) == 12 and lines[-1].strip() == "… and 20 more"


def test_dataclass_shapes():
    diff = diff_runs(BASELINE, CURRENT)
    assert isinstance(diff, RunDiff) and all(isinstance(e, CaseChange) for e in diff.new_failures)
    assert [key for key, _, _ in diff.sections()] == ["new_failures", "fixed", "newly_skipped", "still_failing",
                                                      "flaky"]


# -- load_results -----------------------------------------------------------------------------------------

def write(tmp_path, name, document) -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return str(path)


def test_load_results(tmp_path):
    path = write(tmp_path, "results.json", CURRENT)
    assert load_results(path) == CURRENT
    assert load_results(tmp_path) == CURRENT  # a directory holding results.json


@pytest.mark.parametrize("content, problem", [
    (None, "no such file"),
    ("{not json", "not valid JSON"),
    ("[]", "not a respcheck results file"),
    ('{"counts": {}}', "no 'cases' list"),
    ('{"cases": {}}', "no 'cases' list"),
    ('{"cases": [{"outcome": "passed"}]}', "case #0 has no 'name'"),
])
def test_load_results_errors_name_the_file(tmp_path, content, problem):
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_results(path)
    assert str(path) in str(info.value) and problem in str(info.value)


def test_load_results_not_utf8(tmp_path):
    path = tmp_path / "results.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match="results.json"):
        load_results(path)


# -- respcheck diff ---------------------------------------------------------------------------------------

def test_cli_prints_markdown_and_fails_on_regression(tmp_path, capsys):
    a, b = write(tmp_path, "a.json", BASELINE), write(tmp_path, "b.json", CURRENT)
    assert main(["diff", a, b]) == 1
    out = capsys.readouterr().out
    assert out.startswith("## respcheck: regression diff") and "### New failures (4)" in out


def test_cli_text_format(tmp_path, capsys):
    a, b = write(tmp_path, "a.json", BASELINE), write(tmp_path, "b.json", CURRENT)
    assert main(["diff", a, b, "--format", "text"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("respcheck diff: 4 new failures") and "##" not in out


def test_cli_output_file(tmp_path, capsys):
    a, b = write(tmp_path, "a.json", BASELINE), write(tmp_path, "b.json", CURRENT)
    target = tmp_path / "summary.md"
    assert main(["diff", a, b, "--output", str(target)]) == 1
    assert target.read_text(encoding="utf-8") == render_markdown(diff_runs(BASELINE, CURRENT))
    assert capsys.readouterr().out.strip() == diff_runs(BASELINE, CURRENT).summary_line()


def test_cli_unwritable_output(tmp_path, capsys):
    a = write(tmp_path, "a.json", BASELINE)
    assert main(["diff", a, a, "--output", str(tmp_path / "missing" / "out.md")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_cli_fail_on(tmp_path, capsys):
    still = run(case("a", "failed", rules=["status"]), case("b"))
    a, b = write(tmp_path, "a.json", still), write(tmp_path, "b.json", still)
    assert main(["diff", a, b]) == 0  # failing before and now: no regression
    assert main(["diff", a, b, "--fail-on", "regression"]) == 0
    assert main(["diff", a, b, "--fail-on", "any"]) == 1
    clean = write(tmp_path, "clean.json", run(case("a"), case("b")))
    assert main(["diff", a, clean, "--fail-on", "any"]) == 0
    regressed = write(tmp_path, "regressed.json", run(case("a"), case("b", "error")))
    assert main(["diff", clean, regressed, "--fail-on", "never"]) == 0
    assert main(["diff", clean, regressed]) == 1
    capsys.readouterr()


def test_cli_clean_run_exits_zero(tmp_path, capsys):
    a = write(tmp_path, "a.json", run(case("a")))
    assert main(["diff", a, a]) == 0
    assert "No regressions." in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["missing.json", "broken.json", "list.json"])
def test_cli_unreadable_file_exits_two_with_one_line(tmp_path, capsys, bad):
    write(tmp_path, "broken.json", "{oops")
    write(tmp_path, "list.json", "[1, 2]")
    good = write(tmp_path, "good.json", run(case("a")))
    for argv in (["diff", str(tmp_path / bad), good], ["diff", good, str(tmp_path / bad)]):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("respcheck: ") and bad in lines[0]


def test_cli_usage_error(capsys):
    assert main(["diff", "only-one.json"]) == 2
    assert main(["diff", "a", "b", "--fail-on", "sometimes"]) == 2
    capsys.readouterr()
