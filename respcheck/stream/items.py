"""Output items rebuilt from their events, and the rules on the way.

Like the SDKs' accumulators, every delta is applied to the item it names —
but each step is also checked: the item was added first and not yet done,
the indexes and item_id agree, the deltas join to the `.done` value, and the
`.done` values equal the item in `output_item.done`. Deltas are kept as
`Pieces` and joined once, so a 100k-delta stream stays linear and small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

class Pieces(list):
    """Deltas appended one by one (list.append, the hot path), joined on
    demand. Whoever appends calls `compact()` past COMPACT pieces, so a long
    stream of tiny deltas costs its text, not a Python object per delta."""

    __slots__ = ("_joined",)
    COMPACT = 1024

    def __init__(self) -> None:
        super().__init__()
        self._joined: list[str] = []

    def compact(self) -> None:
        self._joined.append("".join(self))
        self.clear()

    def text(self) -> str:
        return "".join(self._joined) + "".join(self)

    def __bool__(self) -> bool:
        return bool(self._joined) or len(self) > 0


Report = Callable[[str, str, str], None]  # (rule, where: the event, problem)


@dataclass
class _Part:
    kind: str
    pieces: Pieces = field(default_factory=Pieces)
    done_value: str | None = None  # from output_text.done / refusal.done
    finished: bool = False  # content_part.done seen


@dataclass
class _Item:
    index: int
    id: Any
    type: str
    parts: list = field(default_factory=list)  # content parts (output_text, refusal, reasoning_text)
    summary_parts: list = field(default_factory=list)  # a reasoning item's summary parts

    def parts_of(self, summary: bool) -> list:
        return self.summary_parts if summary else self.parts
    arguments: Pieces = field(default_factory=Pieces)
    arguments_done: str | None = None
    done_item: dict | None = None


_TEXT_FIELD = {"output_text": "text", "refusal": "refusal", "summary_text": "text", "reasoning_text": "text"}


def _first_difference(a: str, b: str) -> str:
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return (f"they differ at character {n}: joined deltas give {a[max(0, n - 20):n + 20]!r} "
            f"({len(a)} chars), the .done value has {b[max(0, n - 20):n + 20]!r} ({len(b)} chars)")


class ItemTracker:
    def __init__(self, report: Report):
        self.report = report
        self.items: dict[int, _Item] = {}

    # -- helpers --------------------------------------------------------------

    def _item(self, where: str, event: dict, *, open_only: bool = True) -> _Item | None:
        index = event.get("output_index")
        item = self.items.get(index) if isinstance(index, int) else None
        if item is None:
            self.report("stream.item_order" if isinstance(index, int) and not self._other_id(event)
                        else "stream.indexes", where,
                        f"names output_index {index!r}, which no output_item.added opened")
            return None
        item_id = event.get("item_id")
        if "item_id" in event and item.id is not None and item_id != item.id:
            self.report("stream.indexes", where, f"names item_id {item_id!r}, but output_index {index} "
                                                 f"is item {item.id!r}")
        if open_only and item.done_item is not None:
            self.report("stream.item_order", where, f"arrives after output_item.done of output_index {index}")
        return item

    def _other_id(self, event: dict) -> bool:
        """A known item_id at an unknown output_index is an index mix-up, not a missing item."""
        item_id = event.get("item_id")
        return item_id is not None and any(i.id == item_id for i in self.items.values())

    def _part(self, where: str, item: _Item, index: Any, *, summary: bool = False) -> _Part | None:
        key = "summary_index" if summary else "content_index"
        parts = item.parts_of(summary)
        if not isinstance(index, int) or not 0 <= index < len(parts):
            self.report("stream.item_order" if isinstance(index, int) and index == len(parts)
                        else "stream.indexes", where,
                        f"names {key} {index!r} of output_index {item.index}, which has "
                        f"{len(parts)} part(s) added")
            return None
        return parts[index]

    # -- events ---------------------------------------------------------------

    def item_added(self, where: str, event: dict) -> None:
        index, item = event.get("output_index"), event.get("item")
        if not isinstance(index, int) or not isinstance(item, dict):
            return  # the event schema reports the shape
        if index in self.items:
            self.report("stream.item_order", where, f"output_index {index} was already added")
            return
        if index != len(self.items):
            self.report("stream.indexes", where, f"output_index {index} added, expected {len(self.items)} next")
        self.items[index] = _Item(index, item.get("id"), item.get("type", "?"))

    def part_added(self, where: str, event: dict, *, summary: bool = False) -> None:
        item = self._item(where, event)
        part = event.get("part")
        if item is None or not isinstance(part, dict):
            return
        key = "summary_index" if summary else "content_index"
        parts = item.parts_of(summary)
        if event.get(key) != len(parts):
            self.report("stream.indexes", where, f"{key} {event.get(key)!r} added, expected {len(parts)}")
        parts.append(_Part(part.get("type", "?")))

    def delta(self, where: str, event: dict, *, summary: bool = False) -> None:
        item = self._item(where, event)
        if item is None:
            return
        part = self._part(where, item, event.get("summary_index" if summary else "content_index"), summary=summary)
        if part is None:
            return
        if part.done_value is not None:
            self.report("stream.item_order", where, "arrives after the part's .done event")
        delta = event.get("delta")
        if isinstance(delta, str):
            pieces = part.pieces
            pieces.append(delta)
            if len(pieces) >= Pieces.COMPACT:
                pieces.compact()

    def text_done(self, where: str, event: dict, value_key: str, *, summary: bool = False) -> None:
        item = self._item(where, event)
        if item is None:
            return
        part = self._part(where, item, event.get("summary_index" if summary else "content_index"), summary=summary)
        value = event.get(value_key)
        if part is None or not isinstance(value, str):
            return
        part.done_value = value
        joined = part.pieces.text()
        if joined != value:
            self.report("stream.delta_join", where, f"the deltas do not join to the .done {value_key}; "
                        + _first_difference(joined, value))

    def part_done(self, where: str, event: dict, *, summary: bool = False) -> None:
        item = self._item(where, event)
        if item is None:
            return
        part_event = event.get("part")
        part = self._part(where, item, event.get("summary_index" if summary else "content_index"), summary=summary)
        if part is None or not isinstance(part_event, dict):
            return
        part.finished = True
        text_key = _TEXT_FIELD.get(part_event.get("type", ""), "text")
        value = part_event.get(text_key)
        known = part.done_value if part.done_value is not None else part.pieces.text()
        if isinstance(value, str) and value != known:
            self.report("stream.done_matches_item", where, f"the part's {text_key} {value[:60]!r} differs from "
                                                           f"what its deltas and .done event gave ({known[:60]!r})")

    def arguments_delta(self, where: str, event: dict) -> None:
        item = self._item(where, event)
        if item is not None and isinstance(event.get("delta"), str):
            if item.arguments_done is not None:
                self.report("stream.item_order", where, "arrives after function_call_arguments.done")
            item.arguments.append(event["delta"])
            if len(item.arguments) >= Pieces.COMPACT:
                item.arguments.compact()

    def arguments_done(self, where: str, event: dict) -> None:
        item = self._item(where, event)
        value = event.get("arguments")
        if item is None or not isinstance(value, str):
            return
        item.arguments_done = value
        joined = item.arguments.text()
        if item.arguments and joined != value:
            self.report("stream.delta_join", where, "the argument deltas do not join to the .done arguments; "
                        + _first_difference(joined, value))

    def item_done(self, where: str, event: dict) -> None:
        done = event.get("item")
        item = self._item(where, event)
        if item is None or not isinstance(done, dict):
            return
        item.done_item = done
        if done.get("id") != item.id:
            self.report("stream.indexes", where, f"item id {done.get('id')!r} differs from the added {item.id!r}")
        self._compare_done(where, item, done)

    def _compare_done(self, where: str, item: _Item, done: dict) -> None:
        kind = done.get("type")
        if kind == "function_call":
            streamed = item.arguments_done if item.arguments_done is not None else item.arguments.text()
            if (item.arguments or item.arguments_done is not None) and done.get("arguments") != streamed:
                self.report("stream.done_matches_item", where, f"arguments {str(done.get('arguments'))[:60]!r} "
                                                               f"differ from the streamed {streamed[:60]!r}")
            return
        if kind == "reasoning":  # its summary, and its raw reasoning text where that was streamed
            self._compare_parts(where, done.get("summary"), item.summary_parts, "summary part")
            if item.parts:
                self._compare_parts(where, done.get("content"), item.parts, "content part")
            return
        self._compare_parts(where, done.get("content"), item.parts, "part")

    def _compare_parts(self, where: str, parts: Any, streamed_parts: list, noun: str) -> None:
        if not isinstance(parts, list):
            return
        if len(parts) != len(streamed_parts):
            self.report("stream.done_matches_item", where, f"the item has {len(parts)} {noun}(s), "
                                                           f"{len(streamed_parts)} were streamed")
            return
        for n, (part, streamed) in enumerate(zip(parts, streamed_parts)):
            if not isinstance(part, dict):
                continue
            value = part.get(_TEXT_FIELD.get(part.get("type", ""), "text"))
            known = streamed.done_value if streamed.done_value is not None else streamed.pieces.text()
            if isinstance(value, str) and value != known:
                self.report("stream.done_matches_item", where, f"{noun} {n} is {value[:60]!r}, the stream "
                                                               f"gave {known[:60]!r}")

    # -- the end --------------------------------------------------------------

    def release(self) -> None:
        """Drop the streamed text once the stream is checked (a finished case keeps little)."""
        for item in self.items.values():
            item.arguments = Pieces()
            for part in item.parts + item.summary_parts:
                part.pieces = Pieces()

    def unfinished(self) -> list[int]:
        return [i for i, item in self.items.items() if item.done_item is None]

    def built_items(self) -> list[dict]:
        """The output as the events built it; an item never finished (a failed
        response may stop mid-item) is known only by its id and type."""
        return [item.done_item if item.done_item is not None else {"id": item.id, "type": item.type}
                for item in (self.items[i] for i in sorted(self.items))]
