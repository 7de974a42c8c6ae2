"""The pytest plugin: YAML case files become items, the profile decides what
runs, the target is started once per session, failures read like a report.

Public pytest API only (the "non-python tests" pattern).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .case import Case, CaseError, load_case_file
from .discover import CLAIMS, Planned
from .onboarding import discover_items, label_broken_claim
from .recording import clear_recording
from .options import RunSettings, UsageError, add_options, resolve
from .report.allure import attach_to_allure
from .report.session import RunReport
from .report.transcript import write_transcript
from .report.text import render_failure
from .runner import CaseRun, run_case
from .target import TargetSession, Unreachable

SESSION = pytest.StashKey[TargetSession]()
# Rules a retry may cure: the model's wording. Never schema, order or status.
SEMANTIC_RULES = frozenset({"output.text"})
SETTINGS = pytest.StashKey[RunSettings]()
SEEN_IDS = pytest.StashKey[dict]()
REPORT = pytest.StashKey[RunReport]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "respcheck: a respcheck conformance case")
    config.stash[SEEN_IDS] = {}
    report = RunReport(config.option.report_dir, config.option.baseline, config.option.fail_on)
    config.stash[REPORT] = report
    config.pluginmanager.register(report, "respcheck-report")


def _settings(config: pytest.Config) -> RunSettings:
    """Resolved on first need, so `pytest tests` never reads a profile."""
    if SETTINGS not in config.stash:
        try:
            config.stash[SETTINGS] = resolve(config)
        except UsageError as exc:
            raise pytest.UsageError(f"respcheck: {exc}") from None
    return config.stash[SETTINGS]


def _is_case_file(file_path: Path, root: Path) -> bool:
    if file_path.suffix not in (".yaml", ".yml"):
        return False
    try:
        parts = file_path.relative_to(root).parts
    except ValueError:
        parts = file_path.parts
    return "cases" in parts[:-1]


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if _is_case_file(file_path, parent.config.rootpath):
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self):
        try:
            cases = load_case_file(self.path)
        except CaseError as exc:
            yield BrokenCaseItem.from_parent(self, name="case-file-error", error=exc)
            return
        seen = self.config.stash[SEEN_IDS]
        for case in cases:
            if case.name in seen:
                error = CaseError(self.path, case.line, f"case id {case.id!r} is already used at {seen[case.name]}",
                                  case.id)
                yield BrokenCaseItem.from_parent(self, name=case.name, error=error)
                continue
            seen[case.name] = f"{self.path}:{case.line}"
            item = CaseItem.from_parent(self, name=case.name, case=case)
            for tag in case.tags:
                self.config.addinivalue_line("markers", f"{tag}: respcheck case tag")
                item.add_marker(tag)
            item.add_marker("respcheck")
            yield item


class CaseFileFailure(Exception):
    pass


class BrokenCaseItem(pytest.Item):
    """Stands for a case file (or case) that cannot be used: it fails with the
    file, line and rule, and the rest of the run goes on."""

    def __init__(self, *, error: CaseError, **kwargs):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise CaseFileFailure(self.error.render())

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFileFailure):
            return f"[case-file] {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, (self.error.line or 1) - 1, f"case file {self.path.name}"


class CaseFailed(Exception):
    def __init__(self, run: CaseRun):
        super().__init__(", ".join(sorted({f.rule for f in run.failures})))
        self.run = run


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, discovered: Planned | None = None, **kwargs):
        super().__init__(**kwargs)
        self.case = case
        self.discovered = discovered  # set for items --discover made for one model of the directory
        self.case_run: CaseRun | None = None
        self.user_properties.append(("case_id", case.id))
        self.user_properties.append(("case_name", self.name))  # "<case>[matrix]", or "...@model" with --discover
        self.user_properties.append(("area", case.area))
        if case.feature:
            self.user_properties.append(("feature", case.feature))

    def setup(self) -> None:
        settings = _settings(self.config)
        profile = settings.profile
        model = self._models().get((self.case.models or ("text",))[0])
        if model:  # known before any skip, so a skipped case still has its matrix column
            self.user_properties.append(("model", model))
        override = profile.cases.get(self.case.id, {})
        if "skip" in override:
            pytest.skip(f"profile {profile.name!r}: {override['skip']}")
        requires = self.case.all_requires
        if self.discovered is not None:  # the directory, not the profile, speaks for the model's features
            requires = tuple(r for r in requires if r not in CLAIMS)
        decision = profile.decide(requires)
        if decision.kind == "skip":
            pytest.skip(decision.reason)
        for role in self.case.models or ("text",):
            if not self._models().get(role):
                pytest.skip(f"profile {profile.name!r} names no model for role {role!r} (add it, or --model {role}=ID)")
        if "xfail" in override:
            self.add_marker(pytest.mark.xfail(reason=f"profile {profile.name!r}: {override['xfail']}", strict=True))

    def _models(self) -> dict[str, str]:
        models = _settings(self.config).models
        if self.discovered is not None:
            models = {**models, self.discovered.role: self.discovered.model}
        return models

    def runtest(self) -> None:
        session = self.config.stash[SESSION]
        settings = session.settings
        client = session.start()
        override = settings.profile.cases.get(self.case.id, {}).get("expect")
        replace = False
        if self.discovered is not None and self.discovered.expect_override is not None:
            override, replace = self.discovered.expect_override, True
        retries = 0
        while True:
            run = run_case(self.case, client, settings.profile, self._models(), override, replace)
            if self.discovered is not None:
                label_broken_claim(run, self.discovered)
            # Only the model's wording is worth asking again; protocol failures are not luck.
            if not run.failures or retries >= self.config.option.retries or not all(
                    f.rule in SEMANTIC_RULES for f in run.failures):
                break
            retries += 1
        self.case_run = run
        self._record(run, session, retries)
        attach_to_allure(self, run, session.masker, settings.profile.name)
        if run.failures:
            raise CaseFailed(run)

    def _record(self, run: CaseRun, session: TargetSession, retries: int) -> None:
        """What reports need, as user properties: they travel from xdist workers."""
        props = self.user_properties
        statuses = [str(s.exchange.status) for s in run.steps if s.exchange and s.exchange.status]
        props.append(("http_statuses", ",".join(statuses)))
        if run.steps and run.steps[-1].exchange is not None:
            last = run.steps[-1].exchange
            props.append(("endpoint", f"{last.method} {last.url.split('/v1', 1)[-1] if '/v1' in last.url else last.url}"))
        types = _output_types(run)
        if types:
            props.append(("output_types", ",".join(types)))
        if any(s.rejected is not None for s in run.steps):
            props.append(("rejected", "true"))
        if any(s.exchange is not None and s.exchange.streamed for s in run.steps):
            props.append(("streamed", "true"))
        if retries:
            props.append(("retries", str(retries)))
            if not run.failures:
                props.append(("flaky", "true"))
        if run.failures:
            props.append(("failed_rules", ",".join(sorted({f.rule for f in run.failures}))))
            failures = [{"rule": f.rule, "message": session.masker.text(f.message), "path": f.path, "step": f.step}
                        for f in run.failures]
            props.append(("failures", json.dumps(failures)))
            report_dir = self.config.option.report_dir
            if report_dir:
                path = write_transcript(Path(report_dir), run, session.masker)
                props.append(("transcript", str(path.relative_to(report_dir))))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            session = self.config.stash[SESSION]
            return render_failure(excinfo.value.run, session.masker, verbose=self.config.option.verbose > 0)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.case.line - 1, f"case {self.case.name}"


def _output_types(run: CaseRun) -> list[str]:
    """Item types of the last answer's output (for reports and the fault tests)."""
    if not run.steps or run.steps[-1].exchange is None:
        return []
    last = run.steps[-1]
    body = last.stream.terminal if last.exchange.streamed and last.stream is not None else last.exchange.json
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, list):
        return []
    return sorted({item.get("type") for item in output if isinstance(item, dict) and isinstance(item.get("type"), str)})


