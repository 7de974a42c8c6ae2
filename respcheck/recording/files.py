"""The recording's files: their format and names, atomic writes, and listing,
clearing, indexing and reading them back."""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import os
import re
import tempfile
from pathlib import Path

FORMAT = "respcheck-recording/1"
INDEX = "index.json"

_FILE_NAME = re.compile(r"^[A-Z]+-[a-z0-9-]*-[0-9a-f]{12}-[0-9]+\.json$")


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
