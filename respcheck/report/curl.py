"""A shell-safe curl line that repeats a request, with secrets masked; a
value with control characters is written as $'…' (plain ASCII to print,
the same bytes to the shell)."""

from __future__ import annotations

from ..exchange.client import Exchange
from .printable import shell_quote
from .secrets import Masker

_SKIP = {"accept-encoding", "connection", "content-length", "host", "user-agent"}


def curl_command(exchange: Exchange, masker: Masker, stream: bool = False) -> str:
    parts = ["curl", "-sS"]
    if stream:
        parts.append("-N")
    parts += ["-X", exchange.method, shell_quote(masker.text(exchange.url))]
    for name, value in masker.headers(exchange.request_headers).items():
        if name.lower() not in _SKIP:
            parts += ["-H", shell_quote(f"{name}: {value}")]
    if exchange.request_body is not None:
        body = exchange.request_body.decode("utf-8", "replace")
        parts += ["--data-binary", shell_quote(masker.text(body))]
    return " ".join(parts)
