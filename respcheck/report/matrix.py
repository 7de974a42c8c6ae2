"""The feature × model matrix of one run, from its results.json: which model
did which feature, as a Markdown table and as one self-contained HTML page."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from urllib.parse import quote

from . import compat, coverage as contract_coverage
from .diff import failures_of, group_of, is_flaky, md_escape, messages_of, outcome_of, rules_of, shorten
from .features import SEED_FEATURES
from .icons import icon
from .printable import printable
from .rootcause import causes_markdown, causes_of

NO_MODEL = "-"
MESSAGE_LIMIT = 2000  # per failure message in the HTML list
ROOT_CAUSE_ROWS = 50  # in the Markdown and HTML pages (results.json has them all)


@dataclass(frozen=True)
class CaseRef:
    name: str
    outcome: str  # as in results.json: passed, failed, skipped, xfailed, xpassed, error
    flaky: bool = False
    rules: tuple[str, ...] = ()
    failures: tuple[tuple[str, str], ...] = ()  # (rule, message), one per failure reported
    skip_reason: str | None = None
    transcript: str | None = None
    feature: str = ""  # the matrix row: the feature, or "(area)"
    model: str = NO_MODEL

    @property
    def bucket(self) -> str:
        """failed (failed, error), flaky (passed on a retry), passed (passed, xpassed) or skipped (skipped, xfailed)."""
        if self.outcome in ("failed", "error"):
            return "failed"
        if self.flaky:
            return "flaky"
        if self.outcome in ("passed", "xpassed"):
            return "passed"
        return "skipped"


@dataclass
class Cell:
    feature: str
    model: str
    cases: list[CaseRef] = field(default_factory=list)

    def count(self, bucket: str) -> int:
        return sum(1 for case in self.cases if case.bucket == bucket)

    @property
    def passed(self) -> int:
        return self.count("passed")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def flaky(self) -> int:
        return self.count("flaky")

    @property
    def status(self) -> str:
        """fail, flaky, pass, skip, or empty (no case)."""
        if self.failed:
            return "fail"
        if self.flaky:
            return "flaky"
        if self.passed:
            return "pass"
        if self.skipped:
            return "skip"
        return "empty"


@dataclass
class Matrix:
    features: list[str]  # rows
    models: list[str]  # columns
    cells: dict[tuple[str, str], Cell]
    header: dict = field(default_factory=dict)  # profile, target, started_at, finished_at, counts
    root_causes: list[dict] = field(default_factory=list)  # as in results.json, most cases first
    coverage: dict = field(default_factory=dict)  # results.json's "coverage", as it is
    source: dict = field(default_factory=dict, repr=False)  # the results document (its client verdicts)

    def cell(self, feature: str, model: str) -> Cell:
        return self.cells.get((feature, model)) or Cell(feature, model)

    @property
    def failing(self) -> list[CaseRef]:
        """The failing cases, in row then column order."""
        out = []
        for feature in self.features:
            for model in self.models:
                out += [case for case in self.cell(feature, model).cases if case.bucket == "failed"]
        return out


def _rules_per_failure(case: dict) -> list[str]:
    return [str(failure.get("rule") or "?") for failure in failures_of(case)]


def _row_order(features: set[str], include_uncovered: bool) -> list[str]:
    seed = [f for f in SEED_FEATURES if include_uncovered or f in features]
    named = sorted(f for f in features if f not in SEED_FEATURES and not f.startswith("("))
    areas = sorted(f for f in features if f not in SEED_FEATURES and f.startswith("("))
    return seed + named + areas


def build_matrix(results: dict, include_uncovered: bool = True) -> Matrix:
    """Rows: the seed table's features in its order (all of them, covered or not,
    unless include_uncovered is false), then other features alphabetically, then
    cases without a feature as "(area)". Columns: models sorted, "-" last for
    cases without one."""
    cells: dict[tuple[str, str], Cell] = {}
    for case in results.get("cases") or []:
        if not isinstance(case, dict) or not isinstance(case.get("name"), str):
            continue
        feature, model = group_of(case), str(case.get("model") or NO_MODEL)
        transcript = case.get("transcript")
        ref = CaseRef(name=case["name"], outcome=outcome_of(case), flaky=is_flaky(case), rules=rules_of(case),
                      failures=tuple(zip(_rules_per_failure(case), messages_of(case))),
                      skip_reason=case.get("skip_reason"), transcript=transcript if isinstance(transcript, str) and transcript else None,
                      feature=feature, model=model)
        cells.setdefault((feature, model), Cell(feature, model)).cases.append(ref)
    for cell in cells.values():
        cell.cases.sort(key=lambda c: c.name)
    features = _row_order({f for f, _ in cells}, include_uncovered)
    models = sorted({m for _, m in cells if m != NO_MODEL})
    if any(m == NO_MODEL for _, m in cells):
        models.append(NO_MODEL)
    header = {key: results.get(key) for key in ("profile", "target", "started_at", "finished_at")}
    header["counts"] = _counts(results)
    coverage = results.get("coverage") if isinstance(results.get("coverage"), dict) else {}
    return Matrix(features=features, models=models, cells=cells, header=header, root_causes=causes_of(results),
                  coverage=coverage, source=results)


def _counts(results: dict) -> dict[str, int]:
    """The run's counts as results.json spells them (a passed-on-retry case is
    counted as flaky, not passed), computed from the cases."""
    counts = dict.fromkeys(("passed", "failed", "skipped", "flaky", "xfailed", "xpassed", "error"), 0)
    for case in results.get("cases") or []:
        if isinstance(case, dict) and isinstance(case.get("name"), str):
            outcome = "flaky" if is_flaky(case) else outcome_of(case)
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# -- Markdown ---------------------------------------------------------------------------------------------

LEGEND = ("Legend: ✅ passed (number of cases) · ❌ failed (failing of the cases that ran) · "
          "⚠️ flaky: passed on a retry · ⏭ skipped or a known failure · blank: no case")


def cell_label(cell: Cell) -> str:
    status = cell.status
    if status == "fail":
        return f"❌ {cell.failed}/{cell.failed + cell.passed + cell.flaky}"
    if status == "flaky":
        return f"⚠️ flaky {cell.flaky}/{cell.flaky + cell.passed}"
    if status == "pass":
        return f"✅ {cell.passed}"
    if status == "skip":
        return "⏭ skipped"
    return ""


def _counts_line(header: dict) -> str:
    counts = header.get("counts") or {}
    total = sum(counts.values())
    if not total:
        return "no cases"
    shown = ", ".join(f"{value} {key}" for key, value in counts.items() if value)
    return f"{total} case{'s' if total != 1 else ''}: {shown}"


def render_markdown(matrix: Matrix, title: str = "respcheck: feature × model matrix") -> str:
    header = matrix.header
    where = (f"Profile {md_escape(header.get('profile') or '?')} against {md_escape(header.get('target') or '?')}, "
             f"{md_escape(header.get('started_at') or '?')}: {md_escape(_counts_line(header))}")
    lines = [f"## {md_escape(title)}", "", where, ""]
    if not matrix.models:
        lines += ["No cases ran.", ""]
        return "\n".join(lines)
    lines.append("| feature | " + " | ".join(md_escape(m) for m in matrix.models) + " |")
    lines.append("|---|" + "---|" * len(matrix.models))
    for feature in matrix.features:
        row = [cell_label(matrix.cell(feature, model)) for model in matrix.models]
        lines.append(f"| {md_escape(feature)} | " + " | ".join(row) + " |")
    lines += ["", LEGEND, ""]
    lines += compat.render_markdown(matrix.source)
    lines += causes_markdown(matrix.root_causes, limit=ROOT_CAUSE_ROWS)
    lines += contract_coverage.render_markdown(matrix.coverage)
    return "\n".join(lines)


# -- HTML -------------------------------------------------------------------------------------------------

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #1d1d1f; }
h1 { font-size: 1.5em; margin-bottom: .2em; }
.meta { color: #555; margin-top: 0; }
table.matrix { border-collapse: collapse; margin: 1em 0; }
table.matrix th, table.matrix td { border: 1px solid #ccc; padding: .35em .7em; text-align: center; }
table.matrix th[scope=row] { text-align: left; font-weight: 600; background: #f7f7f7; }
table.matrix thead th { background: #eee; }
td.pass { background: #d9f2de; }
td.fail { background: #f8d3d3; font-weight: 600; }
td.flaky { background: #fff1c4; }
td.skip { background: #ececec; color: #666; }
td.empty { background: #fff; }
td a { color: inherit; }
.legend span { display: inline-block; padding: .1em .6em; margin-right: .4em; border: 1px solid #ccc; }
.legend .pass { background: #d9f2de; } .legend .fail { background: #f8d3d3; }
.legend .flaky { background: #fff1c4; } .legend .skip { background: #ececec; }
ul.failures > li { margin-bottom: 1em; }
ul.failures code { background: #f3f3f3; padding: 0 .25em; }
.where { color: #555; }
pre.message { white-space: pre-wrap; margin: .2em 0 .2em 1.5em; }
svg.icon { vertical-align: -2px; }
table.causes { border-collapse: collapse; margin: .5em 0 1em; }
table.causes th, table.causes td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
table.causes thead th { background: #eee; }
table.causes td.count { text-align: right; font-weight: 600; }
table.causes pre.message { margin: 0; }
table.coverage { border-collapse: collapse; margin: .5em 0 1em; }
table.coverage th, table.coverage td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
table.coverage td.count { text-align: right; font-weight: 600; white-space: nowrap; }
"""


