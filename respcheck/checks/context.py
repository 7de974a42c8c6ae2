"""What every check receives: the exchange and what the case expects of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..exchange.client import Exchange
from ..failures import Failure
from ..model.jsonpath import MISSING
from ..model.profile import Profile


@dataclass
class CheckContext:
    exchange: Exchange
    expect: dict  # the step's expectations, placeholders already filled in
    profile: Profile
    path: str  # request path relative to the base URL, e.g. /responses
    method: str = "POST"
    lines: dict = field(default_factory=dict)  # path in the step -> line in the case file
    step: str = ""
    stream_requested: bool = False
    stream_body: Any = MISSING  # a stream's terminal response, once read
    sources: dict = field(default_factory=dict)  # ("expect", key, ...) -> "file:line" of a profile's override

    @property
    def body(self) -> Any:
        """The JSON the body expectations apply to: the parsed body, or for a
        stream the response carried by its terminal event."""
        return self.stream_body if self.exchange.streamed else self.exchange.json

    def line(self, *keys: Any) -> int | None:
        path = ("expect",) + keys
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def source(self, *keys: Any) -> str | None:
        """Where an expectation a profile overrides was written (its top-level
        key replaces the case's), or None when it comes from the case file."""
        if not keys or ("expect", keys[0]) not in self.sources:
            return None
        path = ("expect",) + keys
        while path not in self.sources:
            path = path[:-1]
        return self.sources[path]

    def fail(self, rule: str, message: str, path: str = "", at: tuple = ()) -> Failure:
        source = self.source(*at) if at else None
        return Failure(rule=rule, message=message, path=path, step=self.step,
                       line=self.line(*at) if at and source is None else None, source=source)

    @property
    def ok_status(self) -> bool:
        status = self.exchange.status
        return status is not None and 200 <= status < 300

    @property
    def is_responses_create(self) -> bool:
        return self.method == "POST" and self.path.rstrip("/") == "/responses"
