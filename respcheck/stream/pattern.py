"""A case's expected event sequence, checked as a regular language.

Written in YAML as a list of elements:
  - response.created                  one event of that type
  - response.in_progress?             optional  (+ one or more, * any number)
  - response.output_item.added: {item: {type: message}}   a type with field values
  - {group: [...], repeat: "+"}       a sub-sequence, repeated
  - {one_of: [[...], [...]]}          alternatives (each a sub-sequence)
  - any*                              any events
Field values match structurally: mappings describe fields, other values must
be equal. The pattern compiles to an NFA that is fed one event at a time (no
second pass over a long stream) and reports where the stream diverged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_SUFFIXES = "?+*"


class PatternError(ValueError):
    pass


@dataclass(eq=False)
class _State:
    type: str | None = None  # event type to match; None: epsilon; "any": any event
    fields: dict | None = None
    out: list = field(default_factory=list)
    accept: bool = False

    def describe(self) -> str:
        if self.fields:
            return f"{self.type} {_compact(self.fields)}"
        return self.type or "?"


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_compact(v)}" for k, v in value.items()) + "}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def fields_match(spec: Any, value: Any) -> bool:
    if isinstance(spec, dict):
        return isinstance(value, dict) and all(k in value and fields_match(v, value[k]) for k, v in spec.items())
    if isinstance(spec, bool) or isinstance(value, bool):
        return type(spec) is type(value) and spec == value
    return spec == value


# A fragment of the NFA: its start state and the dangling exits to patch.
@dataclass
class _Fragment:
    start: _State
    exits: list  # states whose `out` gets the next fragment's start


def _join(first: _Fragment, second: _Fragment) -> _Fragment:
    for state in first.exits:
        state.out.append(second.start)
    return _Fragment(first.start, second.exits)


def _repeat(frag: _Fragment, how: str) -> _Fragment:
    if how == "":
        return frag
    split = _State()
    split.out.append(frag.start)
    if how == "?":
        return _Fragment(split, frag.exits + [split])
    for state in frag.exits:
        state.out.append(split)
    if how == "*":
        return _Fragment(split, [split])
    return _Fragment(frag.start, [split])  # "+": once, then back through the split


def _split_suffix(text: str) -> tuple[str, str]:
    if text and text[-1] in _SUFFIXES:
        return text[:-1], text[-1]
    return text, ""


def _element(element: Any) -> _Fragment:
    if isinstance(element, str):
        name, how = _split_suffix(element.strip())
        state = _State(type=name)
        return _repeat(_Fragment(state, [state]), how)
    if isinstance(element, dict) and "group" in element:
        how = element.get("repeat", "")
        if how not in ("", "?", "+", "*"):
            raise PatternError(f"repeat must be ?, + or *, got {how!r}")
        return _repeat(_sequence(element["group"]), how)
    if isinstance(element, dict) and "one_of" in element:
        split = _State()
        exits = []
        for option in element["one_of"]:
            frag = _sequence(option if isinstance(option, list) else [option])
            split.out.append(frag.start)
            exits += frag.exits
        return _repeat(_Fragment(split, exits), element.get("repeat", ""))
    if isinstance(element, dict) and len(element) == 1:
        (key, fields), = element.items()
        if not isinstance(fields, dict):
            raise PatternError(f"the fields of {key!r} must be a mapping, got {fields!r}")
        name, how = _split_suffix(key.strip())
        state = _State(type=name, fields=fields)
        return _repeat(_Fragment(state, [state]), how)
    raise PatternError(f"cannot read sequence element {element!r}")


def _sequence(elements: list) -> _Fragment:
    if not elements:
        empty = _State()
        return _Fragment(empty, [empty])
    frag = _element(elements[0])
    for element in elements[1:]:
        frag = _join(frag, _element(element))
    return frag


def _closure(states) -> list[_State]:
    seen: dict[int, _State] = {}
    stack = list(states)
    while stack:
        state = stack.pop()
        if id(state) in seen:
            continue
        seen[id(state)] = state
        if state.type is None and not state.accept:
            stack.extend(state.out)
    return list(seen.values())


class SequenceMatcher:
    """Feed events in order; `divergence` says where the stream left the pattern."""

    def __init__(self, elements: list):
        frag = _sequence(elements)
        accept = _State(accept=True)
        for state in frag.exits:
            state.out.append(accept)
        self.current = _closure([frag.start])
        self._closures: dict[frozenset, list] = {}  # a "delta+" loop revisits one state set 100k times
        self.divergence: dict | None = None
        self._recent: list[str] = []
        self._tail: list[str] = []

    def expected(self) -> list[str]:
        names = sorted({s.describe() for s in self.current if s.type is not None})
        if any(s.accept for s in self.current):
            names.append("(end of stream)")
        return names

    def feed(self, index: int, seq: Any, event: dict) -> None:
        etype = event.get("type", "?")
        if self.divergence is not None:
            if len(self._tail) < 8:
                self._tail.append(etype)
            return
        following = [nxt for s in self.current if s.type is not None
                     and (s.type == "any" or s.type == etype)
                     and (not s.fields or fields_match(s.fields, event))
                     for nxt in s.out]
        if not following:
            self.divergence = {"index": index, "sequence_number": seq, "received": etype,
                               "expected": self.expected(), "before": list(self._recent)}
            self._tail = [etype]
            return
        key = frozenset(map(id, following))
        closure = self._closures.get(key)
        if closure is None:
            closure = self._closures[key] = _closure(following)
        self.current = closure
        self._recent = (self._recent + [etype])[-3:]

    def failure_text(self, ended: bool) -> str | None:
        """None when the events so far (and, if `ended`, the whole stream) fit."""
        if self.divergence is not None:
            d = self.divergence
            return (f"event #{d['index']} (sequence_number {d['sequence_number']}) is {d['received']!r}, "
                    f"expected {' or '.join(d['expected']) or 'nothing more'}; "
                    f"after {d['before'] or '(start)'}; received from there: {self._tail}")
        if ended and not any(s.accept for s in self.current):
            return f"the stream ended early: expected {' or '.join(self.expected())} next, after {self._recent}"
        return None


def check_pattern(elements: list) -> None:
    """Raise PatternError if `elements` cannot be compiled (used at load time)."""
    SequenceMatcher(elements)
