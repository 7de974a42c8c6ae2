"""A case's client verdicts (the room: `registry` names the clients, `replay`
turns an exchange into what a client is handed, `python_openai` / `python_auriko`
(in the helper process) and `node` give the SDK's view, `reading` the suite's
own, `verdict` compares them). Every step an SDK call matches is replayed into
each client, and the case's verdict per client is the worst of its steps
(the detail names the step). Queued from the case's own worker thread."""

from __future__ import annotations

import threading

from .reading import suite_reading
from . import helper
from .registry import PYTHON_CLIENTS, make_views
from .replay import NotJudged, build_replay, operation_of
from .verdict import NOT_JUDGED, OK, judge_view, worst


class ClientJudge:
    """The run's clients. The Python SDKs judge in the helper process (see
    helper.py), asynchronously: `start` queues a case's replays and returns
    at once, the verdicts are read when the case is reported. The others
    (Node: its own long-lived process already) judge on the case's thread,
    each made on first need and shared by all threads."""

    def __init__(self, names: tuple, in_helper: bool = True):
        self.names = tuple(names)
        self._helped = tuple(n for n in self.names if in_helper and n in PYTHON_CLIENTS)
        self._views: dict = {}
        self._lock = threading.Lock()
        self._versions = helper.versions(self._helped) if self._helped else None

    def _views_of(self, name: str):
        with self._lock:
            if name not in self._views:
                self._views[name] = make_views(name)
            return self._views[name]

    def judge(self, run) -> dict:
        """{client: {"verdict", "detail", "version"}} for a CaseRun."""
        return self.start(run)()

    def start(self, run):
        """Queue the case's judging; the returned function gives its verdicts."""
        steps = [_prepared(s) for s in run.steps if s.exchange is not None]
        steps = [s for s in steps if s is not None]
        multi = len(run.steps) > 1
        replays = [replay for _, replay, _, _ in steps if not isinstance(replay, NotJudged)]
        pending = helper.views(self._helped, replays) if self._helped and replays else None
        local = {name: self._local(name, steps, replays, multi) for name in self.names if name not in self._helped}

        def verdicts() -> dict:
            found = dict(local)
            if self._helped:
                found.update(self._from_helper(pending, steps, multi))
            return {name: found[name] for name in self.names}

        return verdicts

    def _from_helper(self, pending, steps: list, multi: bool) -> dict:
        try:
            helped = pending.result()["views"] if pending is not None else {n: [] for n in self._helped}
            versions = self._versions.result()["versions"]
        except Exception as exc:  # noqa: BLE001 - no helper: nothing judged, the run goes on
            return {name: {"verdict": NOT_JUDGED, "detail": f"the client did not run: {_line(exc)}",
                           "version": None} for name in self._helped}
        return {name: _case_verdict(iter(helped[name]), versions.get(name), steps, multi) for name in self._helped}

    def _local(self, name: str, steps: list, replays: list, multi: bool) -> dict:
        try:
            views = self._views_of(name)
        except Exception as exc:  # noqa: BLE001 - a client that cannot start judges nothing
            return {"verdict": NOT_JUDGED, "detail": f"the client did not start: {_line(exc)}", "version": None}
        return _case_verdict(_local_views(views, replays), views.version, steps, multi)

    def close(self) -> None:
        with self._lock:
            for views in self._views.values():
                try:
                    views.close()
                except Exception:  # noqa: BLE001 - closing is best effort at the end of a run
                    pass
            self._views.clear()


def _local_views(views, replays: list[dict]):
    for replay in replays:
        try:
            yield views.view(replay)
        except NotJudged as reason:
            yield {"not_judged": str(reason)}
        except Exception as exc:  # noqa: BLE001 - the judging's own failure is not the target's
            yield {"not_judged": f"respcheck could not judge this answer ({type(exc).__name__}: {_line(exc)})"}


def _prepared(step_run):
    """(step name, replay or the NotJudged reason, the suite's reading, stream error) for a step a client call matches."""
    exchange = step_run.exchange
    operation = operation_of(exchange.method, step_run.path, step_run.streaming)
    if operation is None:
        return None
    try:
        replay = build_replay(operation, exchange, step_run.path, getattr(step_run, "query", None))
    except NotJudged as reason:
        return step_run.step.name, reason, {}, False
    checker = step_run.stream
    body = exchange.json
    stream_error = False
    if exchange.streamed and checker is not None:
        body = checker.terminal
        stream_error = _error_message(checker.error_event) if checker.error_event is not None else False
    return step_run.step.name, replay, suite_reading(operation, body, replay["request"]), stream_error


def _error_message(event) -> str | bool:
    """The message of a stream's error event (Responses or chat style), else True."""
    error = event.get("error") if isinstance(event, dict) and isinstance(event.get("error"), dict) else event
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) and message else True


def _case_verdict(found, version, steps: list, multi: bool) -> dict:
    """`found`: the client's views of the steps' replays, in order."""
    judged = []
    for step, replay, reading, stream_error in steps:
        if isinstance(replay, NotJudged):
            judged.append((NOT_JUDGED, str(replay), step))
            continue
        view = next(found)
        if "not_judged" in view:
            judged.append((NOT_JUDGED, view["not_judged"], step))
            continue
        judged.append((*judge_view(view, replay["status"], reading, stream_error), step))
    if not judged:
        return {"verdict": NOT_JUDGED, "detail": "no step of this case is a call the client makes", "version": version}
    verdict = worst([v for v, _, _ in judged])
    verdict_step = next((f for f in judged if f[0] == verdict), judged[0])
    detail = verdict_step[1]
    if multi and detail and verdict != OK:
        detail = f"step {verdict_step[2]}: {detail}"
    return {"verdict": verdict, "detail": detail, "version": version}


def _line(exc: BaseException) -> str:
    text = (str(exc) or type(exc).__name__).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
