"""A shell-safe curl line that repeats a request, with secrets masked."""

from __future__ import annotations

import shlex

from ..client import Exchange
from .secrets import Masker

_SKIP = {"accept-encoding", "connection", "content-length", "host", "user-agent"}


def curl_command(exchange: Exchange, masker: Masker, stream: bool = False) -> str:
    parts = ["curl", "-sS"]
    if stream:
        parts.append("-N")
    parts += ["-X", exchange.method, shlex.quote(masker.text(exchange.url))]
    for name, value in masker.headers(exchange.request_headers).items():
        if name.lower() not in _SKIP:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if exchange.request_body is not None:
        body = exchange.request_body.decode("utf-8", "replace")
        parts += ["--data-binary", shlex.quote(masker.text(body))]
    return " ".join(parts)
