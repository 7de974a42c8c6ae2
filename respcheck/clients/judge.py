"""A case's client verdicts: every step an SDK call matches is replayed into
each client, and the case's verdict per client is the worst of its steps
(the detail names the step). Runs on the case's own worker thread."""

from __future__ import annotations

import threading

from .reading import suite_reading
from .registry import make_views
from .replay import NotJudged, build_replay, operation_of
from .verdict import NOT_JUDGED, OK, judge_view, worst


class ClientJudge:
    """The run's clients, each made on first need and shared by all threads."""

    def __init__(self, names: tuple):
        self.names = tuple(names)
        self._views: dict = {}
        self._lock = threading.Lock()

    def _views_of(self, name: str):
        with self._lock:
            if name not in self._views:
                self._views[name] = make_views(name)
            return self._views[name]

    def judge(self, run) -> dict:
        """{client: {"verdict", "detail", "version"}} for a CaseRun."""
        steps = [_prepared(s) for s in run.steps if s.exchange is not None]
        steps = [s for s in steps if s is not None]
        verdicts = {}
        for name in self.names:
            try:
                views = self._views_of(name)
            except Exception as exc:  # noqa: BLE001 - a client that cannot start judges nothing
                verdicts[name] = {"verdict": NOT_JUDGED, "detail": f"the client did not start: {_line(exc)}",
                                  "version": None}
                continue
            verdicts[name] = _case_verdict(views, steps, multi=len(run.steps) > 1)
        return verdicts

    def close(self) -> None:
        with self._lock:
            for views in self._views.values():
                try:
                    views.close()
                except Exception:  # noqa: BLE001 - closing is best effort at the end of a run
                    pass
            self._views.clear()


def _prepared(step_run):
    """(step name, replay or the NotJudged reason, the suite's reading, stream error) for a step a client call matches."""
    exchange = step_run.exchange
    operation = operation_of(exchange.method, step_run.path, step_run.streaming)
    if operation is None:
        return None
    try:
        replay = build_replay(operation, exchange)
    except NotJudged as reason:
        return step_run.step.name, reason, {}, False
    checker = step_run.stream
    body = exchange.json
    stream_error = False
    if exchange.streamed and checker is not None:
        body = checker.terminal
        stream_error = checker.error_event is not None
    return step_run.step.name, replay, suite_reading(operation, body, replay["request"]), stream_error


def _case_verdict(views, steps: list, multi: bool) -> dict:
    found = []
    for step, replay, reading, stream_error in steps:
        if isinstance(replay, NotJudged):
            found.append((NOT_JUDGED, str(replay), step))
            continue
        try:
            verdict, detail = judge_view(views.view(replay), replay["status"], reading, stream_error)
        except NotJudged as reason:
            verdict, detail = NOT_JUDGED, str(reason)
        except Exception as exc:  # noqa: BLE001 - the judging's own failure is not the target's
            verdict, detail = NOT_JUDGED, f"respcheck could not judge this answer ({type(exc).__name__}: {_line(exc)})"
        found.append((verdict, detail, step))
    if not found:
        return {"verdict": NOT_JUDGED, "detail": "no step of this case is a call the client makes",
                "version": views.version}
    verdict = worst([v for v, _, _ in found])
    verdict_step = next((f for f in found if f[0] == verdict), found[0])
    detail = verdict_step[1]
    if multi and detail and verdict != OK:
        detail = f"step {verdict_step[2]}: {detail}"
    return {"verdict": verdict, "detail": detail, "version": views.version}


def _line(exc: BaseException) -> str:
    text = (str(exc) or type(exc).__name__).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
