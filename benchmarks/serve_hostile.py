"""Run tests/hostile_server.py in one mode as its own process, for the benchmarks.

    python benchmarks/serve_hostile.py MODE

Prints `port N` on its first line, then serves until SIGTERM or SIGINT. Its
own process, so its threads and buffers never count in the suite's RSS.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hostile_server import MODES, HostileServer  # noqa: E402


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in MODES:
        print(f"usage: serve_hostile.py MODE (one of {', '.join(MODES)})", file=sys.stderr)
        return 2
    asked_to_stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: asked_to_stop.set())
    with HostileServer(sys.argv[1]) as server:
        print(f"port {server.port}", flush=True)
        while not asked_to_stop.wait(1.0):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
