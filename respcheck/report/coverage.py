"""Coverage accounting: what a run exercised of the contract, area by area.

Each case carries what it sent and received as its `coverage` property
(execution/coverage.py); `Exercised` adds those up as reports arrive,
`summarize` measures the sum against the contract (report/contract.py) into
results.json's top-level `coverage`:

    {"stream_events": {"exercised": 24, "total": 26, "missing": [...], "unknown": [...], ...}, ...}

and the terminal, matrix.md and matrix.html render that object only (one
source: what results.json says is what they show). Only names the contract
knows count: a field outside the request schema, an event type without a
schema or a target's own error code is listed as `unknown`, not counted.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Iterable

from .contract import Area, contract
from .diff import md_code, md_escape
from ..model.endpoints import fold

LINE_WIDTH = 110  # terminal lines of missing names wrap here


class Exercised:
    """The union of every case's `coverage` property."""

    def __init__(self):
        self.names: dict[str, set[str]] = {}
        self.files: set[Path] = set()  # the case files of the run (for the endpoint catalogue)

    def add(self, value: str | None) -> None:
        if not value:
            return
        try:
            areas = json.loads(value)
        except ValueError:  # written by this package; a broken one says nothing
            return
        if isinstance(areas, dict):
            for area, names in areas.items():
                if isinstance(names, list):
                    self.names.setdefault(str(area), set()).update(str(n) for n in names)


def summarize(exercised: dict[str, set[str]], areas: Iterable[Area] | None = None,
              case_files: Iterable[Path] = ()) -> dict:
    """{area: {exercised, total, missing, source}} in report order."""
    areas = list(areas) if areas is not None else contract(case_files)
    out = {}
    for area in areas:
        known, seen = set(area.names), set(exercised.get(area.key, ()))
        if area.key == "endpoints":  # a literal id in a path counts as its template
            folding = fold(known | seen)
            known, seen = {folding[n] for n in known}, {folding[n] for n in seen}
        out[area.key] = {"label": area.label, "exercised": len(known & seen), "total": len(known),
                         "missing": sorted(known - seen), "unknown": _unknown(area.key, seen - known, known),
                         "source": area.source}
    return out


def _unknown(area: str, names: set[str], known: set[str]) -> list[str]:
    """Names outside the catalogue; of request fields, "metadata.run" only where
    the catalogue names the parent's members (metadata is a free map: its keys are data)."""
    if area != "request_fields":
        return sorted(names)
    parents = {name.rsplit(".", 1)[0] for name in known if "." in name}
    return sorted(n for n in names if "." not in n or n.rsplit(".", 1)[0] in parents)


def _areas(coverage: dict | None) -> list[tuple[str, dict]]:
    if not isinstance(coverage, dict):
        return []
    return [(key, value) for key, value in coverage.items() if isinstance(value, dict)]


def _label(key: str, area: dict) -> str:
    return str(area.get("label") or key.replace("_", " "))


def _ratio(area: dict) -> str:
    return f"{area.get('exercised', 0)}/{area.get('total', 0)}"


def render_text(coverage: dict | None) -> list[str]:
    """'stream events 24/26  missing: response.queued, ...', wrapped; names
    seen outside the catalogue on a line of their own."""
    rows = _areas(coverage)
    if not rows:
        return []
    width = max(len(_label(k, a)) for k, a in rows) + 1 + max(len(_ratio(a)) for _, a in rows)
    lines = []
    for key, area in rows:
        head = f"{_label(key, area)} {_ratio(area)}".ljust(width)
        missing = [str(n) for n in area.get("missing") or []]
        lines += _wrapped(f"{head}  missing: ", missing) if missing else [f"{head}  all exercised"]
        unknown = [str(n) for n in area.get("unknown") or []]
        if unknown:
            lines += _wrapped(" " * width + "  not in the catalogue: ", unknown)
    return lines


def _wrapped(prefix: str, names: list[str]) -> list[str]:
    lines, line = [], prefix
    indent = " " * len(prefix)
    for i, name in enumerate(names):
        piece = name + ("," if i + 1 < len(names) else "")
        if line != prefix and len(line) + len(piece) > LINE_WIDTH:
            lines.append(line.rstrip())
            line = indent
        line += piece + " "
    return lines + [line.rstrip()]


def render_markdown(coverage: dict | None) -> list[str]:
    rows = _areas(coverage)
    if not rows:
        return []
    lines = ["### Contract coverage", "",
             "| area | exercised | not exercised | seen, not in the catalogue |", "|---|---|---|---|"]
    for key, area in rows:
        missing, unknown = (", ".join(md_code(str(n)) for n in area.get(k) or []) or "—"
                            for k in ("missing", "unknown"))
        lines.append(f"| {md_escape(_label(key, area))} | {_ratio(area)} | {missing} | {unknown} |")
    sources = "; ".join(f"{_label(k, a)} from {a['source']}" for k, a in rows if a.get("source"))
    return lines + ["", md_escape(f"Catalogues: {sources}"), ""] if sources else lines + [""]


def render_html(coverage: dict | None, escape=html.escape) -> list[str]:
    rows = _areas(coverage)
    if not rows:
        return []
    out = ['<h2 id="coverage">Contract coverage</h2>', '<table class="coverage">', "<thead>", "<tr>",
           '<th scope="col">area</th>', '<th scope="col">exercised</th>', '<th scope="col">not exercised</th>',
           '<th scope="col">seen, not in the catalogue</th>', "</tr>", "</thead>", "<tbody>"]
    for key, area in rows:
        missing, unknown = (", ".join(f"<code>{escape(str(n))}</code>" for n in area.get(k) or []) or "—"
                            for k in ("missing", "unknown"))
        source = escape(str(area.get("source") or ""))
        out.append(f'<tr><th scope="row" title="{source}">{escape(_label(key, area))}</th>'
                   f'<td class="count">{escape(_ratio(area))}</td><td>{missing}</td><td>{unknown}</td></tr>')
    return out + ["</tbody>", "</table>"]
