"""Start a server as a child process on loopback, wait for it (bounded), stop it by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

STOP_GRACE = 10.0  # seconds between SIGTERM and SIGKILL


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(name: str, command: list[str], log: Path, env: dict | None = None, cwd: Path | None = None) -> Server:
    out = log.open("wb")
    # A session of its own: stopping the server also stops any worker it forks.
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env=env, cwd=cwd, start_new_session=True)
    out.close()
    return Server(name, process, log)


def _log_tail(server: Server, lines: int = 15) -> str:
    try:
        text = server.log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:]) or "    (empty log)"


def wait_ready(server: Server, url: str, key: str, budget: float) -> None:
    """Poll `url` until it answers 200; RuntimeError (with the log's tail) when
    the server exits or `budget` seconds pass."""
    deadline = time.monotonic() + budget
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with code {server.process.returncode} before it was ready; "
                               f"the end of {server.log}:\n{_log_tail(server)}")
        try:
            answer = httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=5.0)
            if answer.status_code == 200:
                return
            last = f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.5)
    raise RuntimeError(f"{server.name} was not ready at {url} within {budget:.0f} s (last: {last}); "
                       f"the end of {server.log}:\n{_log_tail(server)}")


def stop(server: Server) -> None:
    """SIGTERM to the server's process group, SIGKILL after a grace period."""
    if server.process.poll() is not None:
        return
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=STOP_GRACE)
    except ProcessLookupError:
        pass
