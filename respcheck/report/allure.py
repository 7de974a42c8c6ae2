"""Allure labels, steps and attachments for a case (only when allure-pytest
is active, i.e. with --alluredir): epic = profile, feature = area, story =
case id; one step per request and one per broken rule; the request JSON,
the response or SSE transcript, the event table and the curl line attached."""

from __future__ import annotations

import json

from ..runner import CaseRun
from .curl import curl_command
from .secrets import Masker
from .transcript import render_transcript


def _active(item) -> bool:
    return bool(getattr(item.config.option, "allure_report_dir", None))


def attach_to_allure(item, run: CaseRun, masker: Masker, profile: str) -> None:
    if not _active(item):
        return
    import allure

    case = run.case
    allure.dynamic.epic(profile)
    allure.dynamic.feature(case.area)
    allure.dynamic.story(case.id)
    allure.dynamic.title(f"{case.name}: {case.title}")
    if case.feature:
        allure.dynamic.label("seed_feature", case.feature)
    for step_run in run.steps:
        ex = step_run.exchange
        if ex is None:
            continue
        answer = f"HTTP {ex.status}" if ex.status is not None else "no answer"
        with allure.step(f"{step_run.step.name}: {ex.method} {masker.text(ex.url)} -> {answer}"):
            allure.attach(masker.text(_pretty(ex.request_body)), name="request",
                          attachment_type=allure.attachment_type.JSON)
            if ex.streamed and step_run.stream is not None:
                allure.attach(masker.text(_event_table(step_run.stream.frames)), name="event table",
                              attachment_type=allure.attachment_type.TEXT)
            else:
                allure.attach(masker.text(_pretty(ex.body)), name="response",
                              attachment_type=allure.attachment_type.JSON)
            allure.attach(curl_command(ex, masker, stream=ex.streamed), name="curl",
                          attachment_type=allure.attachment_type.TEXT)
    for failure in run.failures:
        with allure.step(f"✗ {failure.rule}: {masker.text(failure.message)[:200]}"):
            pass
    if not run.failures:
        with allure.step("every rule held"):
            pass
    allure.attach(render_transcript(run, masker), name="transcript", attachment_type=allure.attachment_type.TEXT)


def _pretty(raw: bytes | None) -> str:
    if not raw:
        return ""
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _event_table(frames) -> str:
    rows = ["index  ms        offset    event"]
    rows += [f"{f.index:<6} {f.t * 1000:<9.1f} {f.offset:<9} {f.event or '(none)'}  {f.data[:160]}" for f in frames]
    return "\n".join(rows)
