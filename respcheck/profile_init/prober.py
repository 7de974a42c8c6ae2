"""Sending the probes of `respcheck profile init`: a hard budget of requests,
the client's rate limit and time limits, strict JSON, and each answer said in
one line (the evidence a profile entry is annotated with)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..exchange import jsonstrict
from ..exchange.client import Client
from ..model.jsonpath import MISSING
from ..report.secrets import Masker

MAX_REQUESTS = 60
# A probe goes out at most this often (a resend after a kept-alive connection
# closed unanswered included): the budget keeps room for the worst case.
PROBE_SENDS = 2
KEPT_FRAMES = 400  # frames of one probe stream kept for reading (the rest are counted)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass
class Answer:
    """What one probe got back."""

    method: str
    path: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    json: Any = None  # the strict-JSON body, or None
    error: str | None = None  # a transport failure, in words
    frames: list = field(default_factory=list)  # SSE frames, for a stream
    frame_count: int = 0
    streamed: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and self.error is None

    @property
    def error_body(self) -> dict:
        """The error object of an error envelope (or {})."""
        body = self.json if isinstance(self.json, dict) else {}
        error = body.get("error")
        return error if isinstance(error, dict) else {}

    def events(self) -> list[dict]:
        """The JSON objects of the stream's `data:` lines ([DONE] and non-JSON left out)."""
        found = []
        for frame in self.frames:
            try:
                value = jsonstrict.loads(frame.data.encode("utf-8"))
            except jsonstrict.JsonError:
                continue
            if isinstance(value, dict):
                found.append(value)
        return found


class BudgetSpent(Exception):
    pass


class Prober:
    """One client, at most MAX_REQUESTS requests."""

    def __init__(self, client: Client, masker: Masker, budget: int = MAX_REQUESTS):
        self.client = client
        self.masker = masker
        self.budget = budget
        self.sent = 0

    @property
    def left(self) -> int:
        return self.budget - self.sent

    def send(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None, auth: str = "default",
             stream: bool = False, query: dict | None = None) -> Answer:
        # The client sends a request again when a kept-alive connection was closed
        # unanswered: room for that is kept, and every send is counted.
        if self.sent + PROBE_SENDS > self.budget:
            raise BudgetSpent(f"the budget of {self.budget} requests is spent")
        content = raw if raw is not None else (json.dumps(body).encode("utf-8") if body is not None else None)
        headers = self.client.build_headers(auth, None, "application/json" if content is not None else None)
        answer = Answer(method, path + (_query(query) if query else ""))
        if stream:
            def keep(frame) -> None:
                answer.frame_count += 1
                if len(answer.frames) < KEPT_FRAMES:
                    answer.frames.append(frame)
            exchange = self.client.send_stream(method, path, headers=headers, body=content, on_frame=keep, query=query)
        else:
            exchange = self.client.send(method, path, query=query, headers=headers, body=content)
        self.sent += 1 + exchange.resent
        answer.status, answer.headers, answer.error = exchange.status, dict(exchange.response_headers), exchange.error
        answer.streamed = exchange.streamed
        if not exchange.streamed and exchange.body:
            parsed = exchange.json
            answer.json = None if parsed is MISSING else parsed
        return answer

    def said(self, answer: Answer, what: str = "") -> str:
        """`POST /v1/responses (tools) -> 200: 1 function_call` — one printable, masked line."""
        if answer.error:
            result = answer.error
        else:
            result = f"{answer.status}"
            error = answer.error_body
            if error:
                result += " " + " ".join(f"{k}={error.get(k)!s}" for k in ("type", "code", "param") if k in error)
        text = f"{answer.method} {answer.path}{f' ({what})' if what else ''} -> {result}"
        return clean(self.masker.text(text))


def clean(text: str, limit: int = 220) -> str:
    """One line for a YAML comment: no control characters, bounded."""
    text = _UNPRINTABLE.sub("?", str(text))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _query(query: dict) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in query.items())
