"""When the target stops answering mid-run, the rest of the run fails fast.

A target that stalls (or drips its answers) after the reachability probe
would otherwise cost every remaining case its full timeout (a hundred cases
x 30 s). After K cases in a row got no complete answer in time, the remaining
cases fail at once with one reason that says since when.
"""

from __future__ import annotations

import threading


class TargetBreaker:
    def __init__(self, limit: int):
        self.limit = limit  # 0: never trip
        self._lock = threading.Lock()
        self._silent: list[str] = []  # consecutive cases that got no answer
        self._last_answered: str | None = None
        self.reason: str | None = None  # set once tripped

    def observe(self, case_name: str, answered: bool) -> None:
        with self._lock:
            if answered:
                self._silent.clear()
                self._last_answered = case_name
                return
            self._silent.append(case_name)
            if self.limit and len(self._silent) >= self.limit and self.reason is None:
                since = f"after case {self._last_answered}" if self._last_answered else "from the first case on"
                self.reason = (f"not sent: the target stopped answering {since} ({len(self._silent)} cases in a "
                               f"row got no complete answer in time, the last {case_name}; --max-transport-failures "
                               f"{self.limit})")

    @property
    def tripped(self) -> bool:
        return self.reason is not None
