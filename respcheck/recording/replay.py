"""Replay: a transport that answers each request from a recording, chunk by
chunk, with no network."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import httpx

from .bodymask import edit_encoded_body
from .normalize import _Normalizer, _origin, _sub, replace_across_chunks


class _ReplayStream(httpx.SyncByteStream):
    def __init__(self, chunks: list[tuple[float, bytes]], ending: BaseException | None, started: float,
                 speed: float | None):
        self._chunks = chunks
        self._ending = ending
        self._started = started
        self._speed = speed

    def __iter__(self) -> Iterator[bytes]:
        for t, data in self._chunks:
            if self._speed:
                wait = self._started + t / self._speed - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            yield data
        if self._ending is not None:
            raise self._ending


class ReplayTransport(httpx.BaseTransport):
    """Answers each request from the recording under `directory`; no network.

    `speed`: None (default) answers at once; 1.0 keeps the recorded timing
    (headers and each chunk at its recorded offset), 2.0 twice as fast."""

    def __init__(self, directory: str | os.PathLike, *, secrets: Iterable[str] | None = None,
                 variables: Mapping[str, str] | None = None, speed: float | None = None):
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise FileNotFoundError(f"no recording directory {self.directory}")
        self.speed = speed
        self._normalizer = _Normalizer(secrets, variables)
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        body = request.read() or b""
        fingerprint, stem = self._normalizer.key(request, body)
        with self._lock:
            n = self._seen.get(stem, 0) + 1
            self._seen[stem] = n
        path = self.directory / f"{stem}-{n}.json"
        what = f"{request.method.upper()} {request.url.raw_path.decode('ascii', 'replace')}"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            have = len(list(self.directory.glob(f"{stem}-*.json")))
            times = f", occurrence #{n} of an identical request but only {have} recorded" if have else ""
            raise httpx.ConnectError(f"no recorded exchange for {what} (fingerprint {fingerprint[:12]}"
                                     f"{times}) in {self.directory}", request=request) from None
        except (OSError, ValueError) as exc:
            reason = ("it is empty or cut (the recording run stopped before the exchange ended)"
                      if isinstance(exc, ValueError) else str(exc))
            raise httpx.ConnectError(f"the recorded exchange for {what} ({path.name}) cannot be read: {reason}",
                                     request=request) from None
        return self._answer(request, record, started)

    def _pairs(self, request: httpx.Request, record: dict) -> list[tuple[bytes, bytes]]:
        """Recorded per-run values (run id, origin) -> this run's, for the answer."""
        current = {"origin": _origin(request.url), **self._normalizer.variables}
        pairs = []
        for name, old in (record.get("variables") or {}).items():
            new = current.get(name)
            if old and new and old != new and len(old) >= 4:
                pairs.append((old.encode(), new.encode()))
        return pairs

    def _answer(self, request: httpx.Request, record: dict, started: float) -> httpx.Response:
        response = record.get("response")
        if response is None:
            raise _rebuild_error(record.get("error") or {}, request)
        pairs = self._pairs(request, record)
        timed = [(c["t"], base64.b64decode(c["data_b64"])) for c in response.get("chunks", [])]
        encoding = next((v for k, v in response.get("headers", []) if k.lower() == "content-encoding"), "")
        datas = [d for _, d in timed]
        if pairs:  # also inside a gzip or deflate body
            datas = edit_encoded_body(datas, encoding, lambda pieces: replace_across_chunks(pieces, pairs))
        chunks = [(t, d) for (t, _), d in zip(timed, datas)]
        headers = [(k, v) for k, v in response.get("headers", [])]
        if pairs:
            text_pairs = [(o.decode(), n.decode()) for o, n in pairs]
            headers = [(k, _sub(v, text_pairs)) for k, v in headers]
            if response.get("complete"):
                size = str(sum(len(d) for _, d in chunks))
                headers = [(k, size if k.lower() == "content-length" else v) for k, v in headers]
        ending = None
        if response.get("error"):
            ending = _rebuild_error(response["error"], request)
        elif not response.get("complete"):
            ending = httpx.ReadError("the recorded exchange ends here: the recording run stopped reading "
                                     "this answer early", request=request)
        if self.speed:
            wait = started + float(response.get("t_headers", 0)) / self.speed - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        extensions = {}
        if response.get("reason"):
            extensions["reason_phrase"] = response["reason"].encode("latin-1")
        if response.get("http_version"):
            extensions["http_version"] = response["http_version"].encode("latin-1")
        return httpx.Response(response["status"], headers=headers,
                              stream=_ReplayStream(chunks, ending, started, self.speed),
                              request=request, extensions=extensions)


def _rebuild_error(error: dict, request: httpx.Request) -> httpx.TransportError:
    """The recorded transport failure, as the same httpx exception."""
    cls = getattr(httpx, str(error.get("type", "")), None)
    message = f"(recorded) {error.get('message', '')}".rstrip()
    if not (isinstance(cls, type) and issubclass(cls, httpx.TransportError)):
        cls = httpx.TransportError
    return cls(message, request=request)
