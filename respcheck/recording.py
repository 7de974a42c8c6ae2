"""Recording every HTTP exchange of a run to a directory, and replaying a run
offline from it (`--record DIR`, `--replay DIR`).

Both work at the httpx transport level, so `Client.send`/`send_stream` and
everything above them are unchanged: `RecordingTransport` wraps the real
transport and tees each answer's byte stream to disk as it is read;
`ReplayTransport` answers each request from the recording, chunk by chunk.

A request is found again by a fingerprint of the normalized request: method,
URL path and sorted query (not scheme, host or port: the embedded gateway's
port changes every run), the body (JSON canonicalized with sorted keys, other
bytes as they are) and the shape of its credential headers (absent, the run's
key, or another value — the auth cases send one body with no key, a wrong
key and the right one). Values that change from run to run are replaced by
placeholders before hashing: the run's secrets by ***, the request's own
origin (`http://127.0.0.1:40111`, in asset URLs) by {{origin}}, and the
`variables` (by default the run id) by {{name}}. Identical requests within a
run are told apart by an occurrence number: the first gets recording #1, the
second #2.

One file per exchange, `DIR/<METHOD>-<path-slug>-<fingerprint12>-<n>.json`:

    {"format": "respcheck-recording/1", "fingerprint": "<sha256 hex>", "occurrence": n,
     "recorded_at": "2025-01-01T00:00:00.000000+00:00",
     "variables": {"origin": "http://127.0.0.1:40111", "run_id": "1a2b3c4d"},
     "request": {"method", "path", "query": [[k, v], ...], "headers": [[k, v], ...] (credentials ***),
                 "body": str | null, "body_encoding": "text" | "base64"},
     "response": {"status", "reason", "http_version", "headers": [[k, v], ...], "t_headers",
                  "chunks": [{"t": seconds since the request, "data_b64": ...}, ...],
                  "complete": bool, "error": {"type", "message"} | null} | null,
     "error": {"type", "message"} | null}   # a transport failure before any answer

The number n is claimed by creating the file exclusively (O_EXCL) when the
request is sent, and the content is written atomically (temp file, then
os.replace) when the answer's stream is closed — also after an error or an
early close, with `complete: false`. So several threads or pytest-xdist
workers can record into one directory at once. `write_index(DIR)` writes
`DIR/index.json` (fingerprint -> files) from the files; replay does not need it.

No API key reaches a file: credential-looking request headers are written as
`***` (`Bearer ***`), and every secret given is replaced by *** wherever it
appears in recorded headers, bodies and chunks.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

FORMAT = "respcheck-recording/1"
MASK = "***"
INDEX = "index.json"

# Request headers whose value is a credential (same family as report.secrets).
_CREDENTIAL_HEADER = re.compile(r"authorization|api[-_]?key|token|secret|cookie|password|credential",
                                re.IGNORECASE)
_RESPONSE_SECRET_HEADERS = {"set-cookie"}
_FILE_NAME = re.compile(r"^[A-Z]+-[a-z0-9-]*-[0-9a-f]{12}-[0-9]+\.json$")


def default_variables() -> dict[str, str]:
    """Per-run values the suite puts into request bodies: the run id."""
    from . import casedata

    return {"run_id": casedata.RUN_ID}


# --------------------------------------------------------------------------- normalization


class _Normalizer:
    """Turns a request into its fingerprint and its redacted, storable form."""

    def __init__(self, secrets: Iterable[str] | None, variables: Mapping[str, str] | None):
        self.secrets = sorted({s for s in (secrets or ()) if s and len(s) >= 4}, key=len, reverse=True)
        if variables is None:
            variables = default_variables()
        self.variables = {k: v for k, v in variables.items() if v and len(v) >= 4}

    # What is replaced in the request before hashing: secrets, origin, variables.
    def replacements(self, origin: str) -> list[tuple[str, str]]:
        pairs = [(s, MASK) for s in self.secrets]
        if origin:
            pairs.append((origin, "{{origin}}"))
        pairs += [(v, "{{" + k + "}}") for k, v in self.variables.items()]
        return pairs

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def mask_bytes(self, data: bytes) -> bytes:
        return _replace_bytes(data, [(s.encode(), MASK.encode()) for s in self.secrets])

    def key(self, request: httpx.Request, body: bytes) -> tuple[str, str]:
        """(fingerprint, file stem) of a request."""
        fingerprint, doc = self.fingerprint(request, body)
        return fingerprint, _file_stem(doc["method"], doc["path"], fingerprint)

    def fingerprint(self, request: httpx.Request, body: bytes) -> tuple[str, dict]:
        origin = _origin(request.url)
        pairs = self.replacements(origin)
        query = sorted([_sub(k, pairs), _sub(v, pairs)] for k, v in request.url.params.multi_items())
        auth = {}
        for name, value in request.headers.items():
            # A cookie is not part of the key: a gateway's own (e.g. a CDN's
            # bot cookie) differs between runs and is replayed as ***.
            if _CREDENTIAL_HEADER.search(name) and name.lower() != "cookie":
                masked = self.mask(value)
                auth[name.lower()] = masked if masked != value else "sha256:" + hashlib.sha256(
                    value.encode()).hexdigest()
        doc: dict[str, Any] = {"v": 1, "method": request.method.upper(), "path": _sub(request.url.path, pairs),
                               "query": query, "auth": auth}
        if body:
            try:
                parsed = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                doc["body_sha256"] = hashlib.sha256(
                    _replace_bytes(body, [(a.encode(), b.encode()) for a, b in pairs])).hexdigest()
            else:
                doc["body_json"] = _sub_json(parsed, pairs)
        canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest(), doc

    def request_record(self, request: httpx.Request, body: bytes) -> dict:
        headers = []
        for name, value in request.headers.multi_items():
            if _CREDENTIAL_HEADER.search(name):
                scheme = value.split(" ", 1)[0] if " " in value else ""
                value = f"{scheme} {MASK}" if scheme.lower() in ("bearer", "basic", "token") else MASK
            headers.append([name, self.mask(value)])
        record: dict[str, Any] = {
            "method": request.method.upper(), "path": self.mask(request.url.path),
            "query": [[self.mask(k), self.mask(v)] for k, v in request.url.params.multi_items()],
            "headers": headers,
        }
        record.update(_encode_body(self.mask_bytes(body) if body else None))
        return record


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}" if url.netloc else ""


def _sub(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def _sub_json(value: Any, pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        return _sub(value, pairs)
    if isinstance(value, list):
        return [_sub_json(v, pairs) for v in value]
    if isinstance(value, dict):
        return {_sub(k, pairs): _sub_json(v, pairs) for k, v in value.items()}
    return value


def _replace_bytes(data: bytes, pairs: list[tuple[bytes, bytes]]) -> bytes:
    for old, new in pairs:
        if old and old != new:
            data = data.replace(old, new)
    return data


def replace_across_chunks(chunks: list[bytes], pairs: list[tuple[bytes, bytes]]) -> list[bytes]:
    """Replace each `old` by `new` in the stream the chunks make up, also
    where an `old` spans a chunk boundary, keeping the chunk boundaries
    (a boundary inside a replaced value moves to the value's end)."""
    pairs = [(o, n) for o, n in pairs if o and o != n]
    if not pairs or not chunks:
        return list(chunks)
    body = b"".join(chunks)
    pattern = re.compile(b"|".join(re.escape(o) for o, _ in sorted(pairs, key=lambda p: len(p[0]), reverse=True)))
    table = dict(pairs)
    matches = list(pattern.finditer(body))
    if not matches:
        return list(chunks)
    out, pos = [], 0
    new_pos = []  # (old_start, old_end, new_start, new_end)
    built = 0
    for m in matches:
        out.append(body[pos:m.start()])
        built += m.start() - pos
        replacement = table[m.group(0)]
        new_pos.append((m.start(), m.end(), built, built + len(replacement)))
        out.append(replacement)
        built += len(replacement)
        pos = m.end()
    out.append(body[pos:])
    new_body = b"".join(out)

    def mapped(offset: int) -> int:
        shift = 0
        for old_start, old_end, new_start, new_end in new_pos:
            if offset <= old_start:
                break
            if offset < old_end:  # inside a replaced value: cut after it
                return new_end
            shift = new_end - old_end
        return offset + shift

    result, start, old_offset = [], 0, 0
    for chunk in chunks:
        old_offset += len(chunk)
        end = mapped(old_offset)
        result.append(new_body[start:end])
        start = end
    return result


def _encode_body(body: bytes | None) -> dict:
    if body is None:
        return {"body": None, "body_encoding": "text"}
    try:
        return {"body": body.decode("utf-8"), "body_encoding": "text"}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode("ascii"), "body_encoding": "base64"}


