"""Root causes of a run: its failures grouped by rule and by the shape of
their message — ids, numbers, indexes and quoted values folded — so that
one defect hit by 60 cases reads as one line with its count, not 60 lines.

Pure functions over a results document (results.json); the terminal, the
Markdown and HTML pages and results.json's `root_causes` all come from here."""

from __future__ import annotations

import re

from .diff import FAILING, failures_of, md_code, md_escape, outcome_of, shorten
from .printable import one_line

# A stream failure starts with where it happened ("event #12 response.output_text.delta (sequence_number 12): ");
# the event's type and number are the place, not the problem.
_EVENT_PLACE = re.compile(r"\bevent #\d+(?: (?:[A-Za-z_]+\.[\w.]+|error))?(?: \([^()]*\))?")
# "... and 4 more event(s) broke this rule": a count under a failure already shown, not a problem of its own.
_COUNTER = re.compile(r"^\W*and \d+ more\b.*\bbroke this rule\b", re.IGNORECASE)
# A quoted token is kept when it names a field, a schema keyword or an event type (lower-case identifiers,
# dotted); anything else quoted (model output, ids, model names, free text) is a value and is folded.
_QUOTED = re.compile(r"'(?:[^'\\\n]|\\.){0,400}'|\"(?:[^\"\\\n]|\\.){0,400}\"|`[^`\n]{0,400}`")
_NAME = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*:?")  # `event:` is a field name too
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
# resp_67ccd2bed1ec8190…, msg_abc123, call_9f…, chatcmpl-B9MBs8…: a short prefix and a long tail with a digit.
_PREFIXED_ID = re.compile(r"\b[A-Za-z]{2,12}[_-](?=[A-Za-z0-9]*\d)[A-Za-z0-9]{6,}\b")
_HEX = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{12,}\b")
# HTTP status codes stay: "expected HTTP 404, got 500" and "got 401" are different problems.
_STATUS = re.compile(r"\b(?:HTTP|status):? (\d{3})\b(?:, got (\d{3})\b)?")
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![A-Za-z0-9_])")
_SPACES = re.compile(r"\s+")
_INDEX = re.compile(r"\[\d+\]")
NUMBER, VALUE, ID = "N", "'…'", "<id>"
MESSAGE_LIMIT = 300


def normalize(message: str, keep_status: bool = True) -> str:
    """The message's shape: what two occurrences of the same defect have in common."""
    text = _SPACES.sub(" ", str(message)).strip()
    # Ids first: a quoted id is then a quoted value, folded like any other.
    text = _UUID.sub(ID, text)
    text = _PREFIXED_ID.sub(ID, text)
    text = _HEX.sub(ID, text)
    text = _QUOTED.sub(_fold_quoted, text)
    text = _EVENT_PLACE.sub("event #N", text)
    statuses = {m.start(group) for m in _STATUS.finditer(text) for group in (1, 2) if m.group(group)} \
        if keep_status else set()
    text = _NUMBER.sub(lambda m: m.group(0) if m.start() in statuses else NUMBER, text)
    text = _one_event_form(text)
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 1] + "…"


# The stream checker names a problem seen on one event as "event #N: X" and
# the same problem on several as "X on N of N events, first at event #N" (or
# "event #N: X; the same problem on N of N events"): one defect, one shape.
_COUNTED = re.compile(r"^(?P<problem>.+) on N of N events, first at event #N$")
_PLACED = re.compile(r"^event #N: (?P<problem>.+?)(?:; the same problem on N of N events)?$")


def _one_event_form(text: str) -> str:
    match = _COUNTED.match(text) or _PLACED.match(text)
    return f"event #N: {match.group('problem')}" if match else text


def _fold_quoted(match: re.Match) -> str:
    token = match.group(0)
    inner = token[1:-1]
    if _NAME.fullmatch(inner) and len(inner) <= 60 and sum(c.isdigit() for c in inner) < 3:  # digits: an id
        return token
    return VALUE if token[0] != "`" else "`…`"


