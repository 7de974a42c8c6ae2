"""`input_image` parts: fetching (data URLs and the gateway's own assets only), PNG decoding, and
the sentence the model says about the picture.

The decoder reads 8-bit RGB/RGBA non-interlaced PNGs: it checks every chunk's CRC
and every scanline's filter type (0-4), and reconstructs the first scanline,
which is all the model looks at (the colour of the first pixel).
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from .assets import ASSET_PATH, ASSETS, PNG_SIGNATURE
from .catalog import Model
from .errors import ApiError, invalid

MAX_SIDE = 8192
COLOURS = {
    "red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "yellow": (255, 255, 0),
    "cyan": (0, 255, 255), "magenta": (255, 0, 255), "white": (255, 255, 255), "black": (0, 0, 0),
    "gray": (128, 128, 128),
}
_DATA_URL = re.compile(r"data:([^;,]*)((?:;[^;,]*)*),(.*)", re.DOTALL)
_CHANNELS = {2: 3, 6: 4}  # PNG colour type -> bytes per pixel at bit depth 8


@dataclass(frozen=True)
class Picture:
    width: int
    height: int
    first_pixel: tuple[int, int, int]

    def describe(self) -> str:
        shape = "square" if self.width == self.height else "rectangle"
        return f"The image is a {colour_name(self.first_pixel)} {shape}, {self.width}x{self.height} pixels."


def colour_name(rgb: tuple[int, int, int]) -> str:
    """The nearest named colour (squared RGB distance; ties go to the first listed)."""
    return min(COLOURS, key=lambda name: sum((a - b) ** 2 for a, b in zip(COLOURS[name], rgb)))


class UnsupportedImage(ValueError):
    pass


def unfilter_row(kind: int, row: bytes, previous: bytes, bpp: int) -> bytes:
    """Undo one PNG scanline filter (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth)."""
    out = bytearray(row)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        up = previous[i]
        if kind == 1:
            out[i] = (out[i] + left) & 0xFF
        elif kind == 2:
            out[i] = (out[i] + up) & 0xFF
        elif kind == 3:
            out[i] = (out[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            upper_left = previous[i - bpp] if i >= bpp else 0
            estimate = left + up - upper_left
            pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - upper_left)
            predictor = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
            out[i] = (out[i] + predictor) & 0xFF
        elif kind != 0:
            raise UnsupportedImage(f"unknown PNG filter type {kind}")
    return bytes(out)


def decode_png(data: bytes) -> Picture:
    if not data.startswith(PNG_SIGNATURE):
        raise UnsupportedImage("not a PNG")
    offset, header, compressed = len(PNG_SIGNATURE), None, bytearray()
    while True:
        if offset + 8 > len(data):
            raise UnsupportedImage("truncated PNG (no IEND chunk)")
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        crc = data[offset + 8 + length:offset + 12 + length]
        if len(body) != length or len(crc) != 4 or struct.unpack(">I", crc)[0] != zlib.crc32(kind + body) & 0xFFFFFFFF:
            raise UnsupportedImage(f"damaged PNG chunk {kind!r}")
        offset += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            compressed += body
        elif kind == b"IEND":
            break
    if header is None or len(header) != 13:
        raise UnsupportedImage("PNG without a valid IHDR chunk")
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour_type not in _CHANNELS or interlace != 0:
        raise UnsupportedImage("only 8-bit RGB/RGBA non-interlaced PNGs are supported")
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise UnsupportedImage(f"image sides must be 1 to {MAX_SIDE} pixels")
    bpp = _CHANNELS[colour_type]
    stride = 1 + width * bpp
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(bytes(compressed), stride * height + 1)  # bounded: no zip bombs
    except zlib.error as exc:
        raise UnsupportedImage(f"bad PNG image data: {exc}") from exc
    if len(raw) != stride * height:
        raise UnsupportedImage("PNG image data does not match its size")
    if any(raw[row * stride] > 4 for row in range(height)):
        raise UnsupportedImage("unknown PNG filter type")
    first = unfilter_row(raw[0], raw[1:stride], bytes(stride - 1), bpp)
    return Picture(width, height, (first[0], first[1], first[2]))


def fetch(url: str) -> bytes:
    """The bytes behind an image_url: a base64 data URL, or this gateway's own /v1/assets/ path."""
    if url.startswith("data:"):
        match = _DATA_URL.fullmatch(url)
        if match is None or ";base64" not in match.group(2).lower():
            raise invalid("invalid_parameter_value", "input_image data URLs must be base64 encoded.", "input")
        if match.group(1) and not match.group(1).lower().startswith("image/"):
            raise invalid("invalid_parameter_value", f"unsupported image media type {match.group(1)!r}.", "input")
        try:
            return base64.b64decode(match.group(3), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise invalid("invalid_parameter_value", "input_image data URL is not valid base64.", "input") from exc
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise invalid("invalid_parameter_value", "image_url must be a data URL or an http(s) URL.", "input")
    name = parts.path[len(ASSET_PATH):] if parts.path.startswith(ASSET_PATH) else None
    if name not in ASSETS:
        raise invalid("invalid_parameter_value",
                      "cannot fetch image URL (the reference gateway has no network).", "input")
    return ASSETS[name]


def see(urls: list[str], model: Model, faults: frozenset[str]) -> str | None:
    """Check the request's images against the model; the description of the picture the model sees.

    The last image of the input is the one described; None when the model sees none.
    """
    if not urls:
        return None
    if not model.capabilities.get("vision"):
        if "vision_text_model_accepts" in faults:
            return None  # the text model answers anyway, blind
        raise ApiError(400, "invalid_request_error", "vision_not_supported",
                       f"The model '{model.id}' does not accept image inputs.", "input")
    pictures = []
    for url in urls:
        try:
            pictures.append(decode_png(fetch(url)))
        except UnsupportedImage as exc:
            raise invalid("invalid_parameter_value", f"unsupported image: {exc}.", "input") from exc
    if "vision_image_dropped" in faults:
        return None
    return pictures[-1].describe()
