"""Child processes for the benchmarks: a server that prints its port, and a
measured run with a wall-time limit, an RSS limit and its own peak RSS.

The peak RSS comes from `os.wait4`, which returns the resource usage of that
one child (RUSAGE_CHILDREN would mix every child the benchmark ever waited
for). Everything started here is stopped by its PID, never by name.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLL = 0.2  # seconds between checks of a running child
GRACE = 5.0  # seconds a child gets to end after SIGTERM before SIGKILL


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    returncode: int | None  # None when the benchmark had to stop it
    stopped_because: str  # "" when the child ended by itself
    output: str  # stdout and stderr, interleaved

    def wall(self, limit: float) -> str:
        """The wall time, or '> limit' when the run was stopped at its time limit."""
        if self.stopped_because == "time":
            return f"> {limit:g} s"
        return f"{self.seconds:.1f} s"


def _vm_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after GRACE seconds; reaps the child. Safe to call twice."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(GRACE)


def run_measured(command: list[str], *, cwd: Path, log: Path, time_limit: float, rss_limit_mb: float,
                 env: dict | None = None) -> Measured:
    """Run `command` to its end or to a limit; output goes to `log` (it can be large)."""
    started = time.monotonic()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        status, usage, stopped_because = _watch(process, started, time_limit, rss_limit_mb)
    except BaseException:  # Ctrl-C or a bug here: never leave the child behind
        if process.poll() is None:
            process.kill()
            process.wait()
        raise
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # wait4 reaped it; tell Popen
    code = None if stopped_because else process.returncode
    return Measured(seconds, usage.ru_maxrss / 1024, code, stopped_because,
                    log.read_bytes()[-200_000:].decode("utf-8", "replace"))


def _watch(process: subprocess.Popen, started: float, time_limit: float, rss_limit_mb: float):
    """Wait for the child, stopping it at a limit: (wait status, its rusage, "" | "time" | "rss")."""
    stopped_because, deadline = "", None
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            return status, usage, stopped_because
        if not stopped_because:
            if time.monotonic() - started > time_limit:
                stopped_because = "time"
            elif _vm_kib(process.pid, "VmRSS") / 1024 > rss_limit_mb:
                stopped_because = "rss"
            if stopped_because:
                process.send_signal(signal.SIGTERM)
                deadline = time.monotonic() + GRACE
        elif deadline is not None and time.monotonic() > deadline:
            process.kill()
            deadline = None
        time.sleep(POLL)


def start_server(command: list[str], *, cwd: Path = ROOT, wait: float = 20.0) -> tuple[subprocess.Popen, int]:
    """Start a server that prints `port N` on its first line of stdout; return it and N."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    deadline = time.monotonic() + wait
    line = b""
    try:
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or process.poll() is not None:
                raise RuntimeError(f"{' '.join(command)} did not say its port within {wait:g} s")
            ready, _, _ = select.select([process.stdout], [], [], min(left, POLL))
            if ready:
                byte = os.read(process.stdout.fileno(), 1)
                if not byte:
                    raise RuntimeError(f"{' '.join(command)} ended before it said its port")
                line += byte
        words = line.decode().split()
        if len(words) != 2 or words[0] != "port":
            raise RuntimeError(f"unexpected first line from {command[1:]}: {line!r}")
        return process, int(words[1])
    except BaseException:
        stop(process)
        raise


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def load() -> str:
    """The load averages as uptime shows them (1, 5, 15 minutes)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"
