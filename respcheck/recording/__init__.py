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

import os
from collections.abc import Iterable, Mapping

import httpx

from .files import FORMAT, INDEX, clear_recording, exchange_files, read_chunks, write_index
from .normalize import MASK, default_variables, replace_across_chunks
from .record import RecordingTransport
from .replay import ReplayTransport

__all__ = [
    "FORMAT", "INDEX", "MASK",
    "RecordingTransport", "ReplayTransport",
    "clear_recording", "default_variables", "exchange_files", "read_chunks", "recording_transport",
    "replace_across_chunks", "replay_transport", "wrap_client_transport", "write_index",
]


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
