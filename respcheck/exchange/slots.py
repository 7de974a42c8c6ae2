"""--concurrency across pytest-xdist workers: at most N requests in flight to
the target for the whole run, whatever -n says. Each in-flight request holds
one of N lock files (flock) in a folder shared by the run's workers."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: no cross-process limit there
    fcntl = None


class Slots:
    def __init__(self, count: int, run_key: str):
        self.count = count
        self.folder = Path(tempfile.gettempdir()) / f"respcheck-slots-{run_key}"
        self.folder.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def hold(self) -> Iterator[None]:
        while True:
            for index in range(self.count):
                self.folder.mkdir(parents=True, exist_ok=True)  # a worker that ended first may have removed it
                handle = open(self.folder / f"{index}.lock", "a+")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    continue
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
                    handle.close()
                return
            time.sleep(0.005)


def limiter(count: int | None):
    """A context-manager factory: a real limit only in an xdist run (within
    one process the scheduler runs at most N cases, so N requests, at once)."""
    run_key = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not count or not run_key or fcntl is None:
        return nullcontext
    slots = Slots(count, run_key)
    atexit.register(shutil.rmtree, slots.folder, ignore_errors=True)  # no lock folders left in /tmp
    return slots.hold
