"""Keeping API keys out of everything the suite prints or writes.

A gateway that echoes the key rarely echoes it verbatim: it may sit in a
JSON string with escapes (`sk\\u002dsecret`, `\\/`), in a URL (`%2D`), or
base64-encoded inside a larger blob. The masker finds each secret in all
these spellings (and their mixtures) in one pass; `respcheck.recording`
also decompresses gzip/deflate bodies before masking them."""

from __future__ import annotations

import base64
import re

MASK = "***"
_SECRET_HEADER = re.compile(r"authorization|api[-_]?key|token|secret|cookie|password", re.IGNORECASE)
MIN_SECRET = 4  # shorter values would mask ordinary text
MIN_BASE64_SECRET = 8  # below this a base64 fragment is too short to be told from other base64


def _char_forms(char: str) -> str:
    """A regex for one character of a secret in any spelling a body may use:
    itself, a JSON \\uXXXX escape (also double-escaped), `\\/`, %XX (also %25XX, encoded twice)."""
    code = ord(char)
    forms = [re.escape(char)]
    if code < 0x10000:
        hex4 = f"{code:04x}"
        forms.append(r"\\+u" + "".join(f"[{h}{h.upper()}]" if h.isalpha() else h for h in hex4))
    if char == "/":
        forms.append(r"\\+/")
    for byte in char.encode("utf-8"):
        hex2 = f"{byte:02x}"
        forms.append("%(?:25)*" + "".join(f"[{h}{h.upper()}]" if h.isalpha() else h for h in hex2))
    return "(?:" + "|".join(forms) + ")"


def _base64_cores(secret: bytes) -> list[str]:
    """The base64 text that encodes `secret` whatever its alignment in the encoded
    data: for each of the three byte offsets, the characters whose 6 bits all come
    from the secret (standard and URL-safe alphabets)."""
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode("ascii").rstrip("=")
        first = -(-offset * 8 // 6)  # the first character starting inside the secret
        last = (offset + len(secret)) * 8 // 6  # one past the last character ending inside it
        core = encoded[first:last]
        if len(core) >= 6:
            cores.add(core)
            cores.add(core.replace("+", "-").replace("/", "_"))
    return sorted(cores, key=len, reverse=True)


def secret_pattern(secrets, as_bytes: bool = False) -> re.Pattern | None:
    """One regex for every spelling of every secret, longest secret first.
    as_bytes: for latin-1-decoded bytes (each byte one character), so the
    secret's UTF-8 bytes are what is looked for."""
    alternatives, firsts = [], {"\\", "%"}
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len, reverse=True):
        spelled = secret.encode("utf-8").decode("latin-1") if as_bytes else secret
        alternatives.append("".join(_char_forms(c) for c in spelled))
        firsts.add(spelled[0])
        if len(secret.encode("utf-8")) >= MIN_BASE64_SECRET:
            cores = _base64_cores(secret.encode("utf-8"))
            alternatives += [re.escape(core) for core in cores]
            firsts |= {core[0] for core in cores}
    if not alternatives:
        return None
    # The lookahead on the possible first characters lets the engine skip ahead (about 3x faster on big bodies).
    first = "[" + "".join(re.escape(c) for c in sorted(firsts)) + "]"
    return re.compile(f"(?={first})(?:{'|'.join(alternatives)})")


class Masker:
    """Replaces every known secret, in any of its spellings, with *** (unless secrets are to be shown)."""

    def __init__(self, secrets: list[str] | tuple[str, ...] = (), show: bool = False):
        # Longest first, so a key that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len, reverse=True)
        self.show = show
        self._pattern = secret_pattern(self.secrets)
        self._bytes_pattern = secret_pattern(self.secrets, as_bytes=True)

    def text(self, value: str) -> str:
        if self.show or self._pattern is None:
            return value
        return self._pattern.sub(MASK, value)

    def data(self, value: bytes) -> bytes:
        """The same for raw bytes (a body as received)."""
        if self.show or self._bytes_pattern is None:
            return value
        return self._bytes_pattern.sub(MASK, value.decode("latin-1")).encode("latin-1")

    def spans(self, value: bytes) -> list[tuple[int, int]]:
        """Where the secrets are in raw bytes: (start, end) of each spelling found."""
        if self._bytes_pattern is None:
            return []
        return [m.span() for m in self._bytes_pattern.finditer(value.decode("latin-1"))]

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        if self.show:
            return dict(headers)
        out = {}
        for name, value in headers.items():
            if _SECRET_HEADER.search(name):
                scheme = value.split(" ", 1)[0] if " " in value else ""
                out[name] = f"{scheme} {MASK}" if scheme.lower() in ("bearer", "basic", "token") else MASK
            else:
                out[name] = self.text(value)
        return out


def secret_header_values(headers: dict[str, str]) -> list[str]:
    """Values of extra headers that look like credentials, to be masked too."""
    values = []
    for name, value in headers.items():
        if _SECRET_HEADER.search(name):
            values.append(value.split(" ", 1)[1] if " " in value else value)
    return values
