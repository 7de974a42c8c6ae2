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
second pass over a long stream) and reports where the stream diverged: which
field of an event differed, or which events were still owed when the
stream went past them (each state knows its distance to the end).
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


def field_difference(spec: Any, value: Any, path: str = "") -> str | None:
    """The first field where `value` does not match `spec`, in words; None if it matches."""
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return f"{path or 'the event'}: expected a mapping, got {_compact(value)}"
        for key, sub in spec.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in value:
                return f"{where}: expected {_compact(sub)}, got nothing (the field is missing)"
            found = field_difference(sub, value[key], where)
            if found:
                return found
        return None
    if fields_match(spec, value):
        return None
    return f"{path}: expected {_compact(spec)}, got {_compact(value)}"


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


def _all_states(start: _State) -> list[_State]:
    seen: dict[int, _State] = {}
    stack = [start]
    while stack:
        state = stack.pop()
        if id(state) not in seen:
            seen[id(state)] = state
            stack.extend(state.out)
    return list(seen.values())


def _distances(states: list[_State]) -> dict[int, float]:
    """How many events each state still needs to reach the end (shortest way)."""
    far = float("inf")
    dist = {id(s): (0 if s.accept else far) for s in states}
    changed = True
    while changed:  # a handful of states: relax until stable
        changed = False
        for state in states:
            if state.accept or not state.out:
                continue
            best = min(dist[id(o)] for o in state.out) + (0 if state.type is None else 1)
            if best < dist[id(state)]:
                dist[id(state)] = best
                changed = True
    return dist


class SequenceMatcher:
    """Feed events in order; `divergence` says where the stream left the pattern."""

    def __init__(self, elements: list):
        frag = _sequence(elements)
        accept = _State(accept=True)
        for state in frag.exits:
            state.out.append(accept)
        self._dist = _distances(_all_states(frag.start))
        self.current = _closure([frag.start])
        self._closures: dict[frozenset, tuple] = {}  # a "delta+" loop revisits one state set 100k times
        self.divergence: dict | None = None
        self._recent: list[str] = []
        self._tail: list[str] = []
        self._last: tuple | None = None  # (index, sequence_number, event) of the last event
        self._progress = self._best = self._distance(self.current)
        self._best_at: tuple | None = None  # (index, type) where the stream came closest to the end
        self.lost: dict | None = None  # where it then fell back, if it never got as close again

    def _distance(self, states) -> float:
        return min(self._dist[id(s)] for s in states)

    def _owed(self, states) -> list[_State]:
        """The events still owed from `states`, the shortest way to the end."""
        out: list[_State] = []
        best = min(states, key=lambda s: self._dist[id(s)])
        while not best.accept and best.out:
            if best.type is not None:
                out.append(best)
            best = min(best.out, key=lambda s: self._dist[id(s)])
        return out

    def _named(self, event: dict) -> bool:
        """Whether a step naming this event's type (not `any`) matched it."""
        etype = event.get("type")
        return any(s.type == etype and (not s.fields or fields_match(s.fields, event)) for s in self.current)

    def _near_miss(self, states, event: dict) -> str | None:
        """Which field kept a state of the event's own type from matching it."""
        for state in states:
            if state.type == event.get("type") and state.fields:
                diff = field_difference(state.fields, event)
                if diff:
                    return diff
        return None

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
                               "expected": self.expected(), "before": list(self._recent),
                               "near": self._near_miss(self.current, event), "owed": self._owed(self.current)}
            self._tail = [etype]
            return
        key = frozenset(map(id, following))
        cached = self._closures.get(key)
        if cached is None:
            closure = _closure(following)
            cached = self._closures[key] = (closure, self._distance(closure))
        closure, distance = cached
        if distance < self._best:
            self._best, self._best_at, self.lost = distance, (index, etype), None
        elif distance > self._progress == self._best and self.lost is None and self._best_at is not None \
                and not self._named(event):  # only `any` took it: the events owed were passed over
            self.lost = {"index": index, "sequence_number": seq, "received": etype, "after": self._best_at,
                         "owed": self._owed(self.current), "near": self._near_miss(self.current, event)}
        elif distance <= self._best:
            self.lost = None  # back as close as ever: the earlier fall-back was a loop
        self._progress = distance
        self.current = closure
        self._last = (index, seq, event)
        self._recent = (self._recent + [etype])[-3:]

    def failure_text(self, ended: bool) -> str | None:
        """None when the events so far (and, if `ended`, the whole stream) fit."""
        if self.divergence is not None:
            return self._diverged(self.divergence)
        if not ended or any(s.accept for s in self.current):
            return None
        if self.lost is not None:
            lost = self.lost
            after_index, after_type = lost["after"]
            if not lost["owed"]:
                return (f"the sequence was complete after `{after_type}` at #{after_index}, but "
                        f"`{lost['received']}` followed at #{lost['index']}")
            text = (f"after `{after_type}` at #{after_index} the sequence expected "
                    f"`{lost['owed'][0].describe()}`, got `{lost['received']}` at #{lost['index']}")
            return text + (f" ({lost['near']})" if lost["near"] else "")
        owed = self._owed(self.current)
        if self._last is None:
            return f"the stream had no events; expected `{owed[0].describe()}` first" if owed else None
        index, _, event = self._last
        etype = event.get("type", "?")
        text = _owed_before(owed, etype, index)
        if text:
            return text
        near = self._near_miss([owed[0]], event) if owed else None
        if near:
            return f"the last event #{index} `{etype}` does not match `{owed[0].describe()}`: {near}"
        return (f"the stream ended after event #{index} `{etype}` with the sequence unfinished: expected "
                + ", then ".join(f"`{s.describe()}`" for s in owed))

    def _diverged(self, d: dict) -> str:
        where = f"event #{d['index']} (sequence_number {d['sequence_number']})"
        if d["near"]:
            head = f"{where} `{d['received']}`: {d['near']}"
        else:
            head = _owed_before(d["owed"], d["received"], d["index"]) or \
                f"{where} is {d['received']!r}, expected {' or '.join(d['expected']) or 'nothing more'}"
        return f"{head}; after {d['before'] or '(start)'}; received from there: {self._tail}"


def _owed_before(owed: list[_State], received: str, index: int) -> str | None:
    """'expected `error` before `response.failed`, got `response.failed` at #12' — when the
    event that came is one the sequence wanted later, name what it skipped."""
    for k, state in enumerate(owed[1:], start=1):
        if state.type == received:
            skipped = "`, `".join(s.describe() for s in owed[:k])
            return f"expected `{skipped}` before `{received}`, got `{received}` at #{index}"
    return None


def check_pattern(elements: list) -> None:
    """Raise PatternError if `elements` cannot be compiled (used at load time)."""
    SequenceMatcher(elements)
