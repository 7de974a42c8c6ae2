"""Recording: a transport that wraps the real one and tees each answer's
byte stream to one file per exchange."""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from .files import FORMAT, _now, _write_atomically
from .bodymask import mask_recorded_body
from .normalize import MASK, _RESPONSE_SECRET_HEADERS, _error_record, _Normalizer, _origin


class _Exchange:
    """One exchange being recorded; its file is written once, when it ends."""

    def __init__(self, path: Path, head: dict, normalizer: _Normalizer, started: float):
        self.path = path
        self.head = head
        self.normalizer = normalizer
        self.started = started
        self._written = False
        self._lock = threading.Lock()

    def write(self, response: dict | None, error: dict | None) -> None:
        with self._lock:
            if self._written:
                return
            self._written = True
        _write_atomically(self.path, {**self.head, "response": response, "error": error})


class _TeeStream(httpx.SyncByteStream):
    """Yields the inner stream's chunks unchanged and keeps each with its
    arrival time; writes the exchange when closed."""

    def __init__(self, inner: Any, exchange: _Exchange, response_head: dict):
        self._inner = inner
        self._exchange = exchange
        self._head = response_head
        self._chunks: list[tuple[float, bytes]] = []
        self._complete = False
        self._error: dict | None = None

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                self._chunks.append((time.monotonic() - self._exchange.started, chunk))
                yield chunk
        except BaseException as exc:  # also GeneratorExit: an early close is recorded as incomplete
            if not isinstance(exc, GeneratorExit):
                self._error = _error_record(exc, self._exchange.normalizer)
            raise
        else:
            self._complete = True

    def close(self) -> None:
        try:
            close = getattr(self._inner, "close", None)
            if close is not None:
                close()
        finally:
            self._save()

    def _save(self) -> None:
        normalizer = self._exchange.normalizer
        raw = [c for _, c in self._chunks]
        encoding = next((v for k, v in self._head["headers"] if k.lower() == "content-encoding"), "")
        datas = mask_recorded_body(raw, encoding, normalizer.masker)
        head = self._head
        if datas != raw and self._complete:  # the stored body is what is replayed: its length must fit it
            size = str(sum(len(d) for d in datas))
            head = {**head, "headers": [[k, size if k.lower() == "content-length" else v] for k, v in head["headers"]]}
        chunks = [{"t": round(t, 6), "data_b64": base64.b64encode(d).decode("ascii")}
                  for (t, _), d in zip(self._chunks, datas)]
        self._exchange.write({**head, "chunks": chunks, "complete": self._complete,
                              "error": self._error}, None)


class RecordingTransport(httpx.BaseTransport):
    """Wraps `inner`; every exchange through it is written under `directory`."""

    def __init__(self, inner: httpx.BaseTransport, directory: str | os.PathLike, *,
                 secrets: Iterable[str] | None = None, variables: Mapping[str, str] | None = None):
        self.inner = inner
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._normalizer = _Normalizer(secrets, variables)
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def _claim(self, stem: str) -> tuple[Path, int]:
        """The next free occurrence number for this request, across threads
        and processes: the file is created exclusively."""
        with self._lock:
            n = self._next.get(stem, 1)
            while True:
                path = self.directory / f"{stem}-{n}.json"
                try:
                    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                except FileExistsError:
                    n += 1
                    continue
                os.close(fd)
                self._next[stem] = n + 1
                return path, n

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        body = request.read() or b""
        fingerprint, stem = self._normalizer.key(request, body)
        path, n = self._claim(stem)
        head = {"format": FORMAT, "fingerprint": fingerprint, "occurrence": n, "recorded_at": _now(),
                "variables": {"origin": _origin(request.url), **self._normalizer.variables},
                "request": self._normalizer.request_record(request, body)}
        exchange = _Exchange(path, head, self._normalizer, started)
        try:
            response = self.inner.handle_request(request)
        except BaseException as exc:
            exchange.write(None, _error_record(exc, self._normalizer))
            raise
        reason = response.extensions.get("reason_phrase", b"")
        version = response.extensions.get("http_version", b"")
        response_head = {
            "status": response.status_code,
            "reason": reason.decode("latin-1") if isinstance(reason, bytes) else str(reason),
            "http_version": version.decode("latin-1") if isinstance(version, bytes) else str(version),
            "headers": [[k, MASK if k.lower() in _RESPONSE_SECRET_HEADERS else self._normalizer.mask(v)]
                        for k, v in response.headers.multi_items()],
            "t_headers": round(time.monotonic() - started, 6),
        }
        response.stream = _TeeStream(response.stream, exchange, response_head)
        return response

    def close(self) -> None:
        self.inner.close()
