"""Text from a gateway made safe to print: control characters shown as
escapes (`\\x1b`), so an answer cannot retitle the terminal, clear it, write
the clipboard (OSC 52) or hide text with bidi overrides when a report is
printed or `cat` — and a shell line that still means the same bytes."""

from __future__ import annotations

import re
import shlex

# C0 except tab and newline, DEL, C1, and the bidi embedding/override/isolate marks.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control character but newline and tab escaped."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def one_line(text: str) -> str:
    """`text` with newlines and tabs escaped too (a table cell, a step title)."""
    return _UNSAFE_ONE_LINE.sub(_escape, text) if _UNSAFE_ONE_LINE.search(text) else text


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def json_text(dumped: str) -> str:
    """JSON text (json.dumps with ensure_ascii=False) with the control characters
    json.dumps leaves raw (DEL, C1, bidi marks) written as \\u escapes: the same
    document, safe to `cat`."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", dumped)


def shell_quote(text: str) -> str:
    """A shell word for `text`. Text with control characters (newlines included)
    becomes bash's $'…' form, which prints as plain ASCII and gives the shell
    the very same bytes back."""
    if not _UNSAFE_ONE_LINE.search(text):
        return shlex.quote(text)
    out = []
    for char in text:
        if char in "\\'":
            out.append("\\" + char)
        elif _UNSAFE_ONE_LINE.match(char):
            if ord(char) <= 0x7F:
                out.append(_NAMED.get(char) or f"\\x{ord(char):02x}")
            else:  # a non-ASCII control character: its UTF-8 bytes, which is what the request carried
                out.append("".join(f"\\x{b:02x}" for b in char.encode("utf-8")))
        else:
            out.append(char)
    return "$'" + "".join(out) + "'"
