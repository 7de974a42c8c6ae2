"""The regression diff between two runs' results.json: what broke since the
baseline, what was fixed, what stopped running, what still fails, what only
passed on a retry. Pure functions over the documents; `respcheck diff` and the
terminal summary render them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .printable import one_line

FAILING = frozenset({"failed", "error"})
PASSING = frozenset({"passed", "xpassed"})
MESSAGE_LIMIT = 120
MAX_ROWS = 200  # per Markdown section; a job summary has a size limit
TEXT_ROWS = 20  # per section of the terminal summary


def load_results(path) -> dict:
    """Read a results.json (or the results.json inside a directory); a clear
    ValueError naming the file when it is missing, not JSON, or not results."""
    file = Path(path)
    if file.is_dir():
        file = file / "results.json"
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{file}: no such file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{file}: not UTF-8 text") from None
    except OSError as exc:
        raise ValueError(f"{file}: cannot read it ({exc.strerror or exc})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
        raise ValueError(f"{file}: not a respcheck results file (no 'cases' list)")
    for index, case in enumerate(document["cases"]):
        if not isinstance(case, dict) or not isinstance(case.get("name"), str):
            raise ValueError(f"{file}: not a respcheck results file (case #{index} has no 'name')")
    return document


def outcome_of(case: dict) -> str:
    """The case's outcome; a record the run never finished counts as an error."""
    outcome = case.get("outcome")
    if outcome == "flaky":  # tolerated: the counts' spelling of "passed on a retry"
        return "passed"
    return outcome if isinstance(outcome, str) and outcome else "error"


def is_flaky(case: dict) -> bool:
    return outcome_of(case) == "passed" and (case.get("flaky") is True or case.get("outcome") == "flaky")


def failures_of(case: dict) -> list[dict]:
    return [f for f in case.get("failures") or [] if isinstance(f, dict)]


def rules_of(case: dict) -> tuple[str, ...]:
    """The rules the case broke, each once, in the order reported."""
    rules: list[str] = []
    for failure in failures_of(case):
        rule = str(failure.get("rule") or "?")
        if rule not in rules:
            rules.append(rule)
    return tuple(rules)


def messages_of(case: dict) -> tuple[str, ...]:
    out = []
    for failure in failures_of(case):
        step = f"(step {failure['step']}) " if failure.get("step") else ""
        where = f"{failure['path']}: " if failure.get("path") else ""
        out.append(f"{step}{where}{failure.get('message') or ''}".strip())
    return tuple(out)


def group_of(case: dict) -> str:
    """The case's feature, or "(area)" for a case outside the feature table."""
    return case.get("feature") or f"({case.get('area') or 'other'})"


@dataclass(frozen=True)
class CaseChange:
    """One case in one section of the diff: how it ran before and now."""

    name: str
    feature: str | None
    model: str | None
    area: str | None
    before: str | None  # the baseline's outcome; None for a case new in this run
    after: str
    rules_before: tuple[str, ...] = ()
    rules_after: tuple[str, ...] = ()
    messages_before: tuple[str, ...] = ()
    messages_after: tuple[str, ...] = ()
    skip_reason: str | None = None
    retries: int = 0
    transcript: str | None = None

    @property
    def is_new(self) -> bool:
        return self.before is None

    @property
    def rules_changed(self) -> bool:
        return set(self.rules_before) != set(self.rules_after)

    @property
    def group(self) -> str:
        return self.feature or f"({self.area or 'other'})"


