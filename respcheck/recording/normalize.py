"""What changes from run to run or is secret, replaced by placeholders: a
request's fingerprint and its redacted, storable form, and the substitution
helpers (also across chunk boundaries)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ..report.secrets import Masker
from .files import _encode_body, _file_stem

MASK = "***"

# Request headers whose value is a credential (same family as report.secrets).
_CREDENTIAL_HEADER = re.compile(r"authorization|api[-_]?key|token|secret|cookie|password|credential",
                                re.IGNORECASE)
_RESPONSE_SECRET_HEADERS = {"set-cookie"}


def default_variables() -> dict[str, str]:
    """Per-run values the suite puts into request bodies: the run id."""
    from ..model import casedata

    return {"run_id": casedata.RUN_ID}


class _Normalizer:
    """Turns a request into its fingerprint and its redacted, storable form."""

    def __init__(self, secrets: Iterable[str] | None, variables: Mapping[str, str] | None):
        self.secrets = sorted({s for s in (secrets or ()) if s and len(s) >= 4}, key=len, reverse=True)
        self.masker = Masker(self.secrets)
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
        return self.masker.text(text)

    def mask_bytes(self, data: bytes) -> bytes:
        return self.masker.data(data)

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
    return rewrite_chunks(chunks, [(m.start(), m.end(), table[m.group(0)]) for m in pattern.finditer(body)])


def rewrite_chunks(chunks: list[bytes], edits: list[tuple[int, int, bytes]]) -> list[bytes]:
    """Apply (start, end, replacement) edits, given in order and not
    overlapping, to the stream the chunks make up, keeping the chunk
    boundaries (a boundary inside a replaced span moves to its end)."""
    if not edits:
        return list(chunks)
    body = b"".join(chunks)
    out, pos = [], 0
    new_pos = []  # (old_start, old_end, new_start, new_end)
    built = 0
    for start, end, replacement in edits:
        out.append(body[pos:start])
        built += start - pos
        new_pos.append((start, end, built, built + len(replacement)))
        out.append(replacement)
        built += len(replacement)
        pos = end
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


def _error_record(exc: BaseException, normalizer: _Normalizer) -> dict:
    message = normalizer.mask((str(exc) or type(exc).__name__).splitlines()[0][:500])
    return {"type": type(exc).__name__, "message": message}
