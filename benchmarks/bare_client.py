"""The floor for issue 11: the requests of a `--record` run, sent again by a
bare httpx client with N threads, every answer read to its end.

    python benchmarks/bare_client.py --recording DIR --origin http://127.0.0.1:P --threads 16 --api-key K

Reads the recording's exchange files (respcheck/recording/files.py format:
`request` with method, path, query, headers, body, body_encoding; the
placeholders {{origin}} and {{run_id}} and the masked key `***`), sends them
in recorded order, and prints `sent N requests in S s (E errors)`. The steps
of a multi-step case are not kept in order: this is the floor, not a suite.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

MASK = "***"
SKIP_HEADERS = {"host", "content-length", "connection", "accept-encoding", "transfer-encoding"}


def load_requests(directory: Path, origin: str, api_key: str) -> list[dict]:
    """The recorded requests, in the order they were made, ready for httpx."""
    records = []
    for path in directory.glob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(record, dict) and "request" in record and "recorded_at" in record:
            records.append(record)
    records.sort(key=lambda record: record["recorded_at"])
    return [_request(record, origin, api_key) for record in records]


def _request(record: dict, origin: str, api_key: str) -> dict:
    variables = {**record.get("variables", {}), "origin": origin}

    def fill(text: str) -> str:
        for name, value in variables.items():
            text = text.replace("{{" + name + "}}", value)
        return text

    request = record["request"]
    body = request.get("body")
    if body is not None:
        body = base64.b64decode(body) if request.get("body_encoding") == "base64" else fill(body).encode()
    headers = [(name, fill(value).replace(MASK, api_key)) for name, value in request.get("headers", [])
               if name.lower() not in SKIP_HEADERS]
    return {"method": request["method"], "url": origin + fill(request["path"]),
            "params": [tuple(pair) for pair in request.get("query", [])], "headers": headers, "content": body}


def send_all(requests: list[dict], threads: int, timeout: float) -> tuple[float, int]:
    """(seconds, errors): every request sent and its answer read to the end."""
    limits = httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
    with httpx.Client(timeout=timeout, limits=limits) as client:
        def one(request: dict) -> bool:
            try:
                with client.stream(**request) as answer:
                    for _ in answer.iter_raw():
                        pass
                return True
            except httpx.HTTPError:
                return False

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            outcomes = list(pool.map(one, requests))
        return time.perf_counter() - started, outcomes.count(False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recording", required=True, type=Path, help="a --record directory")
    parser.add_argument("--origin", required=True, help="scheme://host:port to send to")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--api-key", required=True, help="replaces the masked key of the recording")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    requests = load_requests(args.recording, args.origin.rstrip("/"), args.api_key)
    if not requests:
        print(f"no recorded requests in {args.recording}", file=sys.stderr)
        return 1
    seconds, errors = send_all(requests, args.threads, args.timeout)
    print(f"sent {len(requests)} requests in {seconds:.3f} s ({errors} errors)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
