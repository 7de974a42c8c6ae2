"""The Python SDKs judge in one helper process, beside the run.

Importing openai and auriko takes about a second of CPU, and every view a
few milliseconds more; in the pytest process they would hold the GIL that
the cases and the embedded gateway need. In a helper process the imports
start with the run and overlap it, and the views run on the other core. It
is a plain child (`python -m respcheck.clients.helper_main`) speaking JSON
lines on its stdin/stdout, the same replay/view dicts the Node client gets:
multiprocessing's spawn would re-import pytest's main module in it first.

The helper lives as long as the interpreter (pytester's in-process runs share
it) and is started again if it dies; a view it could not give is `not
judged`, never a `breaks`."""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
from collections import deque
from concurrent.futures import Future
from pathlib import Path

_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent.parent)  # where `respcheck` is importable from


class _Helper:
    """Requests go out in order and their answers come back in order: a
    reader thread hands each to the Future waiting for it, so a case's
    thread only queues its replays and the case goes on."""

    def __init__(self):
        self._lock = threading.Lock()
        self._child: subprocess.Popen | None = None
        self._waiting: deque[Future] = deque()

    def _start(self) -> subprocess.Popen:
        if self._child is None or self._child.poll() is not None:
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(
                filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")]))}
            child = subprocess.Popen([sys.executable, "-m", "respcheck.clients.helper_main"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, text=True, encoding="utf-8")
            self._child, self._waiting = child, deque()
            threading.Thread(target=self._read, args=(child, self._waiting), name="respcheck-clients-helper",
                             daemon=True).start()
        return self._child

    def _read(self, child: subprocess.Popen, waiting: deque) -> None:
        for line in child.stdout:
            with self._lock:
                future = waiting.popleft() if waiting else None
            if future is not None:
                try:
                    future.set_result(json.loads(line))
                except ValueError as exc:
                    future.set_exception(RuntimeError(f"the helper process of the Python clients failed ({exc})"))
        with self._lock:  # it ended: whoever still waits gets the reason
            left, self._child = list(waiting), None if self._child is child else self._child
            waiting.clear()
        for future in left:
            future.set_exception(RuntimeError("the helper process of the Python clients ended"))

    def send(self, message: dict) -> Future:
        future: Future = Future()
        with self._lock:
            child = self._start()
            try:
                child.stdin.write(json.dumps(message) + "\n")
                child.stdin.flush()
            except OSError as exc:
                future.set_exception(RuntimeError(f"the helper process of the Python clients failed ({exc})"))
                return future
            self._waiting.append(future)
        return future

    def close(self) -> None:
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            try:
                child.stdin.close()
                child.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                child.kill()
                child.wait()


_HELPER = _Helper()
atexit.register(_HELPER.close)


def versions(names: tuple) -> Future:
    """{client: version}; sent first thing, it also starts the SDK imports while the run begins."""
    return _HELPER.send({"versions": list(names)})


def views(names: tuple, replays: list[dict]) -> Future:
    """{"views": {client: [view or {"not_judged": reason}, one per replay]}}, computed in the helper."""
    return _HELPER.send({"views": list(names), "replays": replays})
