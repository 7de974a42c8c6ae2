"""The helper process of the Python clients (see helper.py): one JSON line
in, one JSON line out, until stdin closes."""

from __future__ import annotations

import json
import sys

_views: dict = {}  # the views objects by client name, made on first need


def _views_object(name: str):
    if name not in _views:
        from .registry import make_views

        _views[name] = make_views(name)
    return _views[name]


def _views_of(names: list, replays: list[dict]) -> dict:
    from .replay import NotJudged

    out = {}
    for name in names:
        views_object = _views_object(name)
        found = []
        for replay in replays:
            try:
                found.append(views_object.view(replay))
            except NotJudged as reason:
                found.append({"not_judged": str(reason)})
            except Exception as exc:  # noqa: BLE001 - the judging's own failure is not the target's
                reason = str(exc).splitlines()[0][:200] if str(exc) else ""
                found.append({"not_judged": f"respcheck could not judge this answer ({type(exc).__name__}: "
                                            f"{reason})"})
        out[name] = found
    return out


def main() -> None:
    answers = sys.stdout
    sys.stdout = sys.stderr  # whatever an SDK prints must not mix into the answers
    for line in sys.stdin:
        message = json.loads(line)
        if "versions" in message:
            answer = {"versions": {name: _views_object(name).version for name in message["versions"]}}
        else:
            answer = {"views": _views_of(message["views"], message["replays"])}
        answers.write(json.dumps(answer, default=str) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