@dataclass
class RunDiff:
    baseline: dict  # the runs' headers: respcheck, profile, target, started_at, finished_at, counts
    current: dict
    new_failures: list[CaseChange] = field(default_factory=list)
    fixed: list[CaseChange] = field(default_factory=list)
    newly_skipped: list[CaseChange] = field(default_factory=list)
    still_failing: list[CaseChange] = field(default_factory=list)
    flaky: list[CaseChange] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # names present in the current run only
    removed: list[str] = field(default_factory=list)  # names present in the baseline only
    current_failures: int = 0  # failed or error cases in the current run, old or new
    new_root_causes: list[dict] = field(default_factory=list)  # the new failures grouped by rule and message shape
    newly_breaking: list[tuple[str, str, str]] = field(default_factory=list)  # (case, client, detail): broke since

    @property
    def has_regressions(self) -> bool:
        return bool(self.new_failures)

    @property
    def is_clean(self) -> bool:
        return not (self.new_failures or self.fixed or self.newly_skipped or self.still_failing or self.flaky)

    def sections(self) -> list[tuple[str, str, list[CaseChange]]]:
        """(key, heading, entries) for every category, in reading order."""
        return [
            ("new_failures", "New failures", self.new_failures),
            ("fixed", "Fixed", self.fixed),
            ("newly_skipped", "Newly skipped", self.newly_skipped),
            ("still_failing", "Still failing", self.still_failing),
            ("flaky", "Flaky", self.flaky),
        ]

    def summary_line(self) -> str:
        failures = "new failure" if len(self.new_failures) == 1 else "new failures"
        parts = [f"{len(self.new_failures)} {failures}", f"{len(self.fixed)} fixed",
                 f"{len(self.newly_skipped)} newly skipped", f"{len(self.still_failing)} still failing",
                 f"{len(self.flaky)} flaky"]
        if self.added:
            parts.append(f"{len(self.added)} added")
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        before, now = self.baseline.get("profile"), self.current.get("profile")
        profile = f"{before} → {now}" if before and now and before != now else (now or before or "unknown")
        return (f"{', '.join(parts)} (baseline {self.baseline.get('started_at') or 'of unknown date'}, "
                f"profile {profile})")


def _header(results: dict) -> dict:
    return {key: results.get(key) for key in ("respcheck", "profile", "target", "started_at", "finished_at",
                                              "duration", "counts")}


