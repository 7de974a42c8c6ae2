"""A client's view of an answer against the suite's reading: ok, breaks or
differs, with one line saying why.

- `breaks`: the SDK raised where a user's call should have returned — on a
  2xx answer, or anything but its own API-status error on an error answer.
  An SDK raising its API-status error with the answer's status (BadRequest-
  Error on a 400) is the user's normal error path: `ok`, whatever the
  envelope holds (a wrong error.code is the contract's business, not the
  client's). On a 200 stream that carried an error event, the SDK raising
  its API error for it (or the event's error itself, as the npm SDK throws
  it) is the normal path too.
- `differs`: the call returned, but an accessor (output_text, a tool call,
  usage, parsed JSON, ...) gives another value than the suite read from the
  same bytes; or an error answer came back as a value.
- `not judged`: the answer could not be handed over whole (a stream past the
  kept size, no answer at all); never a `breaks` by default.
"""

from __future__ import annotations

import json

OK, BREAKS, DIFFERS, NOT_JUDGED = "ok", "breaks", "differs", "not judged"
VERDICTS = (OK, BREAKS, DIFFERS, NOT_JUDGED)
_RANK = {OK: 0, NOT_JUDGED: 1, DIFFERS: 2, BREAKS: 3}
_STREAM_API_ERRORS = frozenset({"APIError"})  # the SDKs' class for an error met inside a stream
_SHOWN = 80  # characters of a value in a detail line


def judge_view(view: dict, status: int, reading: dict, stream_error: bool | str = False) -> tuple[str, str]:
    """`stream_error`: the answer was a stream that carried an error event
    (its message, when it has one)."""
    raised = view.get("raised")
    success = 200 <= status < 300
    if raised:
        said = f"{raised.get('type')}: {raised.get('message')}"
        if not success:
            if raised.get("api_error") and raised.get("status") == status:
                return OK, f"raised its API-status error for HTTP {status} ({raised.get('type')})"
            return BREAKS, f"on HTTP {status}, raised {said} instead of its API-status error"
        if stream_error and (raised.get("api_error") or raised.get("type") in _STREAM_API_ERRORS
                             or (isinstance(stream_error, str) and stream_error in str(raised.get("message")))):
            return OK, f"raised its API error for the stream's error event ({raised.get('type')})"
        return BREAKS, f"raised {said}"
    if not success:
        return DIFFERS, f"error: returned a value for HTTP {status} instead of raising"
    values = view.get("values") or {}
    if values.get("parse_error"):  # the request asked for JSON; the user's parse of the text raises
        return BREAKS, f"parsed: the text is not JSON ({values['parse_error']})"
    differences = [f"{name}: client {_show(value)}, suite {_show(reading[name])}"
                   for name, value in values.items()
                   if name in reading and not _same(value, reading[name])]
    if differences:
        more = f" (and {len(differences) - 1} more)" if len(differences) > 1 else ""
        return DIFFERS, differences[0] + more
    return OK, ""


def worst(verdicts: list[str]) -> str:
    return max(verdicts, key=lambda v: _RANK.get(v, 0)) if verdicts else NOT_JUDGED


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b and type(a) is type(b)


def _show(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN else text[:_SHOWN - 1] + "…"