def _shape(failure: dict) -> str | None:
    message = str(failure.get("message") or "")
    if _COUNTER.match(message):
        return None
    path = failure.get("path")
    where = _INDEX.sub("[N]", str(path)) + ": " if path else ""
    # Which status came back is the finding of the status rule; elsewhere it is
    # incidental ("HTTP 404 without a JSON error envelope" is the 400's defect too).
    return normalize(where + message, keep_status=failure.get("rule") == "status")


def _raw(failure: dict) -> str:
    path = failure.get("path")
    return f"{path}: {failure.get('message') or ''}" if path else str(failure.get("message") or "")


def root_causes(results: dict) -> list[dict]:
    """[{rule, message, cases, first_case, failures, example}], most cases first.

    `cases` counts the failing cases that show the shape (a case counts once however often
    it shows it); `failures` counts every failure of that shape; `first_case` is the first
    such case in the document's (name) order, `example` its message as reported."""
    groups: dict[tuple[str, str], dict] = {}
    for case in results.get("cases") or []:
        if not isinstance(case, dict) or not isinstance(case.get("name"), str) or outcome_of(case) not in FAILING:
            continue
        seen: set[tuple[str, str]] = set()
        for failure in failures_of(case):
            shape = _shape(failure)
            if shape is None:
                continue
            key = (str(failure.get("rule") or "?"), shape)
            group = groups.get(key)
            if group is None:
                group = groups[key] = {"rule": key[0], "message": shape, "cases": 0, "first_case": case["name"],
                                       "failures": 0, "example": _raw(failure)}
            group["failures"] += 1
            if key not in seen:
                seen.add(key)
                group["cases"] += 1
                broken = _clients_broken(case)
                if broken:
                    group["breaks_clients"] = sorted(set(group.get("breaks_clients", ())) | broken)
    return sorted(groups.values(), key=lambda g: (-g["cases"], -g["failures"], g["rule"], g["message"]))


def _clients_broken(case: dict) -> set[str]:
    """The real clients that break on (or misread) this case's answers."""
    clients = case.get("clients") if isinstance(case.get("clients"), dict) else {}
    return {name for name, v in clients.items() if isinstance(v, dict) and v.get("verdict") in ("breaks", "differs")}


def causes_of(results: dict) -> list[dict]:
    """The document's own `root_causes` when it has a well-formed list (a stored
    results.json), else computed from its cases."""
    stored = results.get("root_causes")
    if isinstance(stored, list) and all(isinstance(c, dict) and {"rule", "message", "cases", "first_case"} <= set(c)
                                        for c in stored):
        return stored
    return root_causes(results)


def render_text(causes: list[dict], limit: int = 15) -> list[str]:
    """Terminal lines: count, rule, the message's shape, the first case."""
    if not causes:
        return []
    width = max(len(str(c["rule"])) for c in causes[:limit])
    lines = []
    for cause in causes[:limit]:
        cases = f"{cause['cases']} case{'s' if cause['cases'] != 1 else ''}"
        broken = f"  [breaks {', '.join(cause['breaks_clients'])}]" if cause.get("breaks_clients") else ""
        lines.append(one_line(f"{cases:>9}  {str(cause['rule']):<{width}}  {cause['message']}  "
                              f"(first: {cause['first_case']}){broken}"))
    if len(causes) > limit:
        lines.append(f"{'':>9}  … and {len(causes) - limit} more root cause(s): see results.json")
    return lines


def causes_markdown(causes: list[dict], limit: int = 50, heading: str = "Root causes") -> list[str]:
    """A Markdown table of the root causes, most cases first (results.json has them all)."""
    if not causes:
        return []
    lines = [f"### {heading} ({len(causes)})", "", "| cases | rule | message | first case | breaks clients |",
             "|---|---|---|---|---|"]
    for cause in causes[:limit]:
        broken = ", ".join(md_code(c) for c in cause.get("breaks_clients") or ())
        lines.append(f"| {cause.get('cases')} | {md_code(cause.get('rule'))} | "
                     f"{md_escape(shorten(str(cause.get('message')), 200))} | {md_code(cause.get('first_case'))} | "
                     f"{broken} |")
    if len(causes) > limit:
        lines.append(f"| … | | {len(causes) - limit} more in results.json | | |")
    lines.append("")
    return lines
