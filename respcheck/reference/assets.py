"""Small PNG images made in code, served by the reference gateway at `/v1/assets/<name>`.

Cases embed them as data URLs (`data_url`) or point at the served path; the
gateway resolves that path itself, as it has no network.
"""

from __future__ import annotations

import base64
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ASSET_PATH = "/v1/assets/"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour 8-bit RGB PNG, every scanline with filter type 0."""
    if width < 1 or height < 1:
        raise ValueError("width and height must be at least 1")
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit, truecolour, no interlace
    row = b"\x00" + bytes(rgb) * width
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(row * height)) \
        + _chunk(b"IEND", b"")


ASSETS: dict[str, bytes] = {
    "red-8x8.png": png(8, 8, (255, 0, 0)),
    "blue-16x8.png": png(16, 8, (0, 0, 255)),
}


def data_url(name: str) -> str:
    """`data:image/png;base64,...` of one of ASSETS."""
    return "data:image/png;base64," + base64.b64encode(ASSETS[name]).decode("ascii")
