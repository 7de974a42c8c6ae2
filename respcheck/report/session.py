"""Everything a run leaves behind, gathered from test reports into one
results document and derived from it at the end: results.json, the
feature-support view, the feature × model matrix (Markdown, HTML, terminal),
the regression diff against a baseline — and the exit code that `--fail-on`
asks for. Workers of an xdist run only report; the controller (or the single
process) writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from .features import FeatureView
from .printable import printable
from .results import ResultsCollector


class RunReport:
    def __init__(self, report_dir: str | None, baseline: str | None, fail_on: str):
        self.dir = Path(report_dir) if report_dir else None
        self.baseline = baseline
        self.fail_on = fail_on
        self.features = FeatureView()
        self.matrix_text: list[str] = []
        self.root_cause_text: list[str] = []
        self.coverage_text: list[str] = []
        self.known_text: list[str] = []
        self.compat_text: list[str] = []
        self.compat_failed = False  # a real client broke on some case's answers
        self.results = ResultsCollector()
        self.diff = None
        self.written: list[Path] = []
        self.error: str | None = None

    def clear_transcripts(self) -> None:
        """Transcripts of an earlier run would pass for this one's."""
        folder = self.dir / "transcripts" if self.dir is not None else None
        if folder is not None and folder.is_dir():
            for old in folder.glob("*.txt"):
                old.unlink()

    # A plugin object: registered once per process.
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.results.rootpath = Path(session.config.rootpath)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.results.add(report)

    def pytest_report_teststatus(self, report, config):
        """A case whose failures are all known deviations: `k` / KNOWN, counted as known."""
        if report.when == "call" and report.passed and ("known", "true") in getattr(report, "user_properties", ()):
            return "known", "k", ("KNOWN", {"yellow": True})
        return None

    @property
    def has_cases(self) -> bool:
        return bool(self.results.cases)

    def finish(self, profile: str, target: str) -> None:
        from .matrix import build_matrix, render_text
        from .coverage import render_text as render_coverage
        from .rootcause import render_text as render_root_causes

        document = self.results.document(profile, target)
        self.features = FeatureView.from_results(document)
        self.matrix_text = render_text(build_matrix(document))
        self.root_cause_text = render_root_causes(document["root_causes"])
        self.coverage_text = render_coverage(document["coverage"])
        self.known_text = known_deviation_lines(document)
        self.compat_text = compat_lines(document)
        self.compat_failed = any(c.get("compat") == "fail" for c in document["cases"])
        if self.dir is not None:
            self.written.append(self.results.write(self.dir, document))
            self.written.append(self.features.write(self.dir, profile, target))
            self.written += _write_matrix(self.dir, document, profile)
        if self.baseline:
            from .diff import diff_runs, load_results, render_markdown

            try:
                self.diff = diff_runs(load_results(self.baseline), document)
            except ValueError as exc:
                self.error = f"--baseline: {exc}"
                return
            if self.dir is not None:
                path = self.dir / "diff.md"
                path.write_text(render_markdown(self.diff), encoding="utf-8")
                self.written.append(path)

    def exit_status(self, current: int) -> int:
        """--fail-on regression: only new failures against the baseline fail the run;
        --fail-on compat: only a case some real client breaks on."""
        if self.error:
            return pytest.ExitCode.USAGE_ERROR
        if self.fail_on == "compat" and current in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            return pytest.ExitCode.TESTS_FAILED if self.compat_failed else pytest.ExitCode.OK
        if self.fail_on == "regression" and self.diff is not None and current == pytest.ExitCode.TESTS_FAILED:
            return pytest.ExitCode.TESTS_FAILED if self.diff.has_regressions else pytest.ExitCode.OK
        return current

    def summary(self, terminal, profile: str) -> None:
        terminal.section(f"respcheck feature support: profile {profile}")
        for line in self.features.lines():
            terminal.write_line(line)
        if self.matrix_text:
            terminal.section("respcheck model x feature matrix")
            for line in self.matrix_text:
                terminal.write_line(line)
        if self.coverage_text:
            terminal.section("respcheck contract coverage (exercised/known; see results.json \"coverage\")")
            for line in self.coverage_text:
                terminal.write_line(line)
        if self.compat_text:
            terminal.section("respcheck real clients (strict: the contract; compat: no client breaks)")
            for line in self.compat_text:
                terminal.write_line(printable(line), red=": breaks " in line or ": differs " in line)
        if self.root_cause_text:
            terminal.section("respcheck root causes (failures grouped by rule and message)")
            for line in self.root_cause_text:
                terminal.write_line(line)
        if self.known_text:
            terminal.section("respcheck known deviations (the profile's known_deviations)")
            for line in self.known_text:
                terminal.write_line(printable(line), yellow=line.startswith("known deviation "))
        if self.error:
            terminal.write_line(f"respcheck: {self.error}", red=True)
        if self.diff is not None:
            from .diff import render_text

            terminal.section("respcheck regression diff")
            for line in render_text(self.diff):
                terminal.write_line(line)
        for path in self.written:
            terminal.write_line(f"written: {path}")


def known_deviation_lines(document: dict) -> list[str]:
    """The cases passed as known, their failures marked with the declaration;
    then each declared deviation that cases ran for and did not show."""
    lines = []
    for case in document["cases"]:
        if case.get("outcome") != "known":
            continue
        lines.append(f"{case['name']}: known")
        for failure in case.get("failures") or ():
            known = failure.get("known") or {}
            step = f" (step {failure['step']})" if failure.get("step") else ""
            where = f" {failure['path']}:" if failure.get("path") else ""
            lines.append(f"  ✗ [{failure.get('rule')}]{step}{where} {failure.get('message')}")
            lines.append(f"      known deviation: {known.get('reason')}"
                         f"{'; ' + known['ticket'] if known.get('ticket') else ''} ({known.get('declared_at')})")
    for entry in document.get("known_deviations") or ():
        if not entry.get("occurred_in"):
            lines.append(f"known deviation {entry['rule']} ({entry['reason']}) did not occur in this run "
                         f"({entry['cases_run']} case(s) could show it): remove it from {entry['declared_at']}")
    return lines


def compat_lines(document: dict) -> list[str]:
    from .compat import summary_lines

    return summary_lines(document)


def _write_matrix(directory: Path, document: dict, profile: str) -> list[Path]:
    from .matrix import build_matrix, render_html, render_markdown

    matrix = build_matrix(document)
    md, html = directory / "matrix.md", directory / "matrix.html"
    md.write_text(render_markdown(matrix), encoding="utf-8")
    html.write_text(render_html(matrix, f"respcheck: profile {profile}"), encoding="utf-8")
    return [md, html]
