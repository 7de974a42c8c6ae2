"""In-process concurrency: up to N cases run at once, reports stay in order.

pytest runs items one after the other and reports each as it ends. A real
gateway takes seconds per request, so waiting for each case in turn makes a
run cost the sum of its requests. The scheduler runs cases ahead of pytest on
a thread pool (the sync httpx client is thread-safe, and the transport's
deadlines are per thread); when pytest reaches an item, its run is usually
done and is reported there, in collection order. A case that finished early
waits for its turn, so pytest's output and every report are the same as a
sequential run's.

At most N cases run at once, and at most `AHEAD` x N finished-but-unreported
runs are held (memory stays bounded when one slow case is at the head). `-x`
and `--maxfail` stop scheduling new cases; `cancel` drops what has not
started.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

AHEAD = 4


class CaseScheduler:
    def __init__(self, items: list, concurrency: int, runnable: Callable[[object], bool],
                 job: Callable[[object], object], should_stop: Callable[[], bool]):
        self._order = [item for item in items if runnable(item)]
        self._position = {id(item): n for n, item in enumerate(self._order)}
        self._job = job
        self._should_stop = should_stop
        self._limit = concurrency
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="respcheck-case")
        self._futures: dict[int, Future] = {}
        self._next = 0  # index in _order of the next item to submit
        self._head = 0  # index in _order of the next item pytest will ask for
        self._lock = threading.RLock()  # re-entered when a done callback runs at once
        self._closed = False

    def _fill(self) -> None:
        with self._lock:
            while (not self._closed and self._next < len(self._order)
                   and self._next < self._head + self._limit * AHEAD and not self._should_stop()):
                item = self._order[self._next]
                running = sum(1 for f in self._futures.values() if not f.done())
                if running >= self._limit:
                    break
                future = self._pool.submit(self._job, item)
                future.add_done_callback(lambda _f: self._fill())
                self._futures[id(item)] = future
                self._next += 1

    def result(self, item):
        """The item's run: from the pool when it was scheduled, else run here."""
        position = self._position.get(id(item))
        if position is not None:
            with self._lock:
                self._head = max(self._head, position + 1)
        self._fill()
        with self._lock:
            future = self._futures.pop(id(item), None)
        if future is None:
            return self._job(item)
        return future.result()

    def cancel(self) -> None:
        with self._lock:
            self._closed = True
            for future in self._futures.values():
                future.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