def _has_cases(items) -> bool:
    return any(isinstance(item, CaseItem) for item in items)


def _target(config: pytest.Config) -> TargetSession:
    if SESSION not in config.stash:
        config.stash[SESSION] = TargetSession(_settings(config))
    return config.stash[SESSION]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    if not config.option.discover or not _has_cases(items):
        return
    try:
        items[:] = discover_items(items, _target(config), config.option.discover_models, CaseItem)
    except UsageError as exc:
        raise pytest.UsageError(f"respcheck: {exc}") from None


def _clear_previous_run(config: pytest.Config) -> None:
    """An earlier run's transcripts or recording would pass for this one's
    (once, on the controller; only when cases are about to run)."""
    if hasattr(config, "workerinput"):
        return
    config.stash[REPORT].clear_transcripts()
    if config.option.record:
        clear_recording(Path(config.option.record))


@pytest.hookimpl(optionalhook=True, trylast=True)  # optional: xdist is not a dependency of the suite
def pytest_xdist_setupnodes(config, specs) -> None:
    _clear_previous_run(config)  # the controller of an xdist run collects nothing itself


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if config.option.collectonly or not _has_cases(session.items):
        return
    if getattr(config.option, "numprocesses", None) in (None, 0):
        _clear_previous_run(config)
    target = _target(config)
    try:
        client = target.start()
        _announce(config, target.settings, target.masker.text(client.target.base_url))
        target.probe()
    except UsageError as exc:
        target.close()
        raise pytest.UsageError(f"respcheck: {exc}") from None
    except Unreachable as exc:
        target.close()
        pytest.exit(f"respcheck: {exc}", returncode=pytest.ExitCode.INTERRUPTED)


def _announce(config: pytest.Config, settings: RunSettings, base_url: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    where = "embedded reference gateway at " if settings.base_url is None else ""
    if settings.replay_dir:
        where = f"a replay of {settings.replay_dir} (offline), as "
    faults = f", faults: {', '.join(settings.faults)}" if settings.faults else ""
    reporter.write_line(f"respcheck: profile {settings.profile.name}, target {where}{base_url}{faults}")
    if not settings.api_key:
        env = f", or ${settings.profile.api_key_env}" if settings.profile.api_key_env else ""
        reporter.write_line(f"respcheck: no API key given (--api-key, $RESPCHECK_API_KEY{env}); requests go "
                            "without Authorization, so an authenticating gateway will answer 401", yellow=True)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    report = config.stash.get(REPORT, None)
    if report is None or not report.has_cases or hasattr(config, "workerinput"):
        return
    settings = _settings(config)
    target = config.stash[SESSION] if SESSION in config.stash else None
    where = settings.base_url or "embedded reference gateway"
    report.finish(settings.profile.name, target.masker.text(where) if target else where)
    session.exitstatus = report.exit_status(session.exitstatus)


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    report = config.stash.get(REPORT, None)
    if report is None or not report.has_cases or hasattr(config, "workerinput"):
        return
    report.summary(terminalreporter, _settings(config).profile.name)


def pytest_unconfigure(config: pytest.Config) -> None:
    if SESSION in config.stash:
        config.stash[SESSION].close()
