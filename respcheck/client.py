"""Sending one request and keeping everything about the exchange.

The plugin uses httpx (sync): httpx-sse is built on it, the design card names
it, and a sync client keeps each pytest item a plain function call. A hostile
server must not hang or crash a run, so every read is bounded in time and in
size, and transport failures become a readable `Exchange.error`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import httpcore
import httpx

from .jsonpath import MISSING
from .sse import read_stream

INVALID_KEY = "rc-invalid-key-000000"


@dataclass(frozen=True)
class Target:
    base_url: str  # ends in /v1 (like the OpenAI SDK's base_url); case paths are relative to it
    api_key: str | None
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    max_body_bytes: int = 8 * 1024 * 1024
    embedded: bool = False
    stream_idle_timeout: float = 30.0
    stream_timeout: float = 300.0
    max_stream_events: int = 200_000
    max_stream_bytes: int = 512 * 1024 * 1024

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    elapsed: float = 0.0
    error: str | None = None  # transport failure, in words
    streamed: bool = False  # the body was read as SSE frames (the step's StreamChecker keeps them)
    stream_end: Any = None  # sse.StreamEnd
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
            self._json = json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
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

    def __init__(self, target: Target):
        self.target = target
        self._http = httpx.Client(timeout=httpx.Timeout(target.timeout), follow_redirects=False, trust_env=False,
                                  transport=bounded_transport())

    def close(self) -> None:
        self._http.close()

    def build_headers(self, auth: str, extra: dict[str, str] | None, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json, text/event-stream", "User-Agent": "respcheck"}
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
        url = self.target.url(path)
        if query:
            url = str(httpx.URL(url, params={k: _query_value(v) for k, v in query.items()}))
        exchange = Exchange(method=method, url=url, request_headers=headers, request_body=body)
        started = time.monotonic()
        deadline = started + self.target.timeout
        try:
            with total_deadline(self.target.timeout), \
                    self._http.stream(method, url, headers=headers, content=body) as response:
                exchange.status = response.status_code
                exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
                exchange.body, exchange.error = _read_bounded(response, deadline, self.target)
        except httpx.TimeoutException as exc:
            if exchange.status is None:
                exchange.error = f"no answer within the request timeout of {self.target.timeout:g}s ({_kind(exc)})"
            else:
                exchange.error = (f"the body was not complete within the request timeout of "
                                  f"{self.target.timeout:g}s ({_kind(exc)}); stopped reading")
        except httpx.ConnectError as exc:
            exchange.error = f"could not connect to {self.target.base_url}: {_reason(exc)}"
        except httpx.RemoteProtocolError as exc:
            exchange.error = f"the server broke the HTTP exchange: {_reason(exc)}"
        except httpx.HTTPError as exc:
            exchange.error = f"HTTP transport failed ({type(exc).__name__}): {_reason(exc)}"
        exchange.elapsed = time.monotonic() - started
        return exchange


    def send_stream(self, method: str, path: str, *, headers: dict[str, str], body: bytes | None,
                    on_frame) -> Exchange:
        """Send a streaming request; SSE frames go to `on_frame` as they arrive.

        A non-2xx or non-SSE answer is read as a normal body (an error
        envelope, usually) and `streamed` stays False."""
        url = self.target.url(path)
        exchange = Exchange(method=method, url=url, request_headers=headers, request_body=body)
        t = self.target
        timeout = httpx.Timeout(t.timeout, read=t.stream_idle_timeout)
        started = time.monotonic()
        try:
            with total_deadline(t.stream_timeout), \
                    self._http.stream(method, url, headers=headers, content=body, timeout=timeout) as response:
                exchange.status = response.status_code
                exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
                is_sse = exchange.content_type.lower().startswith("text/event-stream")
                if not (200 <= response.status_code < 300 and is_sse):
                    exchange.body, exchange.error = _read_bounded(response, started + t.timeout, t)
                else:
                    exchange.streamed = True
                    exchange.stream_end = read_stream(
                        response, started, on_frame, max_events=t.max_stream_events,
                        deadline=started + t.stream_timeout, max_bytes=t.max_stream_bytes,
                        idle_timeout=t.stream_idle_timeout)
        except httpx.TimeoutException as exc:
            exchange.error = (f"no answer within {min(t.timeout, t.stream_idle_timeout):g}s "
                              f"({_kind(exc)}; --request-timeout / --stream-idle-timeout)")
        except httpx.ConnectError as exc:
            exchange.error = f"could not connect to {t.base_url}: {_reason(exc)}"
        except httpx.RemoteProtocolError as exc:
            exchange.error = f"the server broke the HTTP exchange: {_reason(exc)}"
        except httpx.HTTPError as exc:
            exchange.error = f"HTTP transport failed ({type(exc).__name__}): {_reason(exc)}"
        exchange.elapsed = time.monotonic() - started
        return exchange


class _Deadline(threading.local):
    at: float | None = None


_DEADLINE = _Deadline()


@contextmanager
def total_deadline(seconds: float) -> Iterator[None]:
    """Within the block, no socket of a `bounded_transport` waits past
    `seconds` from now in all (in this thread)."""
    previous = _DEADLINE.at
    _DEADLINE.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _DEADLINE.at = previous


class _DeadlineStream(httpcore.NetworkStream):
    """httpx's timeouts bound each socket read, not the request: a server that
    drips a byte (of headers or body) just before every read timeout would
    hold a request forever. Each wait is capped at what is left of the
    current `total_deadline`."""

    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    @staticmethod
    def _cap(timeout: float | None, error: type[Exception]) -> float | None:
        if _DEADLINE.at is None:
            return timeout
        left = _DEADLINE.at - time.monotonic()
        if left <= 0:
            raise error("the request's total time limit has passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname,
                                                      self._cap(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend):
        self._backend = backend

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        timeout = _DeadlineStream._cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        timeout = _DeadlineStream._cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def bounded_transport() -> httpx.HTTPTransport:
    """httpx's transport (with TCP_NODELAY: without it a small body written
    after the headers waits for the server's delayed ACK, ~40 ms a request)
    whose sockets honour `total_deadline`. httpx has no public hook for the
    network backend, so it is set on its httpcore pool."""
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    pool = getattr(transport, "_pool", None)
    if pool is not None and hasattr(pool, "_network_backend"):
        pool._network_backend = _DeadlineBackend(pool._network_backend)
    return transport


def _read_bounded(response: httpx.Response, deadline: float, target: Target) -> tuple[bytes, str | None]:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > target.max_body_bytes:
            return b"".join(chunks), (f"the body exceeds {target.max_body_bytes} bytes "
                                      "(--max-body-bytes); stopped reading")
        chunks.append(chunk)
        if time.monotonic() > deadline:
            return b"".join(chunks), (f"the body was still arriving after the request timeout of "
                                      f"{target.timeout:g}s; stopped reading")
    return b"".join(chunks), None


def _query_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _kind(exc: Exception) -> str:
    return {"ConnectTimeout": "connect", "ReadTimeout": "read", "WriteTimeout": "write",
            "PoolTimeout": "pool"}.get(type(exc).__name__, "timeout") + " timeout"


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
