"""Running one case: fill in placeholders, send each step, run the checks.

Nothing here knows pytest; the plugin turns a `CaseRun` into an outcome.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from ..model import casedata
from ..model.case import Case, Step, display_path
from ..model.error_codes import KNOWN_CODES, KNOWN_TYPES
from ..checks import CheckContext, run_checks
from ..exchange.client import Client, Exchange
from ..failures import Failure
from ..model.jsonpath import MISSING, get
from ..model.layers import overlay, paths_of as value_paths
from ..model.paths import paths_of
from ..model.profile import Decision, Profile
from ..model.matchers import mismatch
from ..stream import StreamChecker
from ..stream.chat import ChatStreamChecker
from ..model.templating import TemplateError, render


@dataclass
class StepRun:
    step: Step
    exchange: Exchange | None
    expect: dict
    rejected: Decision | None = None
    stream: StreamChecker | None = None  # for streamed steps: the events and what they built
    path: str = ""  # the logical endpoint path (what the checks, and the client verdicts, decide on)
    streaming: bool = False  # the request asked for a stream
    query: dict | None = None  # the request's query parameters (the stored-state calls' options)

    def __repr__(self) -> str:  # short, and free of bodies (a gateway may echo the key in them)
        status = self.exchange.status if self.exchange is not None else None
        return f"StepRun({self.step.name!r}, status={status})"


@dataclass
class CaseRun:
    case: Case
    steps: list[StepRun] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    note: str = ""  # e.g. "stopped after step 'create': rejected as the profile says"

    def __repr__(self) -> str:  # messages quote the answer; `pytest -l` must not show them unmasked
        return f"CaseRun({self.case.name!r}, steps={self.steps!r}, rules={sorted({f.rule for f in self.failures})})"


def template_context(case: Case, profile: Profile, models: dict[str, str], base_url: str = "") -> dict:
    canonical_codes = {**{c: c for c in KNOWN_CODES}, **profile.error_codes}
    canonical_types = {**{t: t for t in KNOWN_TYPES}, **profile.error_types}
    first = case.models[0] if case.models else "text"
    return {
        "models": dict(models), "model": models.get(first),
        "errors": canonical_codes, "error_types": canonical_types,
        "matrix": dict(case.matrix), "captured": {}, "profile": {"name": profile.name},
        "run_id": casedata.RUN_ID, "target": {"base_url": base_url},
        "assets": casedata.assets(base_url, profile.assets, paths_of(profile)), "text": {"long_prompt": casedata.long_prompt()},
    }


def rejection_expectations(decision: Decision) -> dict:
    rejected = decision.rejection or {}
    error = {k: rejected[k] for k in ("type", "code", "param") if k in rejected}
    expect: dict = {"status": rejected["status"]}
    if error:
        expect["error"] = error
    return expect


def _encode(request: dict) -> tuple[bytes | None, str | None]:
    if "raw_body" in request:
        return request["raw_body"].encode("utf-8"), request.get("content_type", "application/json")
    if "body" in request:
        return json.dumps(request["body"]).encode("utf-8"), request.get("content_type", "application/json")
    return None, request.get("content_type")


def _expected_stream_error(expect: dict, checker, step: str) -> list[Failure]:
    wanted = (expect.get("stream") or {}).get("error")
    if not wanted:
        return []
    found = checker.error_event
    if found is None:
        return [Failure("stream.error_expected", "the case expects an error in the stream; none came", step=step)]
    error = found.get("error") if isinstance(found.get("error"), dict) else found
    failures = []
    for key, spec in wanted.items():
        reason = mismatch(spec, error.get(key, MISSING))
        if reason:
            failures.append(Failure("stream.error_expected", f"the stream's error {key}: {reason}", step=step))
    return failures


# What a case itself expects of a step (its status, error, fields, output,
# schema, stream pattern): when one of these fails, what the step returned is
# not what later steps were written for. Universal rules (schemas, usage,
# headers, stream grammar) may fail on an answer later steps can still use.
CASE_EXPECTATION_RULES = frozenset({
    "transport", "template", "status", "header", "content_type", "error.type", "error.code", "error.param",
    "error.message", "schema", "field", "output.items", "output.text", "stream.sequence",
    "stream.error_expected", "capture", "body.json", "stream.json", "stream.cut", "stream.stall",
    "stream.too_long", "stream.terminal", "internal"})


def profile_expect(case: Case, step: Step, profile: Profile) -> tuple[dict, dict]:
    """The step's expectations with the profile's override merged in deeply
    (`cases.<id>.expect`, or `cases.<id>.steps.<name>.expect`), and for
    CheckContext.sources: every path of the result -> "file:line" of the
    profile where the profile wrote it, None where the case did (so that a
    failure cites whichever wrote the expectation it broke)."""
    override, written = profile.step_override(case.id, None if case.single else step.name)
    if not override:
        return step.expect, {}
    origins: dict = dict.fromkeys(value_paths(step.expect))  # the case's own: None

    def origin_of(path: tuple) -> str | None:
        while path not in written and path:
            path = path[:-1]
        source = written.get(path)
        return f"{display_path(source[0])}:{source[1]}" if source else None

    merged = overlay(step.expect, override, origins, origin_of)
    return merged, {("expect",) + path: origin for path, origin in origins.items() if path}


def _later_steps_can_run(failures: list[Failure], step: Step, ctx: CheckContext) -> bool:
    if any(f.rule in CASE_EXPECTATION_RULES for f in failures):
        return False
    return ctx.body is not MISSING and all(get(ctx.body, path) is not MISSING for path in step.capture.values())


def _in_step(failure: Failure, ctx: CheckContext) -> Failure:
    if failure.rule != "stream.sequence":
        return Failure(failure.rule, failure.message, failure.path, ctx.step)
    source = ctx.source("stream", "sequence")
    line = None if source else ctx.lines.get(("expect", "stream", "sequence"))
    return Failure(failure.rule, failure.message, failure.path, ctx.step, line, source)


def _query_flag(query, name: str) -> bool:
    value = (query or {}).get(name) if isinstance(query, dict) else None
    return value is True or (isinstance(value, str) and value.lower() == "true")


POLL_ATTEMPTS, POLL_INTERVAL = 10, 1.0


def _poll(client: Client, exchange: Exchange, poll: dict, context: dict, send) -> Exchange:
    """Send again while the answer does not match `poll.until` (a background
    response not finished yet) and attempts remain; the last answer is judged."""
    until = render(poll["until"], context)
    attempts = poll.get("attempts", POLL_ATTEMPTS)
    for _ in range(attempts - 1):
        body = exchange.json if exchange.error is None else MISSING
        if exchange.error or not isinstance(body, dict):
            return exchange  # nothing to wait on: the checks say what is wrong
        if all(mismatch(spec, get(body, path)) is None for path, spec in until.items()):
            return exchange
        time.sleep(poll.get("interval", POLL_INTERVAL))
        exchange = send()
    return exchange


def run_case(case: Case, client: Client, profile: Profile, models: dict[str, str],
             replace_expect: dict | None = None) -> CaseRun:
    """`replace_expect`: what a single-request case expects instead of its own
    expectations (--discover: the refusal a model owes); the profile's
    `cases:` overrides are merged in here otherwise."""
    run = CaseRun(case)
    context = template_context(case, profile, models, client.target.base_url)
    for index, step in enumerate(case.steps):
        requires = case.requires + step.requires if case.single else step.requires
        decision = profile.decide(requires)
        name = step.name if len(case.steps) > 1 else ""
        sources: dict = {}
        try:
            request = render(step.request, context)
            if decision.kind == "reject":
                expect = rejection_expectations(decision)
            elif case.single and replace_expect is not None:
                expect = render(replace_expect, context)
            else:
                written, sources = profile_expect(case, step, profile)
                expect = render(written, context)
        except TemplateError as exc:
            run.failures.append(Failure("template", str(exc), step=name, line=step.line))
            return run
        body, content_type = _encode(request)
        method = request.get("method") or ("POST" if body is not None else "GET")
        path = request.get("path", "/responses")  # logical: what the checks decide on
        wire_path = paths_of(profile).target(path)  # where the profile says the endpoint is
        headers = client.build_headers(request.get("auth", "default"), request.get("headers"), content_type)
        streaming = (method == "POST" and isinstance(request.get("body"), dict) and request["body"].get("stream") is True) \
            or (method == "GET" and _query_flag(request.get("query"), "stream"))  # a stored response replayed
        checker = None
        if streaming:
            if path.rstrip("/") == "/chat/completions":
                settings = {**profile.settings, "accept_error_types": tuple(getattr(profile, "accept_error_types", ()))}
                checker = ChatStreamChecker(settings, request["body"])
            else:
                checker = StreamChecker(profile.settings, (expect.get("stream") or {}).get("sequence"))
            exchange = client.send_stream(method, wire_path, headers=headers, body=body, on_frame=checker.feed,
                                          query=request.get("query"))
        else:
            exchange = client.send(method, wire_path, query=request.get("query"), headers=headers, body=body)
            if step.poll:
                exchange = _poll(client, exchange, step.poll, context,
                                 lambda: client.send(method, wire_path, query=request.get("query"), headers=headers,
                                                     body=body))
        step_run = StepRun(step, exchange, expect, decision if decision.kind == "reject" else None, checker,
                           path=path, streaming=streaming, query=request.get("query"))
        run.steps.append(step_run)
        if exchange.error:
            run.failures.append(Failure("transport", exchange.error, step=name))
            return run
        ctx = CheckContext(exchange=exchange, expect=expect, profile=profile, path=path, method=method,
                           lines=step.lines, step=name, stream_requested=streaming, sources=sources)
        failures = []
        if exchange.streamed:
            if exchange.mislabelled:
                checker.served_as(exchange.content_type)
            failures += [_in_step(f, ctx) for f in checker.finish(exchange.stream_end)
                         if f.rule not in case.skip_rules]
            ctx.stream_body = checker.terminal if checker.terminal is not None else MISSING
            failures += _expected_stream_error(expect, checker, name)
        failures += run_checks(ctx, case.skip_rules)
        run.failures.extend(failures)
        last = index + 1 == len(case.steps)
        if failures and (last or not _later_steps_can_run(failures, step, ctx)):
            if not last:
                run.note = f"later steps were not run after step {step.name!r} failed"
            return run
        if failures:
            run.note = (f"step {step.name!r} broke universal rules only; later steps ran on what it returned, "
                        "so their features are measured too")
        if decision.kind == "reject":
            if index + 1 < len(case.steps):
                run.note = f"stopped after step {step.name!r}: {decision.reason}, as expected"
            return run
        for var, path_expr in step.capture.items():
            value = get(ctx.body, path_expr) if ctx.body is not MISSING else MISSING
            if value is MISSING:
                run.failures.append(Failure("capture", f"nothing at {path_expr} to capture as {var!r}",
                                            path=path_expr, step=name))
                return run
            context["captured"][var] = value
    return run
