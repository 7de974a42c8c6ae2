"""Allure labels, steps and attachments for a case (only when allure-pytest
is active, i.e. with --alluredir): epic = profile, feature = area, story =
case id; one step per request and one per broken rule; the request JSON,
the response or SSE transcript, the event table and the curl line attached."""

from __future__ import annotations

from ..execution.runner import CaseRun
from .curl import curl_command
from .excerpt import body_text, frame_summary, frame_view, omitted_marker
from .printable import one_line, printable
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
    clients = dict(item.user_properties).get("clients")
    if clients:  # the client verdicts (also a JUnit property: pytest writes user properties there)
        allure.attach(clients, name="client verdicts", attachment_type=allure.attachment_type.JSON)
    for step_run in run.steps:
        ex = step_run.exchange
        if ex is None:
            continue
        answer = f"HTTP {ex.status}" if ex.status is not None else "no answer"
        with allure.step(one_line(f"{step_run.step.name}: {ex.method} {masker.text(ex.url)} -> {answer}")):
            allure.attach(_pretty(ex.request_body, masker), name="request",
                          attachment_type=allure.attachment_type.JSON)
            if ex.streamed and step_run.stream is not None:
                allure.attach(_event_table(getattr(step_run.stream, "frames", None) or [], masker),
                              name="event table", attachment_type=allure.attachment_type.TEXT)
            else:
                allure.attach(_pretty(ex.body, masker), name="response",
                              attachment_type=allure.attachment_type.JSON)
            allure.attach(curl_command(ex, masker, stream=ex.streamed), name="curl",
                          attachment_type=allure.attachment_type.TEXT)
    for failure in run.failures:
        with allure.step(one_line(f"✗ {failure.rule}: {masker.text(failure.message)[:200]}")):
            pass
    if not run.failures:
        with allure.step("every rule held"):
            pass
    allure.attach(render_transcript(run, masker), name="transcript", attachment_type=allure.attachment_type.TEXT)


def _pretty(raw: bytes | None, masker: Masker) -> str:
    """The body as the transcript shows it (capped, masked before the cut), control characters escaped."""
    if not raw:
        return ""
    return printable(masker.text(body_text(masker.data(raw))))


def _event_table(frames, masker: Masker) -> str:
    rows = ["index  ms        offset    event"]
    for item in frame_view(frames):
        if isinstance(item, int):
            rows.append(f"[{omitted_marker(item, 'events')}]")
            continue
        rows.append(f"{item.index:<6} {item.t * 1000:<9.1f} {item.offset:<9} {one_line(str(item.event or '(none)'))}  "
                    f"{frame_summary(item, 160, mask=masker.text)}")
    return printable(masker.text("\n".join(rows)))