def _e(text) -> str:
    return html.escape(printable(str(text)), quote=True)


def _case_tooltip(case: CaseRef) -> str:
    state = "flaky (passed on a retry)" if case.flaky else case.outcome
    line = f"{case.name}: {state}"
    if case.bucket == "failed" and case.rules:
        line += " — " + ", ".join(case.rules)
    elif case.skip_reason and case.bucket == "skipped":
        line += f" — {shorten(case.skip_reason, 80)}"
    return line


def html_cell_label(cell: Cell) -> str:
    """The cell's symbol and its count in words (escaped HTML)."""
    status = cell.status
    if status == "fail":
        text = f"{cell.failed}/{cell.failed + cell.passed + cell.flaky} failed"
    elif status == "flaky":
        text = f"flaky {cell.flaky}/{cell.flaky + cell.passed}"
    elif status == "pass":
        text = f"{cell.passed} passed"
    elif status == "skip":
        text = "skipped"
    else:
        return ""
    return f"{icon(status)} {_e(text)}"


def _root_causes_html(causes: list[dict], anchors: dict[str, str]) -> list[str]:
    """The run's failures grouped by rule and message shape, most cases first;
    the first case links to its entry in the failure list."""
    out = [f'<h2 id="root-causes">Root causes ({len(causes)})</h2>']
    if not causes:
        return out + ["<p>None.</p>"]
    out += ['<table class="causes">', "<thead>", "<tr>", '<th scope="col">cases</th>', '<th scope="col">rule</th>',
            '<th scope="col">message (ids, numbers and values folded)</th>', '<th scope="col">first case</th>',
            "</tr>", "</thead>", "<tbody>"]
    for cause in causes[:ROOT_CAUSE_ROWS]:
        first = str(cause.get("first_case"))
        name = f"<code>{_e(first)}</code>"
        if first in anchors:
            name = f'<a href="#{anchors[first]}">{name}</a>'
        out.append(f'<tr><td class="count">{_e(cause.get("cases"))}</td><td><code>{_e(cause.get("rule"))}</code></td>'
                   f'<td><pre class="message">{_e(cause.get("message"))}</pre></td><td>{name}</td></tr>')
    out += ["</tbody>", "</table>"]
    if len(causes) > ROOT_CAUSE_ROWS:
        out.append(f"<p>… and {len(causes) - ROOT_CAUSE_ROWS} more in results.json.</p>")
    return out


