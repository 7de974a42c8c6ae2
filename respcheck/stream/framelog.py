"""What a finished case keeps of a stream's frames: a bounded sample.

The rules see every frame as it arrives; reports need only enough to show
what happened — the opening events, the last ones, and how many were left
out between. A 100k-event stream, an endless one cut at the byte limit, or
one huge event therefore costs a case a few hundred KiB, not the stream.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import Iterator

from ..exchange.sse import Frame

HEAD_BYTES = 64 * 1024  # the opening frames kept
TAIL_BYTES = 64 * 1024  # the closing frames kept
FRAME_CHARS = 16 * 1024  # of one frame's data
KEEP_LAST = 8  # the text report's event table shows the last 8, whatever their size
_OVERHEAD = 64  # a frame's cost beyond its data, roughly


def _cost(frame: Frame) -> int:
    return len(frame.data) + _OVERHEAD


class FrameLog:
    """A sequence of the kept frames (head, then tail), in arrival order.

    `received` counts every frame; `dropped` those left out, all between the
    head and the tail (`gap()` names them). A kept frame's data is cut to
    FRAME_CHARS; `Frame.clipped` says by how much."""

    def __init__(self, head_bytes: int = HEAD_BYTES, tail_bytes: int = TAIL_BYTES,
                 frame_chars: int = FRAME_CHARS):
        self._head: list[Frame] = []
        self._tail: deque[Frame] = deque()
        self._head_room = head_bytes
        self._tail_bytes = tail_bytes
        self._tail_size = 0
        self._frame_chars = frame_chars
        self.received = 0
        self.dropped = 0

    def add(self, frame: Frame) -> None:
        self.received += 1
        if len(frame.data) > self._frame_chars:
            frame = replace(frame, data=frame.data[:self._frame_chars],
                            clipped=frame.clipped + len(frame.data) - self._frame_chars)
        cost = len(frame.data) + _OVERHEAD
        tail = self._tail
        if not tail and (cost <= self._head_room or not self._head):
            self._head.append(frame)
            self._head_room -= cost
            return
        tail.append(frame)
        self._tail_size += cost
        while self._tail_size > self._tail_bytes and len(tail) > KEEP_LAST:
            self._tail_size -= _cost(tail.popleft())
            self.dropped += 1

    def gap(self) -> tuple[int, int] | None:
        """(first, last) index of the frames left out, or None if none were."""
        if not self.dropped:
            return None
        first = self._tail[0].index - self.dropped
        return first, self._tail[0].index - 1

    def __iter__(self) -> Iterator[Frame]:
        yield from self._head
        yield from self._tail

    def __len__(self) -> int:
        return len(self._head) + len(self._tail)

    def __getitem__(self, key):
        return list(self)[key]

    def __repr__(self) -> str:
        return f"<FrameLog {len(self)} kept of {self.received}>"
