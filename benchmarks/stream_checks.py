"""How fast respcheck checks a long stream, against two yardsticks.

On the same bytes (a text stream of the reference gateway, ~N events, read in
64 KiB chunks as from a socket):
  respcheck  SSE framing (httpx-sse) + every universal stream rule + a schema
             validation of every event + a case sequence pattern
  sdk        the openai SDK's own stream helper (responses.stream), which
             rebuilds the response event by event
  floor      a bare split-on-blank-line and json.loads loop: the least any
             Python reader can do
Prints events/s for each, the ratios the streaming issue sets as targets
(respcheck >= 10x sdk, >= 0.3x floor), peak memory of respcheck's pass, and
the rate at several stream lengths to show it stays linear.

    python benchmarks/stream_checks.py [--events 100000] [--skip-sdk]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from respcheck.reference.request import parse_request  # noqa: E402
from respcheck.reference.responses import build_response, resolve_model  # noqa: E402
from respcheck.reference.streaming import iter_stream_frames  # noqa: E402
from respcheck.exchange.sse import read_stream  # noqa: E402
from respcheck.stream import StreamChecker  # noqa: E402

CHUNK = 64 * 1024
SETTINGS = {"event_line": "required", "done_sentinel": "forbidden", "error_event_shape": "flat",
            "unknown_events": "flag"}
SEQUENCE = ["response.created", "response.in_progress?",
            {"response.output_item.added": {"item": {"type": "message"}}}, "response.content_part.added",
            "response.output_text.delta+", "response.output_text.done", "response.content_part.done",
            "response.output_item.done", {"response.completed": {"response": {"status": "completed"}}}]


def stream_bytes(events: int) -> bytes:
    """The reference gateway's stream for an answer of about `events` deltas."""
    body = {"model": "ref-text-1", "input": f"Count from 1 to {events - 8}"}
    parsed = parse_request(body, frozenset())
    response = build_response(parsed, resolve_model(parsed, frozenset()), frozenset())
    return b"".join(iter_stream_frames(response, frozenset()))


class _Chunks(httpx.SyncByteStream):
    def __init__(self, data: bytes):
        self.data = data

    def __iter__(self):
        for i in range(0, len(self.data), CHUNK):
            yield self.data[i:i + CHUNK]


def run_respcheck(data: bytes) -> tuple[int, list]:
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=_Chunks(data))
    checker = StreamChecker(SETTINGS, SEQUENCE)
    end = read_stream(response, time.monotonic(), checker.feed, max_events=10**7, deadline=time.monotonic() + 600,
                      max_bytes=10**10, idle_timeout=60)
    failures = checker.finish(end)
    return checker.frames.received, failures


def run_floor(data: bytes) -> int:
    count = 0
    for block in data.split(b"\n\n"):
        for line in block.split(b"\n"):
            if line.startswith(b"data: "):
                json.loads(line[6:])
                count += 1
    return count


def run_sdk(data: bytes) -> int:
    import httpx2
    import openai

    def handler(request):
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=_Chunks2(data))

    class _Chunks2(httpx2.SyncByteStream):
        def __init__(self, payload: bytes):
            self.payload = payload

        def __iter__(self):
            for i in range(0, len(self.payload), CHUNK):
                yield self.payload[i:i + CHUNK]

    client = openai.OpenAI(api_key="bench", base_url="http://bench.invalid/v1",
                           http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    count = 0
    with client.responses.stream(model="ref-text-1", input="bench") as stream:
        for _ in stream:
            count += 1
        stream.get_final_response()
    return count


def timed(fn, data: bytes) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    result = fn(data)
    return time.perf_counter() - start, result


def cpu_seconds(fn, data: bytes, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        start = time.process_time()
        fn(data)
        best = min(best, time.process_time() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--skip-sdk", action="store_true", help="the SDK takes a while on long streams")
    args = parser.parse_args()

    data = stream_bytes(args.events)
    print(f"stream: {len(data) / 1e6:.1f} MB, ", end="")
    seconds, (events, failures) = timed(run_respcheck, data)
    print(f"{events} events")
    if failures:
        print("respcheck found failures in the reference stream:", [f.render() for f in failures[:5]])
        return 1
    rc_rate = events / seconds
    print(f"respcheck  {rc_rate:>10,.0f} events/s  ({seconds:.2f}s, all rules + schema per event + pattern)")
    cpu = cpu_seconds(run_respcheck, data)
    print(f"respcheck  {events / cpu:>10,.0f} events per CPU-second (best of 3; steadier than wall time "
          "when the machine is shared)")
    seconds, floor_events = timed(run_floor, data)
    floor_rate = floor_events / seconds
    print(f"floor      {floor_rate:>10,.0f} events/s  ({seconds:.2f}s, split + json.loads)")
    if not args.skip_sdk:
        seconds, sdk_events = timed(run_sdk, data)
        sdk_rate = sdk_events / seconds
        print(f"sdk        {sdk_rate:>10,.0f} events/s  ({seconds:.2f}s, openai responses.stream)")
        print(f"respcheck / sdk   = {rc_rate / sdk_rate:.1f}x   (target >= 10x)")
    print(f"respcheck / floor = {rc_rate / floor_rate:.2f}x  (target >= 0.3x)")

    tracemalloc.start()
    run_respcheck(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"respcheck peak memory (tracemalloc, beyond the {len(data) / 1e6:.1f} MB input): {peak / 1e6:.1f} MB")

    print("linearity (respcheck events/s by stream length):")
    for n in (args.events // 4, args.events // 2, args.events):
        sample = stream_bytes(n)
        seconds, (count, _) = timed(run_respcheck, sample)
        print(f"  {count:>8} events: {count / seconds:>10,.0f} events/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