def _cases(results: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for case in results.get("cases") or []:
        if isinstance(case, dict) and isinstance(case.get("name"), str):
            out[case["name"]] = case
    return out


def _change(name: str, before: dict | None, after: dict) -> CaseChange:
    retries = after.get("retries")
    return CaseChange(
        name=name, feature=after.get("feature") or (before or {}).get("feature"),
        model=after.get("model") or (before or {}).get("model"), area=after.get("area") or (before or {}).get("area"),
        before=None if before is None else outcome_of(before), after=outcome_of(after),
        rules_before=() if before is None else rules_of(before), rules_after=rules_of(after),
        messages_before=() if before is None else messages_of(before), messages_after=messages_of(after),
        skip_reason=after.get("skip_reason"), retries=retries if isinstance(retries, int) else 0,
        transcript=after.get("transcript") or None)


def diff_runs(baseline: dict, current: dict) -> RunDiff:
    """Sort every case of the current run into at most one section.

    - new failure: failed/error now and not before (passed, flaky, skipped, xfailed, or a new case);
    - fixed: passed now (not on a retry), failed/error before;
    - newly skipped: skipped now, ran before (any outcome but skipped);
    - still failing: failed/error both times (`rules_changed` tells whether the rules moved);
    - flaky: passed now on a retry, whatever it did before.
    Anything else (passed both times, skipped both times, xfailed, ...) is unchanged; `known` (every
    failure a declared known deviation) is neither failing nor passing: known -> failed is a new
    failure, failed -> known no fix.
    """
    before, after = _cases(baseline), _cases(current)
    diff = RunDiff(baseline=_header(baseline), current=_header(current))
    diff.added = sorted(name for name in after if name not in before)
    diff.removed = sorted(name for name in before if name not in after)
    for name in sorted(after):
        now, then = after[name], before.get(name)
        outcome = outcome_of(now)
        was = None if then is None else outcome_of(then)
        if outcome in FAILING:
            diff.current_failures += 1
            if was in FAILING:
                diff.still_failing.append(_change(name, then, now))
            else:
                diff.new_failures.append(_change(name, then, now))
        elif is_flaky(now):
            diff.flaky.append(_change(name, then, now))
        elif outcome in PASSING and was in FAILING:
            diff.fixed.append(_change(name, then, now))
        elif outcome == "skipped" and was is not None and was != "skipped":
            diff.newly_skipped.append(_change(name, then, now))
    from .rootcause import root_causes  # (rootcause reads this module's helpers)

    diff.new_root_causes = root_causes({"cases": [after[entry.name] for entry in diff.new_failures]})
    diff.newly_breaking = _newly_breaking(before, after)
    return diff


def _newly_breaking(before: dict, after: dict) -> list[tuple[str, str, str]]:
    """A real client that breaks on (or misreads) a case now and did not in the baseline (which judged it)."""
    bad = ("breaks", "differs")
    out = []
    for name in sorted(after):
        now = after[name].get("clients") if isinstance(after[name].get("clients"), dict) else {}
        then = (before.get(name) or {}).get("clients")
        then = then if isinstance(then, dict) else {}
        for client, verdict in sorted(now.items()):
            was = then.get(client)
            if isinstance(verdict, dict) and verdict.get("verdict") in bad and isinstance(was, dict) \
                    and was.get("verdict") not in bad:
                out.append((name, client, f"{verdict['verdict']}: {verdict.get('detail') or ''}"))
    return out


# -- rendering -------------------------------------------------------------------------------------------

def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = one_line(" ".join(str(text).split()))  # one line, no control characters
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_MD_SPECIAL = {"\\": "\\\\", "|": "\\|", "*": "\\*", "`": "\\`", "[": "\\[", "]": "\\]",
               "&": "&amp;", "<": "&lt;", ">": "&gt;"}


_LONE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def md_escape(text: str) -> str:
    """Text for a Markdown table cell: one line, `|` escaped, no HTML or emphasis let through."""
    escaped = "".join(_MD_SPECIAL.get(ch, ch) for ch in one_line(" ".join(str(text).split())))
    return _LONE_UNDERSCORE.sub(r"\\_", escaped)  # total_tokens stays as is: GFM has no intraword emphasis


def md_code(text: str) -> str:
    """A code span for a table cell (case names, rules): only `|` and backticks need care."""
    return "`" + one_line(" ".join(str(text).split())).replace("`", "'").replace("|", "\\|") + "`"


def _rules_cell(entry: CaseChange, key: str) -> str:
    def listed(rules):
        return ", ".join(md_code(r) for r in rules) or "-"

    if key == "still_failing":
        if entry.rules_changed:
            return f"{listed(entry.rules_before)} → {listed(entry.rules_after)}"
        return listed(entry.rules_after)
    if key == "fixed":
        return listed(entry.rules_before)
    if key == "newly_skipped":
        return listed(entry.rules_before) if entry.rules_before else "-"
    return listed(entry.rules_after)


def _message(entry: CaseChange, key: str) -> str:
    """The plain-text message column of an entry (not yet escaped or shortened)."""
    if key == "fixed":
        was = f"was {entry.before}"
        return f"{was}: {'; '.join(entry.messages_before)}" if entry.messages_before else was
    if key == "newly_skipped":
        reason = entry.skip_reason or "no reason given"
        return f"{reason} (was {entry.before})"
    if key == "flaky":
        tries = f"{entry.retries} retr{'y' if entry.retries == 1 else 'ies'}" if entry.retries else "a retry"
        was = f"; was {entry.before}" if entry.before and entry.before != "passed" else ""
        return f"passed after {tries}{was}"
    text = "; ".join(entry.messages_after) or entry.after
    if key == "new_failures":
        if entry.is_new:
            return f"new case: {text}"
        return text if entry.before == "passed" else f"was {entry.before}: {text}"
    return text


def _names_line(label: str, names: list[str], limit: int = 10) -> str:
    shown = ", ".join(md_code(n) for n in names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"- {label} ({len(names)}): {shown}{more}"


def render_markdown(diff: RunDiff, title: str = "respcheck: regression diff", max_rows: int = MAX_ROWS) -> str:
    """A Markdown document for a CI job summary ($GITHUB_STEP_SUMMARY)."""
    base, cur = diff.baseline, diff.current
    lines = [f"## {md_escape(title)}", "", f"**{md_escape(diff.summary_line())}**", ""]
    lines.append(f"Baseline: {md_escape(base.get('started_at') or '?')} against {md_escape(base.get('target') or '?')}"
                 f" · current: {md_escape(cur.get('started_at') or '?')} against "
                 f"{md_escape(cur.get('target') or '?')} (profile {md_escape(cur.get('profile') or '?')})")
    lines.append("")
    if diff.added or diff.removed:
        if diff.added:
            lines.append(_names_line("Cases added since the baseline", diff.added))
        if diff.removed:
            lines.append(_names_line("Cases no longer in the run", diff.removed))
        lines.append("")
    if not diff.has_regressions:
        lines += ["No regressions.", ""]
    if any(cause["cases"] > 1 for cause in diff.new_root_causes):  # only when grouping says something
        from .rootcause import causes_markdown

        lines += causes_markdown(diff.new_root_causes, limit=20, heading="Root causes of the new failures")
    if diff.newly_breaking:
        lines += [f"### Newly breaking a real client ({len(diff.newly_breaking)})", "",
                  "| case | client | verdict |", "|---|---|---|"]
        for name, client, detail in diff.newly_breaking[:max_rows]:
            lines.append(f"| {md_code(name)} | {md_code(client)} | {md_escape(shorten(detail))} |")
        lines.append("")
    for key, heading, entries in diff.sections():
        if not entries:
            continue
        lines += [f"### {heading} ({len(entries)})", "",
                  "| case | feature | model | rule(s) | message |", "|---|---|---|---|---|"]
        for entry in entries[:max_rows]:
            lines.append(f"| {md_code(entry.name)} | {md_escape(entry.group)} | {md_escape(entry.model or '-')} | "
                         f"{_rules_cell(entry, key)} | {md_escape(shorten(_message(entry, key)))} |")
        if len(entries) > max_rows:
            lines.append(f"| … and {len(entries) - max_rows} more | | | | |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


_TEXT_LABELS = {"new_failures": "NEW FAILURE", "fixed": "fixed", "newly_skipped": "newly skipped",
                "still_failing": "still failing", "flaky": "flaky"}


def render_text(diff: RunDiff, limit: int = TEXT_ROWS) -> list[str]:
    """Compact lines for the pytest terminal summary. Cases still failing on the
    same rules are counted, not listed; everything else is listed up to `limit`."""
    lines = [f"respcheck diff: {diff.summary_line()}"]
    width = max(len(label) for label in _TEXT_LABELS.values())
    for key, _heading, entries in diff.sections():
        if key == "still_failing":
            same = [e for e in entries if not e.rules_changed]
            entries = [e for e in entries if e.rules_changed]
            if same:
                lines.append(f"  {'still failing':<{width}}  {len(same)} case(s) on the same rules")
        for entry in entries[:limit]:
            if key == "still_failing":
                detail = f"rules {', '.join(entry.rules_before) or '-'} → {', '.join(entry.rules_after) or '-'}"
            elif key == "new_failures":
                detail = f"[{', '.join(entry.rules_after) or entry.after}] {_message(entry, key)}"
            else:
                detail = _message(entry, key)
            lines.append(f"  {_TEXT_LABELS[key]:<{width}}  {entry.name}  {shorten(detail)}")
        if len(entries) > limit:
            lines.append(f"  {'':<{width}}  … and {len(entries) - limit} more")
    return lines