def transcript_href(path: str) -> str:
    """A relative link to a transcript: path separators kept, everything else
    percent-encoded (so no scheme like `javascript:` survives)."""
    return quote(path.replace("\\", "/").lstrip("/"), safe="/")


def render_html(matrix: Matrix, title: str = "respcheck: feature × model matrix") -> str:
    """One self-contained page: inline CSS, no scripts, no external resources.
    Transcript links are relative: write the page next to results.json."""
    header = matrix.header
    failing = matrix.failing
    anchors = {case.name: f"case-{i}" for i, case in enumerate(failing, 1)}
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{_e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>{_e(title)}</h1>",
           (f'<p class="meta">Profile <strong>{_e(header.get("profile") or "?")}</strong> against '
            f'<code>{_e(header.get("target") or "?")}</code>, started {_e(header.get("started_at") or "?")}: '
            f'{_e(_counts_line(header))}</p>')]
    if not matrix.models:
        out.append("<p>No cases ran.</p>")
    else:
        out += ['<table class="matrix">', "<thead>", "<tr>", '<th scope="col">feature</th>']
        out += [f'<th scope="col">{_e(model)}</th>' for model in matrix.models]
        out += ["</tr>", "</thead>", "<tbody>"]
        for feature in matrix.features:
            out += ["<tr>", f'<th scope="row">{_e(feature)}</th>']
            for model in matrix.models:
                cell = matrix.cell(feature, model)
                label = html_cell_label(cell)
                if cell.status == "fail":
                    first = next(c for c in cell.cases if c.bucket == "failed")
                    label = f'<a href="#{anchors[first.name]}">{label}</a>'
                tooltip = "\n".join(_case_tooltip(case) for case in cell.cases) or "no case"
                out.append(f'<td class="{cell.status}" title="{_e(tooltip)}">{label}</td>')
            out.append("</tr>")
        out += ["</tbody>", "</table>"]
        out.append(f'<p class="legend"><span class="pass">{icon("pass")} passed</span>'
                   f'<span class="fail">{icon("fail")} failed</span><span class="flaky">{icon("flaky")} flaky</span>'
                   f'<span class="skip">{icon("skip")} skipped</span>'
                   "<span>blank: no case</span> — a cell's tooltip lists its cases; counts are "
                   "passed, failing of the cases that ran, flaky of the cases that passed.</p>")
    out += compat.render_html(matrix.source)
    out += _root_causes_html(matrix.root_causes, anchors)
    out += contract_coverage.render_html(matrix.coverage, _e)
    out.append(f"<h2>Failing cases ({len(failing)})</h2>")
    if not failing:
        out.append("<p>None.</p>")
    else:
        out.append('<ul class="failures">')
        for case in failing:
            out.append(f'<li id="{anchors[case.name]}"><strong><code>{_e(case.name)}</code></strong> '
                       f'<span class="where">{_e(case.feature)} · {_e(case.model)} · {_e(case.outcome)}</span>')
            if case.failures:
                out.append("<ul>")
                for rule, message in case.failures:
                    if len(message) > MESSAGE_LIMIT:
                        message = message[:MESSAGE_LIMIT] + "…"
                    out.append(f'<li><code>{_e(rule)}</code><pre class="message">{_e(message)}</pre></li>')
                out.append("</ul>")
            if case.transcript:
                out.append(f'<div><a href="{_e(transcript_href(case.transcript))}">transcript: '
                           f"{_e(case.transcript)}</a></div>")
            out.append("</li>")
        out.append("</ul>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


_SHORT = {"fail": "FAIL", "flaky": "flaky", "pass": "ok", "skip": "skip", "empty": "-"}


def render_text(matrix: Matrix) -> list[str]:
    """Terminal lines of the matrix, for runs that touched several models (--discover)."""
    models = [m for m in matrix.models if m != "-"]
    rows = [f for f in matrix.features if any(matrix.cell(f, m).status != "empty" for m in models)]
    if len(models) < 2 or not rows:
        return []
    width = max(len(f) for f in rows)
    cols = [max(len(m), 5) for m in models]
    lines = [" " * width + "  " + "  ".join(m.ljust(c) for m, c in zip(models, cols))]
    for feature in rows:
        lines.append(feature.ljust(width) + "  " + "  ".join(
            _SHORT[matrix.cell(feature, m).status].ljust(c) for m, c in zip(models, cols)))
    return lines