def _slug(path: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
    return slug[:60].strip("-") or "root"


def _file_stem(method: str, path: str, fingerprint: str) -> str:
    return f"{method.upper()}-{_slug(path)}-{fingerprint[:12]}"


def _error_record(exc: BaseException, normalizer: _Normalizer) -> dict:
    message = normalizer.mask((str(exc) or type(exc).__name__).splitlines()[0][:500])
    return {"type": type(exc).__name__, "message": message}


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


def _write_atomically(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------- recording


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
        datas = replace_across_chunks([c for _, c in self._chunks],
                                      [(s.encode(), MASK.encode()) for s in normalizer.secrets])
        chunks = [{"t": round(t, 6), "data_b64": base64.b64encode(d).decode("ascii")}
                  for (t, _), d in zip(self._chunks, datas)]
        self._exchange.write({**self._head, "chunks": chunks, "complete": self._complete,
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


# --------------------------------------------------------------------------- replay


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
        datas = replace_across_chunks([d for _, d in timed], pairs)
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


# --------------------------------------------------------------------------- helpers for the plugin


def recording_transport(inner: httpx.BaseTransport, directory: str | os.PathLike, *,
                        secrets: Iterable[str] | None = None,
                        variables: Mapping[str, str] | None = None) -> RecordingTransport:
    return RecordingTransport(inner, directory, secrets=secrets, variables=variables)


def replay_transport(directory: str | os.PathLike, *, secrets: Iterable[str] | None = None,
                     variables: Mapping[str, str] | None = None, speed: float | None = None) -> ReplayTransport:
    return ReplayTransport(directory, secrets=secrets, variables=variables, speed=speed)


def wrap_client_transport(transport: httpx.BaseTransport, record_dir: str | os.PathLike | None = None,
                          replay_dir: str | os.PathLike | None = None, *, secrets: Iterable[str] | None = None,
                          variables: Mapping[str, str] | None = None,
                          speed: float | None = None) -> httpx.BaseTransport:
    """The transport a run's client should use: `transport` itself, or it
    wrapped to record into `record_dir`, or (closing `transport`, which is
    not needed) a replay from `replay_dir`."""
    if record_dir and replay_dir:
        raise ValueError("--record and --replay cannot be used together")
    if replay_dir:
        transport.close()
        return ReplayTransport(replay_dir, secrets=secrets, variables=variables, speed=speed)
    if record_dir:
        return RecordingTransport(transport, record_dir, secrets=secrets, variables=variables)
    return transport


def exchange_files(directory: str | os.PathLike) -> list[Path]:
    """The exchange files of a recording, sorted by name."""
    return sorted(p for p in Path(directory).glob("*.json") if _FILE_NAME.match(p.name))


def clear_recording(directory: str | os.PathLike) -> int:
    """Remove the exchange files (and index) of an earlier recording; call
    once before a recording run (in the xdist controller, not the workers)."""
    directory = Path(directory)
    removed = 0
    if not directory.is_dir():
        return 0
    for path in exchange_files(directory):
        path.unlink(missing_ok=True)
        removed += 1
    (directory / INDEX).unlink(missing_ok=True)
    return removed


def write_index(directory: str | os.PathLike) -> Path:
    """`DIR/index.json`: fingerprint -> its files in occurrence order, with
    method, path, status and completeness; rebuilt from the files, written
    atomically (call once at the end, in the controller)."""
    directory = Path(directory)
    exchanges: dict[str, dict] = {}
    for path in exchange_files(directory):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        entry = exchanges.setdefault(record["fingerprint"], {
            "method": record["request"]["method"], "path": record["request"]["path"], "files": []})
        response = record.get("response") or {}
        entry["files"].append({"file": path.name, "occurrence": record.get("occurrence"),
                               "status": response.get("status"), "complete": response.get("complete", False),
                               "error": (response.get("error") or record.get("error") or {}).get("type")})
    for entry in exchanges.values():
        entry["files"].sort(key=lambda f: f["occurrence"] or 0)
    target = directory / INDEX
    _write_atomically(target, {"format": FORMAT, "exchanges": exchanges})
    return target


def read_chunks(path: str | os.PathLike) -> list[tuple[float, bytes]]:
    """A recorded answer's chunks as (arrival offset, bytes)."""
    record = json.loads(Path(path).read_text(encoding="utf-8"))
    response = record.get("response") or {}
    try:
        return [(c["t"], base64.b64decode(c["data_b64"], validate=True)) for c in response.get("chunks", [])]
    except binascii.Error as exc:
        raise ValueError(f"{path}: a chunk is not valid base64: {exc}") from None
