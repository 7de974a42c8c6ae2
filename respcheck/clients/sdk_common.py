"""What the Python clients share: the answer's headers as a mock transport
serves them, the raise as a view records it, the structured-output JSON."""

from __future__ import annotations

import json
import threading

# The exchange keeps a decoded body: the transport must not decode it again,
# and its length is the bytes' own.
_DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})


def served_headers(replay: dict) -> dict[str, str]:
    return {k: v for k, v in (replay.get("headers") or {}).items() if k.lower() not in _DROPPED_HEADERS}


def one_line(exc: BaseException) -> str:
    text = (str(exc) or type(exc).__name__).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def raised(exc: BaseException, *, status: int | None, api_error: bool, code=None) -> dict:
    return {"type": type(exc).__name__, "message": one_line(exc), "status": status,
            "api_error": api_error, "code": code if isinstance(code, str) else None}


def wants_json(request: dict | None, chat: bool) -> bool:
    """Whether the request asks for a json_schema structured output."""
    if not isinstance(request, dict):
        return False
    if chat:
        fmt = request.get("response_format")
    else:
        text = request.get("text")
        fmt = text.get("format") if isinstance(text, dict) else None
    return isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object")


def with_parsed(values: dict, text, request, chat: bool) -> dict:
    """`parsed`: the structured output as a user reads it, json.loads of the
    text, when the request asks for JSON; a text that is not JSON gives
    `parse_error` (the user's parse raises: verdict.py calls it a break)."""
    values["parsed"] = None
    if not wants_json(request, chat):
        return values
    if not isinstance(text, str):
        values["parse_error"] = "no text to parse"
        return values
    try:
        values["parsed"] = json.loads(text)
    except ValueError as exc:
        values["parse_error"] = f"{type(exc).__name__}: {one_line(exc)}"
    return values


def call_kwargs(request: dict | None, *required: str) -> dict:
    """The request as SDK keyword arguments: the named ones (the SDK insists
    on them; one the case leaves out stays out, and the SDK then refuses to
    send: not judged) and everything else as extra_body, so the body the SDK
    sends is the case's own."""
    body = dict(request or {})
    body.pop("stream", None)
    kwargs = {name: body.pop(name) for name in required if name in body}
    if body:
        kwargs["extra_body"] = body
    return kwargs


def refused(exc: BaseException):
    """The SDK raised before sending anything: a user could not send the
    case's request with it (a case omitting `model` on purpose), so there is
    no answer of the target's to judge."""
    from .replay import NotJudged

    return NotJudged(f"the client does not send this request ({type(exc).__name__}: {one_line(exc)})")


class MockServedViews:
    """What the Python clients' views share: one SDK client per thread, whose
    mock transport answers with that thread's replay, and a view that turns
    whatever the SDK raised into the finding (or, when the SDK raised before
    sending anything, into `not judged`). A subclass makes the client
    (`make_client`, given the transport's answer function), runs the call
    (`call`) and describes a raise (`raised_view`); `http_module` is the httpx
    its SDK takes (httpx or httpx2)."""

    http_module = "httpx"

    def __init__(self):
        self._local = threading.local()

    def make_client(self, answer):
        raise NotImplementedError

    def call(self, client, replay: dict) -> dict:
        raise NotImplementedError

    def raised_view(self, exc: Exception) -> dict:
        raise NotImplementedError

    def _answer(self, request):
        import importlib

        http = importlib.import_module(self.http_module)
        replay = self._local.replay
        self._local.sent = True
        return http.Response(replay["status"], headers=served_headers(replay), content=_body(replay),
                             request=request)

    def view(self, replay: dict) -> dict:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self.make_client(self._answer)
        self._local.replay, self._local.sent = replay, False
        try:
            values = self.call(client, replay)
        except Exception as exc:  # noqa: BLE001 - whatever the SDK raises is the finding
            if not self._local.sent:
                raise refused(exc) from None
            return self.raised_view(exc)
        finally:
            self._local.replay = None
        return {"raised": None, "values": values}

    def close(self) -> None:
        pass


def _body(replay: dict) -> bytes:
    from .replay import body_of

    return body_of(replay)
