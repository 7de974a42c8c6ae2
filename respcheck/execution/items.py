"""pytest items: a case file becomes items, an item runs its case.

What a case needs before it can run (profile decisions, models) is decided
in `plan()` without side effects, so the scheduler can run the case ahead of
pytest; `setup()` turns the same plan into pytest's skip or xfail. The run
itself (`execute`) touches no pytest state and may happen on a worker thread;
recording properties, Allure and the outcome happen in `runtest`, on
pytest's thread, in collection order.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from typing import TYPE_CHECKING

from ..model.case import Case, CaseError, load_case_file
from ..failures import Failure

# What only a run needs (the HTTP client, the checks, the reports) is imported
# when a case runs: `pytest --collect-only` and a lint stay quick.
if TYPE_CHECKING:
    from .discover import Planned
    from .runner import CaseRun
    from ..exchange.target import TargetSession
    from ..model.deviations import Verdict

# Rules a retry may cure: the model's wording. Never schema, order or status.
SEMANTIC_RULES = frozenset({"output.text"})


class CaseFile(pytest.File):
    def collect(self):
        from ..plugin import SEEN_IDS

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
    def __init__(self, run: "CaseRun", verdict: "Verdict | None" = None):
        super().__init__(", ".join(sorted({f.rule for f in run.failures})))
        self.run = run
        self.verdict = verdict


@dataclass(frozen=True)
class Plan:
    skip: str | None = None  # the reason, when the case does not run
    xfail: str | None = None


@dataclass
class Executed:
    run: "CaseRun"
    retries: int
    seconds: float = 0.0  # the case's own time (under --concurrency, pytest's duration is the wait for it)
    clients: object = None  # the client verdicts (--clients): a function giving them (they are judged beside)


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, discovered: "Planned | None" = None, **kwargs):
        super().__init__(**kwargs)
        self.case = case
        self.discovered = discovered  # set for items --discover made for one model of the directory
        self.user_properties.append(("case_id", case.id))
        self.user_properties.append(("case_name", self.name))  # "<case>[matrix]", or "...@model" with --discover
        self.user_properties.append(("area", case.area))
        if case.feature:
            self.user_properties.append(("feature", case.feature))

    @property
    def session_target(self) -> "TargetSession":
        from ..plugin import target_session

        return target_session(self.config)

    def plan(self) -> Plan:
        """Run, skip or expect a failure: what the profile and models say, without side effects."""
        from .discover import CLAIMS

        settings = self.session_target.settings
        profile = settings.profile
        override = profile.cases.get(self.case.id, {})
        if "skip" in override:
            return Plan(skip=f"profile {profile.name!r}: {override['skip']}")
        requires = self.case.all_requires
        if self.discovered is not None:  # the directory, not the profile, speaks for the model's features
            requires = tuple(r for r in requires if r not in CLAIMS)
        decision = profile.decide(requires)
        if decision.kind == "skip":
            return Plan(skip=decision.reason)
        for role in self.case.models or ("text",):
            if not self._models().get(role):
                return Plan(skip=f"profile {profile.name!r} names no model for role {role!r} "
                                 f"(add it, or --model {role}=ID)")
        if "xfail" in override:
            return Plan(xfail=f"profile {profile.name!r}: {override['xfail']}")
        return Plan()

    def setup(self) -> None:
        model = self._models().get((self.case.models or ("text",))[0])
        if model:  # known before any skip, so a skipped case still has its matrix column
            self.user_properties.append(("model", model))
        plan = self.plan()
        if plan.skip:
            pytest.skip(plan.skip)
        if plan.xfail:
            self.add_marker(pytest.mark.xfail(reason=plan.xfail, strict=True))

    def _models(self) -> dict[str, str]:
        models = self.session_target.settings.models
        if self.discovered is not None:
            models = {**models, self.discovered.role: self.discovered.model}
        return models

    def execute(self) -> Executed:
        """Run the case (with --retries); no pytest state is touched, so this
        may run on a scheduler thread. Never raises: a bug of the suite's own
        becomes one `internal` failure instead of a traceback."""
        started = time.monotonic()
        executed = self._guarded()
        executed.seconds = time.monotonic() - started
        return executed

    def _guarded(self) -> Executed:
        from .runner import CaseRun

        session = self.session_target
        if session.breaker.tripped:
            run = CaseRun(self.case)
            run.failures.append(Failure("transport", session.breaker.reason))
            return Executed(run, 0)
        try:
            executed = self._execute(session)
        except Exception as exc:  # noqa: BLE001 - the last guard: a case never crashes the run
            run = CaseRun(self.case)
            reason = (str(exc) or type(exc).__name__).splitlines()[0][:300]
            run.failures.append(Failure("internal", f"respcheck could not finish this case ({type(exc).__name__}: "
                                                    f"{session.masker.text(reason)}); please report it"))
            return Executed(run, 0)
        answered = _answered(executed.run)
        if answered is not None:
            session.breaker.observe(self.name, answered)
        executed.clients = self._judge_clients(executed.run)
        return executed

    def _judge_clients(self, run: "CaseRun"):
        """A function giving the client verdicts (None without clients or steps)."""
        from ..plugin import client_judge

        judge = client_judge(self.config)
        if judge is None or not run.steps:
            return None

        def failed(exc: Exception):
            reason = (str(exc) or type(exc).__name__).splitlines()[0][:200]
            return lambda: {name: {"verdict": "not judged", "detail": f"respcheck could not judge ({reason})",
                                   "version": None} for name in judge.names}

        try:
            pending = judge.start(run)
        except Exception as exc:  # noqa: BLE001 - the verdicts are an addition; never the case's failure
            return failed(exc)

        def verdicts():
            try:
                return pending()
            except Exception as exc:  # noqa: BLE001
                return failed(exc)()

        return verdicts

    def _execute(self, session: "TargetSession") -> Executed:
        from .onboarding import label_broken_claim
        from .runner import run_case

        settings = session.settings
        client = session.start()
        replace = self.discovered.expect_override if self.discovered is not None else None
        retries = 0
        while True:
            run = run_case(self.case, client, settings.profile, self._models(), replace)
            if self.discovered is not None:
                label_broken_claim(run, self.discovered)
            # Only the model's wording is worth asking again; protocol failures are not luck.
            if not run.failures or retries >= self.config.option.retries or not all(
                    f.rule in SEMANTIC_RULES for f in run.failures):
                return Executed(run, retries)
            retries += 1

    def runtest(self) -> None:
        from ..plugin import scheduler
        from ..report.allure import attach_to_allure

        session = self.session_target
        executed = scheduler(self.config).result(self)
        run = executed.run
        self.user_properties.append(("case_seconds", f"{executed.seconds:.6f}"))
        if executed.clients is not None:
            self.user_properties.append(("clients", json.dumps(executed.clients())))
        verdict = self._judge(run)
        self._record(run, session, executed.retries, verdict)
        self._record_deviations(run, verdict)
        attach_to_allure(self, run, session.masker, session.settings.profile.name)
        if run.failures and not self._passes_as_known(verdict):
            raise CaseFailed(run, verdict)

    def _judge(self, run: "CaseRun") -> "Verdict":
        """Which of the run's failures the profile declares known."""
        from ..model.deviations import judge, known_deviations

        deviations = known_deviations(self.session_target.settings.profile)
        return judge(run.failures, deviations, self.name, self.case.id, any(s.stream is not None for s in run.steps))

    def _passes_as_known(self, verdict: "Verdict") -> bool:
        # An xfail entry says the case fails; known deviations do not turn it into a strict XPASS.
        return verdict.all_known and self.get_closest_marker("xfail") is None

    def _record_deviations(self, run: "CaseRun", verdict: "Verdict") -> None:
        """Outcome `known`, and which declared deviations this case could show and
        did (so the run can name those that no longer occur)."""
        if self._passes_as_known(verdict):
            self.user_properties.append(("known", "true"))
        if verdict.in_scope and run.steps:  # nothing sent (a template failure, a tripped breaker): no evidence
            self.user_properties.append(("deviations", json.dumps(
                [{**d.as_record(), "occurred": verdict.occurred(d)} for d in verdict.in_scope])))

    def _record(self, run: "CaseRun", session: "TargetSession", retries: int, verdict: "Verdict | None" = None) -> None:
        """What reports need, as user properties: they travel from xdist workers."""
        from ..report.transcript import write_transcript
        from .coverage import case_coverage
        from ..model.endpoints import step_endpoint

        props = self.user_properties
        statuses = [str(s.exchange.status) for s in run.steps if s.exchange and s.exchange.status]
        props.append(("http_statuses", ",".join(statuses)))
        if run.steps and run.steps[-1].exchange is not None:
            # The logical endpoint as a template ("GET /responses/{id}"): never a stored id, which differs run to run.
            props.append(("endpoint", step_endpoint(run.steps[-1].step.request)))
        types = _output_types(run)
        if types:
            props.append(("output_types", ",".join(types)))
        props.append(("coverage", case_coverage(run, session.settings.profile)))  # see execution/coverage.py
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
            known = verdict.known if verdict is not None else {}
            failures = [{"rule": f.rule, "message": session.masker.text(f.message), "path": f.path, "step": f.step,
                         **({"expected_at": f.source} if f.source else {}),
                         **({"known": known[i].as_record()} if i in known else {})} for i, f in enumerate(run.failures)]
            props.append(("failures", json.dumps(failures)))
            report_dir = self.config.option.report_dir
            if report_dir:
                path = write_transcript(Path(report_dir), run, session.masker)
                props.append(("transcript", str(path.relative_to(report_dir))))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            from ..report.text import render_failure

            verdict = excinfo.value.verdict
            return render_failure(excinfo.value.run, self.session_target.masker,
                                  verbose=self.config.option.verbose > 0, known=verdict.known if verdict else None)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.case.line - 1, f"case {self.case.name}"


def _answered(run: "CaseRun") -> bool | None:
    """Whether the target gave a complete answer in time in this run (for the
    breaker: a server that drips its answers is not answering either); None
    when nothing was sent (a template failure says nothing of the target)."""
    exchanges = [s.exchange for s in run.steps if s.exchange is not None]
    if not exchanges:
        return None
    return any(e.answered for e in exchanges)


def _output_types(run: "CaseRun") -> list[str]:
    """Item types of the last answer's output (for reports and the fault tests)."""
    if not run.steps or run.steps[-1].exchange is None:
        return []
    last = run.steps[-1]
    body = last.stream.terminal if last.exchange.streamed and last.stream is not None else last.exchange.json
    output = body.get("output") if isinstance(body, dict) else None
    if not isinstance(output, list):
        return []
    return sorted({item.get("type") for item in output if isinstance(item, dict) and isinstance(item.get("type"), str)})
