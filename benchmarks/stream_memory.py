"""Peak memory of the stream pass against hostile streams, many cases in a row.

Each "case" reads a stream through the real reader (respcheck.exchange.sse.read_stream)
into a StreamChecker and keeps the finished checker, as a run keeps every
case's result for its reports. Two hostile streams:
  endless   a valid text stream that never ends: stopped by --max-stream-bytes
  big-event one 50 MB `data:` line: stopped by the per-event limit
Prints the peak RSS after all cases and what a finished checker keeps.

    python benchmarks/stream_memory.py [--cases 100] [--max-stream-bytes 33554432]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from respcheck.exchange.sse import read_stream  # noqa: E402
from respcheck.stream import StreamChecker  # noqa: E402

SETTINGS = {"event_line": "required", "done_sentinel": "forbidden", "error_event_shape": "flat"}
CHUNK = 64 * 1024


class Endless(httpx.SyncByteStream):
    def __iter__(self):
        head = [{"type": "response.created", "sequence_number": 0, "response": {
            "id": "resp_1", "object": "response", "created_at": 1, "status": "in_progress", "model": "m",
            "output": []}},
            {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0, "item": {
                "id": "msg_1", "type": "message", "role": "assistant", "status": "in_progress", "content": []}},
            {"type": "response.content_part.added", "sequence_number": 2, "item_id": "msg_1", "output_index": 0,
             "content_index": 0, "part": {"type": "output_text", "text": "", "annotations": []}}]
        yield b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in head)
        n = 3
        while True:
            block = []
            for _ in range(200):
                event = {"type": "response.output_text.delta", "sequence_number": n, "item_id": "msg_1",
                         "output_index": 0, "content_index": 0, "delta": "word ", "logprobs": []}
                block.append(f"event: response.output_text.delta\ndata: {json.dumps(event)}\n\n".encode())
                n += 1
            yield b"".join(block)


class BigEvent(httpx.SyncByteStream):
    def __iter__(self):
        yield b'event: response.created\ndata: {"type": "response.created", "x": "'
        filler = b"x" * CHUNK
        for _ in range(50 * 1024 * 1024 // CHUNK):
            yield filler
        yield b'"}\n\n'


def run(kind: str, cases: int, max_bytes: int) -> None:
    kept = []
    start = time.monotonic()
    for _ in range(cases):
        stream = Endless() if kind == "endless" else BigEvent()
        response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)
        checker = StreamChecker(SETTINGS)
        end = read_stream(response, time.monotonic(), checker.feed, max_events=10**9,
                          deadline=time.monotonic() + 3600, max_bytes=max_bytes, idle_timeout=60)
        failures = checker.finish(end)
        kept.append(checker)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    last = kept[-1]
    print(f"{kind:<9} {cases} cases in {time.monotonic() - start:.0f}s: peak RSS {peak:.0f} MB; a case keeps "
          f"{len(last.frames)} of {last.frames.received} frames; it ends with {[f.render() for f in failures][-1]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--max-stream-bytes", type=int, default=32 * 1024 * 1024)
    parser.add_argument("--only", choices=("endless", "big-event"))
    args = parser.parse_args()
    for kind in ("endless", "big-event"):
        if args.only in (None, kind):
            run(kind, args.cases, args.max_stream_bytes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
