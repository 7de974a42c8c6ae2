"""Masking a recorded answer's chunks: the secrets in every spelling
(report.secrets.Masker), across chunk boundaries — and inside a gzip or
deflate body, which is stored as it came off the wire (its base64 would
otherwise carry an echoed key past any text search).

A compressed body that holds a secret is decompressed chunk by chunk,
masked, and compressed again with one sync flush per chunk, so replaying it
still hands over each recorded chunk's share of the text at its time. Replay
substitutes this run's values (run id, origin) inside such a body the same way."""

from __future__ import annotations

import zlib
from typing import Callable

from ..report.secrets import MASK, Masker
from .normalize import rewrite_chunks

_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 15}


def mask_chunks(chunks: list[bytes], masker: Masker) -> list[bytes]:
    """Every secret in the stream the chunks make up replaced by ***, boundaries kept."""
    if not chunks:
        return []
    spans = masker.spans(b"".join(chunks))
    return rewrite_chunks(chunks, [(start, end, MASK.encode()) for start, end in spans])


def mask_recorded_body(chunks: list[bytes], content_encoding: str, masker: Masker) -> list[bytes]:
    """The chunks to store for an answer with this Content-Encoding."""
    return edit_encoded_body(chunks, content_encoding, lambda pieces: mask_chunks(pieces, masker))


def edit_encoded_body(chunks: list[bytes], content_encoding: str,
                      edit: Callable[[list[bytes]], list[bytes]]) -> list[bytes]:
    """`edit` applied to the body's text: to the decompressed chunks of a gzip or
    deflate body (compressed again only when the edit changed something, so an
    unchanged body stays byte for byte), to the chunks themselves otherwise."""
    wbits = _WBITS.get(content_encoding.strip().lower())
    if wbits is not None:
        decoded = _decode_per_chunk(chunks, wbits)
        if decoded is not None:
            edited = edit(decoded)
            return _encode_per_chunk(edited, wbits) if edited != decoded else list(chunks)
    return edit(chunks)


def _decode_per_chunk(chunks: list[bytes], wbits: int) -> list[bytes] | None:
    """Each chunk's share of the decompressed body; None when it does not
    decompress (then it is masked as it stands). Several gzip members in a row
    are read as one body, as httpx does."""
    decoder = zlib.decompressobj(wbits)
    out: list[bytes] = []
    try:
        for chunk in chunks:
            piece, data = b"", chunk
            while data:
                piece += decoder.decompress(data)
                data = b""
                if decoder.eof and decoder.unused_data:
                    data = decoder.unused_data
                    decoder = zlib.decompressobj(wbits)
            out.append(piece)
        out[-1:] = [out[-1] + decoder.flush()] if out else []
    except zlib.error:
        if wbits == 15:  # "deflate" is sometimes sent raw, without the zlib header
            return _decode_per_chunk(chunks, -15)
        return None
    return out


def _encode_per_chunk(pieces: list[bytes], wbits: int) -> list[bytes]:
    encoder = zlib.compressobj(6, zlib.DEFLATED, wbits)
    out = [encoder.compress(piece) + encoder.flush(zlib.Z_SYNC_FLUSH) for piece in pieces]
    out[-1] += encoder.flush(zlib.Z_FINISH)
    return out
