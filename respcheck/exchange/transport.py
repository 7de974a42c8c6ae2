"""An httpx transport whose every socket wait honours one total deadline.

httpx's timeouts bound each socket read, not the request: a server that drips
a byte (of headers or body) just before every read timeout would hold a
request forever. `total_deadline` sets the limit for the calls inside it;
`bounded_transport` caps each connect, read, write and TLS handshake at what
is left of it.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

import httpcore
import httpx


class _Deadline(threading.local):
    at: float | None = None
    connects: int = 0  # new connections opened in this thread (to tell a reused connection from a fresh one)


_DEADLINE = _Deadline()
_LIVE: set = set()  # every open stream of every thread, so that `abort_all` can reach them
_LIVE_LOCK = threading.Lock()
_ABORTED = threading.Event()


class Deadline:
    """The limit in force inside a `total_deadline` block; `extend_to` moves
    it (a stream's headers are bounded by the request timeout, its body by
    the stream timeout)."""

    def extend_to(self, seconds_from_now: float) -> None:
        _DEADLINE.at = time.monotonic() + seconds_from_now


@contextmanager
def total_deadline(seconds: float) -> Iterator[Deadline]:
    """Within the block, no socket of a `bounded_transport` waits past
    `seconds` from now in all (in this thread)."""
    previous = _DEADLINE.at
    _DEADLINE.at = time.monotonic() + seconds
    try:
        yield Deadline()
    finally:
        _DEADLINE.at = previous


def abort_all() -> None:
    """End the run's in-flight requests now (Ctrl-C, SIGTERM): a thread
    blocked in a socket read wakes up only when its socket is shut down."""
    _ABORTED.set()
    with _LIVE_LOCK:
        streams = list(_LIVE)
    for stream in streams:
        stream.shut_down()


def reset_abort() -> None:
    """A new run (pytest in-process runs several in one interpreter) starts unaborted."""
    _ABORTED.clear()


def connections_opened() -> int:
    """How many connections this thread has opened so far: compared before
    and after a request, it says whether the request went out on a fresh
    connection or on one the pool kept alive."""
    return _DEADLINE.connects


class _DeadlineStream(httpcore.NetworkStream):
    """httpx's timeouts bound each socket read, not the request: a server that
    drips a byte (of headers or body) just before every read timeout would
    hold a request forever. Each wait is capped at what is left of the
    current `total_deadline`."""

    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream
        with _LIVE_LOCK:
            _LIVE.add(self)

    def shut_down(self) -> None:
        sock = self._stream.get_extra_info("socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @staticmethod
    def _cap(timeout: float | None, error: type[Exception]) -> float | None:
        if _ABORTED.is_set():
            raise httpcore.ReadError("the run was interrupted")
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
        with _LIVE_LOCK:
            _LIVE.discard(self)
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
        _DEADLINE.connects += 1
        return _DeadlineStream(self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        timeout = _DeadlineStream._cap(timeout, httpcore.ConnectTimeout)
        _DEADLINE.connects += 1
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
