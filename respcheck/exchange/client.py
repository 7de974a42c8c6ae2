"""Sending one request and keeping everything about the exchange.

The plugin uses httpx (sync): httpx-sse is built on it, the design card names
it, and a sync client keeps each pytest item a plain function call. A hostile
server must not hang or crash a run, so every read is bounded in time and in
size, and transport failures become a readable `Exchange.error`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from . import jsonstrict
from ..model.jsonpath import MISSING
from .slots import limiter
from .sse import looks_like_sse, read_body, read_stream
from .transport import bounded_transport, connections_opened, total_deadline

INVALID_KEY = "rc-invalid-key-000000"
# An unanswered request on a connection the pool kept alive is sent again on
# another: the server closed that connection (idle timeout, or a crash on the
# previous request); the request itself was never answered. Each such stale
# connection leaves the pool as it fails, so the resends end, at the latest,
# on a fresh connection once the pool's idle ones are used up.
KEEPALIVE_CONNECTIONS = 20  # httpx's default
MAX_SENDS = KEEPALIVE_CONNECTIONS + 2
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie"})


class SentHeaders(dict):
    """The headers of a request. Its repr masks credentials, so a traceback
    printed with `pytest -l` (locals) or a debugger never shows the key."""

    def __repr__(self) -> str:
        return repr({k: ("***" if k.lower() in _CREDENTIAL_HEADERS else v) for k, v in self.items()})


@dataclass(frozen=True)
class Target:
    base_url: str  # ends in /v1 (like the OpenAI SDK's base_url); case paths are relative to it
    api_key: str | None = field(repr=False)
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    max_body_bytes: int = 8 * 1024 * 1024
    embedded: bool = False
    stream_idle_timeout: float = 30.0
    stream_timeout: float = 300.0
    max_stream_events: int = 200_000
    max_stream_bytes: int = 64 * 1024 * 1024
    rate_limit: float | None = None  # requests per second
    retry_after_budget: float = 60.0  # seconds of 429 Retry-After waits a run may spend
    concurrency: int | None = None  # requests in flight across all xdist workers
    max_sends: int = MAX_SENDS  # sends of one request when kept-alive connections close unanswered
    keep_stream_bytes: int = 0  # raw stream bytes kept for the client verdicts (0: none; they are off)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    # Bodies stay out of the repr: a gateway may echo the key in them, and
    # `pytest -l` prints the repr of every local of a traceback.
    request_body: bytes | None = field(repr=False)
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = field(default=b"", repr=False)
    elapsed: float = 0.0
    error: str | None = None  # transport failure, in words
    streamed: bool = False  # the body was read as SSE frames (the step's StreamChecker keeps them)
    stream_end: Any = None  # sse.StreamEnd
    waited: float = 0.0  # seconds spent waiting out 429 Retry-After before this answer
    resent: int = 0  # times the request went out again after a kept-alive connection closed unanswered
    unanswered_on_reused: bool = False  # failed with no answer on a connection the pool had kept alive
    mislabelled: bool = False  # a stream whose body is SSE under another Content-Type (read as a stream anyway)
    timed_out: bool = False  # the answer was not complete within the request timeout
    # The raw bytes of a streamed body, kept (up to Target.keep_stream_bytes) only
    # when client verdicts are on: the SDKs are handed the stream as it came.
    stream_raw: bytes | None = field(default=None, repr=False)
    stream_raw_clipped: bool = False  # the stream outgrew keep_stream_bytes; stream_raw holds its start

    @property
    def answered(self) -> bool:
        """A complete answer came in time (a too-large one counts: the target did answer)."""
        return self.status is not None and not self.timed_out
    _json: Any = field(default=None, repr=False)
    _json_error: str | None = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "")

    def _parse(self) -> None:
        if self._parsed:
            return
        self._parsed = True
        if not self.body:
            self._json, self._json_error = MISSING, "the body is empty"
            return
        try:
            self._json = jsonstrict.loads(self.body)
        except jsonstrict.JsonError as exc:
            snippet = self.body[:80].decode("utf-8", "replace")
            self._json, self._json_error = MISSING, f"the body is not JSON ({exc}); it starts with {snippet!r}"

    @property
    def json(self) -> Any:
        """The parsed body, or MISSING (see `json_error`)."""
        self._parse()
        return self._json

    @property
    def json_error(self) -> str | None:
        self._parse()
        return self._json_error

    @property
    def request_json(self) -> Any:
        if not self.request_body:
            return None
        try:
            return json.loads(self.request_body)
        except ValueError:
            return None


class Client:
    """One pooled connection set per run."""

    def __init__(self, target: Target, transport: httpx.BaseTransport | None = None):
        self.target = target
        self._next_slot = 0.0
        self.retry_budget = target.retry_after_budget
        self._shared = threading.Lock()  # the rate-limit slot and the Retry-After budget belong to all threads
        self._slot = limiter(target.concurrency)
        self._http = httpx.Client(timeout=httpx.Timeout(target.timeout), follow_redirects=False, trust_env=False,
                                  limits=httpx.Limits(max_keepalive_connections=KEEPALIVE_CONNECTIONS),
                                  transport=transport if transport is not None else bounded_transport())

    def close(self) -> None:
        self._http.close()

    def _pace(self) -> None:
        """--rate-limit: space requests evenly instead of bursting at a real gateway."""
        if not self.target.rate_limit:
            return
        with self._shared:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / self.target.rate_limit
        if slot > now:
            time.sleep(slot - now)

    def build_headers(self, auth: str, extra: dict[str, str] | None, content_type: str | None) -> dict[str, str]:
        headers = SentHeaders({"Accept": "application/json, text/event-stream", "User-Agent": "respcheck"})
        headers.update(self.target.headers)
        if auth == "default" and self.target.api_key:
            headers["Authorization"] = f"Bearer {self.target.api_key}"
        elif auth == "invalid":
            headers["Authorization"] = f"Bearer {INVALID_KEY}"
        if content_type:
            headers["Content-Type"] = content_type
        headers.update(extra or {})
        return headers

    def send(self, method: str, path: str, *, query: dict | None = None, headers: dict[str, str],
             body: bytes | None) -> Exchange:
        return self._patiently(lambda: self._send_once(method, path, query=query, headers=headers, body=body))

    def send_stream(self, method: str, path: str, *, headers: dict[str, str], body: bytes | None,
                    on_frame, query: dict | None = None) -> Exchange:
        """Send a streaming request; SSE frames go to `on_frame` as they arrive.

        A non-2xx or non-SSE answer is read as a normal body (an error
        envelope, usually) and `streamed` stays False."""
        return self._patiently(lambda: self._send_stream_once(method, path, headers=headers, body=body,
                                                              on_frame=on_frame, query=query))

    def _patiently(self, attempt) -> Exchange:
        """A 429 with Retry-After is waited out and retried while the run's
        --retry-after-budget lasts; the wait is kept on the exchange."""
        waited = 0.0
        for _ in range(6):
            with self._slot():
                exchange = _answered(attempt, self.target.max_sends)
            wait = _retry_after(exchange) if exchange.status == 429 else None
            with self._shared:
                if wait is None or wait > self.retry_budget:
                    break
                self.retry_budget -= wait
            time.sleep(wait)
            waited += wait
        exchange.waited = waited
        return exchange

    def _send_once(self, method: str, path: str, *, query: dict | None = None, headers: dict[str, str],
                   body: bytes | None) -> Exchange:
        url = self.target.url(path)
        if query:
            url = str(httpx.URL(url, params={k: _query_value(v) for k, v in query.items()}))
        exchange = Exchange(method=method, url=url, request_headers=headers, request_body=body)
        self._pace()
        started = time.monotonic()
        deadline = started + self.target.timeout
        opened = connections_opened()
        try:
            with total_deadline(self.target.timeout), \
                    self._http.stream(method, url, headers=headers, content=body) as response:
                exchange.status = response.status_code
                exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
                exchange.body, exchange.error, exchange.timed_out = _read_bounded(response, deadline, self.target)
        except httpx.HTTPError as exc:
            exchange.error = transport_failure(exc, self.target, exchange.status, self.target.timeout)
            exchange.timed_out = isinstance(exc, httpx.TimeoutException)
            exchange.unanswered_on_reused = _unanswered_on_reused(exc, exchange, opened)
        exchange.elapsed = time.monotonic() - started
        return exchange

    def _send_stream_once(self, method: str, path: str, *, headers: dict[str, str], body: bytes | None,
                          on_frame, query: dict | None = None) -> Exchange:
        url = self.target.url(path)
        if query:  # GET /responses/{id}?stream=true: a stored response replayed
            url = str(httpx.URL(url, params={k: _query_value(v) for k, v in query.items()}))
        exchange = Exchange(method=method, url=url, request_headers=headers, request_body=body)
        t = self.target
        timeout = httpx.Timeout(t.timeout, read=t.stream_idle_timeout)
        self._pace()
        started = time.monotonic()
        opened = connections_opened()
        try:
            # Until the headers are in, a stream is an ordinary request (a server
            # dripping its headers is held to --request-timeout); from then on
            # the body may run for --stream-timeout.
            with total_deadline(t.timeout) as limit, \
                    self._http.stream(method, url, headers=headers, content=body, timeout=timeout) as response:
                limit.extend_to(t.stream_timeout - (time.monotonic() - started))
                exchange.status = response.status_code
                exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
                is_sse = exchange.content_type.lower().startswith("text/event-stream")
                if not (200 <= response.status_code < 300 and is_sse):
                    exchange.body, exchange.error, exchange.timed_out = _read_bounded(response, started + t.timeout, t)
                    if 200 <= response.status_code < 300 and exchange.error is None and looks_like_sse(exchange.body):
                        # Served under the wrong Content-Type, but a stream all the
                        # same: its events are checked rather than guessed at.
                        exchange.streamed = exchange.mislabelled = True
                        exchange.stream_end = read_body(exchange.body, on_frame, t=time.monotonic() - started,
                                                        max_events=t.max_stream_events,
                                                        max_event_bytes=t.max_body_bytes)
                else:
                    exchange.streamed = True
                    chunks, kept = response.iter_bytes(), None
                    if t.keep_stream_bytes:
                        kept = bytearray()
                        chunks = _kept(chunks, kept, exchange, t.keep_stream_bytes)
                    try:
                        exchange.stream_end = read_stream(
                            response, started, on_frame, chunks=chunks, max_events=t.max_stream_events,
                            deadline=started + t.stream_timeout, max_bytes=t.max_stream_bytes,
                            idle_timeout=t.stream_idle_timeout, max_event_bytes=t.max_body_bytes)
                    finally:  # also when reading stopped early (a cut, a stall): the bytes that came
                        if kept is not None:
                            exchange.stream_raw = bytes(kept)
        except httpx.HTTPError as exc:
            exchange.error = transport_failure(exc, t, exchange.status, min(t.timeout, t.stream_idle_timeout))
            exchange.timed_out = isinstance(exc, httpx.TimeoutException)
            exchange.unanswered_on_reused = _unanswered_on_reused(exc, exchange, opened)
        exchange.elapsed = time.monotonic() - started
        return exchange


def _kept(chunks, kept: bytearray, exchange: Exchange, limit: int):
    """Pass the chunks on, keeping a copy of the first `limit` bytes in `kept`."""
    for chunk in chunks:
        if not exchange.stream_raw_clipped:
            room = limit - len(kept)
            kept += chunk[:room]
            exchange.stream_raw_clipped = len(chunk) > room
        yield chunk


def _unanswered_on_reused(exc: httpx.HTTPError, exchange: Exchange, opened_before: int) -> bool:
    """No byte of an answer came, and no new connection was opened for the
    request: it went out on a kept-alive connection the server had closed."""
    if exchange.status is not None or isinstance(exc, (httpx.TimeoutException, httpx.ConnectError)):
        return False
    return connections_opened() == opened_before


def _answered(attempt, max_sends: int) -> Exchange:
    exchange = attempt()
    resent = 0
    while exchange.unanswered_on_reused and resent < max_sends - 1:
        resent += 1
        exchange = attempt()
    exchange.resent = resent
    return exchange


def _retry_after(exchange: Exchange) -> float | None:
    value = exchange.response_headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime

        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def transport_failure(exc: httpx.HTTPError, target: Target, status: int | None, limit: float) -> str:
    """A transport exception in words: what did not happen, and within which limit."""
    if isinstance(exc, httpx.TimeoutException):
        if status is None:
            return f"no answer within the request timeout of {limit:g}s ({_kind(exc)})"
        return f"the body was not complete within the request timeout of {limit:g}s ({_kind(exc)}); stopped reading"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect to {target.base_url}: {_reason(exc)}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke the HTTP exchange: {_reason(exc)}"
    return f"HTTP transport failed ({type(exc).__name__}): {_reason(exc)}"


def _read_bounded(response: httpx.Response, deadline: float, target: Target) -> tuple[bytes, str | None, bool]:
    """The body, a transport failure in words (or None), and whether time ran out."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > target.max_body_bytes:
            return b"".join(chunks), (f"the body exceeds {target.max_body_bytes} bytes "
                                      "(--max-body-bytes); stopped reading"), False
        chunks.append(chunk)
        if time.monotonic() > deadline:
            return b"".join(chunks), (f"the body was still arriving after the request timeout of "
                                      f"{target.timeout:g}s; stopped reading"), True
    return b"".join(chunks), None, False


def _query_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _kind(exc: Exception) -> str:
    return {"ConnectTimeout": "connect", "ReadTimeout": "read", "WriteTimeout": "write",
            "PoolTimeout": "pool"}.get(type(exc).__name__, "timeout") + " timeout"


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
