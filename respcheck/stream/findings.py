"""Stream problems grouped by what went wrong, not listed per event.

A gateway that omits `sequence_number` breaks it on every event; the report
says so once, with the count and the first event ("sequence_number is
missing on 143 of 143 events, first at event #0 response.created"). Problems
are grouped by rule and message *shape* — the text with ids, numbers,
indexes and quoted values folded — so a different problem under the same
rule (an `item_id` schema failure after many `sequence_number` ones) still
gets its own line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..failures import Failure

MAX_SHAPES_PER_RULE = 5  # distinct problems shown per rule; beyond that they are counted
_FOLD = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\b[A-Za-z]+_[A-Za-z0-9]+\b|-?\d+(?:\.\d+)?")


def shape(text: str) -> str:
    """The message with quoted values, ids (resp_1, msg_x) and numbers folded."""
    return _FOLD.sub(_fold_one, text)


def _fold_one(match: re.Match) -> str:
    token = match.group()
    if token[0] in "'\"":
        return "'…'"
    if token[0].isalpha():  # an identifier with an underscore: a field name stays, an id folds
        return token if not any(c.isdigit() for c in token) else "ID"
    return "N"


@dataclass
class _Group:
    rule: str
    where: str
    problem: str
    path: str
    count: int = 1
    same_text: bool = True


class Findings:
    def __init__(self, unit: str = "event"):
        self.unit = unit
        self._groups: dict[tuple[str, str], _Group] = {}
        self._shapes_per_rule: dict[str, int] = {}
        self._overflow: dict[str, int] = {}  # rule -> problems beyond MAX_SHAPES_PER_RULE shapes
        self._whole: list[tuple[int, Failure]] = []  # stream-level findings, in order

    def add(self, rule: str, problem: str, where: str = "", path: str = "") -> None:
        """One problem; `where` names the event it is about ("" for the stream)."""
        if not where:
            self._whole.append((len(self._groups), Failure(rule, problem, path)))
            return
        key = (rule, shape(problem))
        group = self._groups.get(key)
        if group is not None:
            group.count += 1
            group.same_text = group.same_text and group.problem == problem
            return
        if self._shapes_per_rule.get(rule, 0) >= MAX_SHAPES_PER_RULE:
            self._overflow[rule] = self._overflow.get(rule, 0) + 1
            return
        self._shapes_per_rule[rule] = self._shapes_per_rule.get(rule, 0) + 1
        self._groups[key] = _Group(rule, where, problem, path)

    def rules(self) -> set[str]:
        return {g.rule for g in self._groups.values()} | {f.rule for _, f in self._whole}

    def failures(self, total: int) -> list[Failure]:
        """Every finding as one Failure per group, in the order they were first seen."""
        out: list[Failure] = []
        whole = iter(self._whole)
        pending = next(whole, None)
        for n, group in enumerate(self._groups.values()):
            while pending is not None and pending[0] <= n:
                out.append(pending[1])
                pending = next(whole, None)
            out.append(Failure(group.rule, self._render(group, total), group.path))
        while pending is not None:
            out.append(pending[1])
            pending = next(whole, None)
        for rule, count in self._overflow.items():
            out.append(Failure(rule, f"... and {count} more {self.unit}(s) broke this rule in other ways"))
        return out

    def _render(self, group: _Group, total: int) -> str:
        if group.count == 1:
            return f"{group.where}: {group.problem}"
        if group.same_text:
            return f"{group.problem} on {group.count} of {total} {self.unit}s, first at {group.where}"
        return (f"{group.where}: {group.problem}; the same problem on {group.count} of {total} "
                f"{self.unit}s")
