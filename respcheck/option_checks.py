"""Command-line values checked before anything is sent, each problem one line:
a header that cannot go on the wire, a limit of zero, a report directory that
cannot be written, a baseline that cannot be read."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

# RFC 9110 token: the characters a header name may hold.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]*$")  # visible ASCII, space and tab


class OptionError(ValueError):
    pass


def parse_headers(values: list[str]) -> dict[str, str]:
    """--header NAME:VALUE, each checked as HTTP allows it on the wire."""
    headers: dict[str, str] = {}
    for raw in values:
        name, found, value = raw.partition(":")
        name, value = name.strip(), value.strip()
        if not found or not name:
            raise OptionError(f"--header must look like NAME:VALUE, got {raw!r}")
        if not _HEADER_NAME.match(name):
            bad = next(c for c in name if not _HEADER_NAME.match(c))
            raise OptionError(f"--header {raw!r}: {name!r} is not a valid header name "
                              f"({bad!r} is not allowed; letters, digits and !#$%&'*+-.^_`|~ are)")
        if not _HEADER_VALUE.match(value):
            bad = next(c for c in value if not _HEADER_VALUE.match(c))
            kind = "non-ASCII" if ord(bad) > 127 else "a control character"
            raise OptionError(f"--header {name}: the value holds {kind} ({bad!r}); header values are "
                              "printable ASCII (percent-encode it)")
        headers[name] = value
    return headers


def positive(name: str, value: float | int | None) -> None:
    if value is not None and not value > 0:  # NaN too
        raise OptionError(f"{name} must be positive, got {value:g}")


def not_negative(name: str, value: float | int | None) -> None:
    if value is not None and not value >= 0:
        raise OptionError(f"{name} must be 0 or more, got {value:g}")


def writable_dir(option: str, directory: str | None) -> None:
    """The directory exists (or can be made) and takes a file: found now,
    not in a traceback after the whole run."""
    if not directory:
        return
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".respcheck-write-test-"):
            pass
    except OSError as exc:
        raise OptionError(f"{option} {directory!r}: cannot write there ({exc.strerror or exc})") from None


def readable_baseline(path: str | None) -> None:
    if not path:
        return
    from .report.diff import load_results

    try:
        load_results(path)
    except ValueError as exc:
        raise OptionError(f"--baseline: {exc}") from None
