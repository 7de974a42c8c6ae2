"""Strict and compat side by side, from a results document.

Strict is the contract (a case's outcome, as always); compat asks only
whether a real client breaks on the answers (a case's `compat`: `fail` when a
client `breaks` or `differs`). A feature can be strict ✗ and compat ✓: its
deviation breaks the letter of the contract, not the users. Pure functions:
the terminal summary, matrix.md/html and results.json's `clients` summary all
come from here."""

from __future__ import annotations

import html

from .diff import FAILING, group_of, md_code, md_escape, outcome_of, shorten

BAD = ("breaks", "differs")


def client_verdicts(case: dict) -> dict:
    clients = case.get("clients")
    return clients if isinstance(clients, dict) else {}


def judged(results: dict) -> bool:
    return any(client_verdicts(c) for c in results.get("cases") or () if isinstance(c, dict))


def summarize(results: dict) -> dict:
    """results.json's `clients`: per client its version and verdict counts,
    and the compat counts of the cases that were judged."""
    per_client: dict[str, dict] = {}
    compat = {"pass": 0, "fail": 0}
    for case in results.get("cases") or ():
        if not isinstance(case, dict):
            continue
        for name, verdict in client_verdicts(case).items():
            entry = per_client.setdefault(name, {"version": None, "ok": 0, "breaks": 0, "differs": 0,
                                                 "not judged": 0})
            entry["version"] = entry["version"] or verdict.get("version")
            kind = verdict.get("verdict")
            if kind in entry:
                entry[kind] += 1
        if case.get("compat") in compat:
            compat[case["compat"]] += 1
    return {"by_client": dict(sorted(per_client.items())), "compat": compat}


def breaking(results: dict) -> list[tuple[str, str, str, str]]:
    """(case, client, verdict, detail) for every client that breaks on, or reads otherwise, a case's answers."""
    out = []
    for case in results.get("cases") or ():
        if not isinstance(case, dict):
            continue
        for name, verdict in sorted(client_verdicts(case).items()):
            if verdict.get("verdict") in BAD:
                out.append((case.get("name"), name, verdict["verdict"], str(verdict.get("detail") or "")))
    return sorted(out)


def feature_rows(results: dict) -> list[dict]:
    """Per feature (the matrix's rows): strict and compat as ✓/✗ over its judged cases, and the clients that broke."""
    rows: dict[str, dict] = {}
    for case in results.get("cases") or ():
        if not isinstance(case, dict) or not client_verdicts(case):
            continue
        row = rows.setdefault(group_of(case), {"feature": group_of(case), "cases": 0, "strict_failed": 0,
                                               "compat_failed": 0, "clients": set()})
        row["cases"] += 1
        row["strict_failed"] += outcome_of(case) in FAILING
        if case.get("compat") == "fail":
            row["compat_failed"] += 1
            row["clients"] |= {n for n, v in client_verdicts(case).items() if v.get("verdict") in BAD}
    return [{**row, "clients": sorted(row["clients"])} for _, row in sorted(rows.items())]


def _mark(failed: int, cases: int) -> str:
    return "✓" if not failed else f"✗ {failed}/{cases}"


def summary_lines(results: dict, limit: int = 20) -> list[str]:
    """Terminal lines: strict and compat counts, each client's verdicts, which cases break which client."""
    if not judged(results):
        return []
    summary = summarize(results)
    strict_failed = sum(1 for c in results.get("cases") or () if isinstance(c, dict) and client_verdicts(c)
                        and outcome_of(c) in FAILING)
    total = summary["compat"]["pass"] + summary["compat"]["fail"]
    lines = [f"strict: {total - strict_failed} of {total} judged cases pass; "
             f"compat: {summary['compat']['pass']} of {total} pass (no real client breaks)"]
    for name, entry in summary["by_client"].items():
        lines.append(f"  {name} {entry['version'] or '?'}: {entry['ok']} ok, {entry['breaks']} breaks, "
                     f"{entry['differs']} differs, {entry['not judged']} not judged")
    rows = breaking(results)
    for case, client, verdict, detail in rows[:limit]:
        lines.append(f"  {case}: {verdict} {client}: {shorten(detail, 160)}")
    if len(rows) > limit:
        lines.append(f"  … and {len(rows) - limit} more: see results.json (cases[].clients)")
    return lines


def render_markdown(results: dict, limit: int = 50) -> list[str]:
    rows = feature_rows(results)
    if not rows:
        return []
    lines = ["### Strict and compat (real clients)", "",
             "Strict: the contract. Compat: no real client breaks on, or misreads, the answers "
             "(cases[].clients in results.json).", "",
             "| feature | strict | compat | clients that break |", "|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {md_escape(row['feature'])} | {_mark(row['strict_failed'], row['cases'])} | "
                     f"{_mark(row['compat_failed'], row['cases'])} | "
                     f"{', '.join(md_code(c) for c in row['clients'])} |")
    bad = breaking(results)
    if bad:
        lines += ["", "| case | client | verdict | detail |", "|---|---|---|---|"]
        for case, client, verdict, detail in bad[:limit]:
            lines.append(f"| {md_code(case)} | {md_code(client)} | {verdict} | {md_escape(shorten(detail, 200))} |")
        if len(bad) > limit:
            lines.append(f"| … | | | {len(bad) - limit} more in results.json |")
    lines.append("")
    return lines


def render_html(results: dict) -> list[str]:
    rows = feature_rows(results)
    if not rows:
        return []
    e = html.escape
    out = ["<h2>Strict and compat (real clients)</h2>",
           "<p>Strict: the contract. Compat: no real client breaks on, or misreads, the answers.</p>",
           '<table class="causes">', "<thead><tr><th>feature</th><th>strict</th><th>compat</th>"
           "<th>clients that break</th></tr></thead>", "<tbody>"]
    for row in rows:
        strict, compat = _mark(row["strict_failed"], row["cases"]), _mark(row["compat_failed"], row["cases"])
        out.append(f"<tr><th scope=\"row\">{e(row['feature'])}</th>"
                   f"<td class=\"{'fail' if row['strict_failed'] else 'pass'}\">{e(strict)}</td>"
                   f"<td class=\"{'fail' if row['compat_failed'] else 'pass'}\">{e(compat)}</td>"
                   f"<td>{e(', '.join(row['clients']))}</td></tr>")
    out += ["</tbody>", "</table>"]
    bad = breaking(results)
    if bad:
        out += ['<table class="causes">', "<thead><tr><th>case</th><th>client</th><th>verdict</th>"
                "<th>detail</th></tr></thead>", "<tbody>"]
        for case, client, verdict, detail in bad[:100]:
            out.append(f"<tr><td><code>{e(str(case))}</code></td><td>{e(client)}</td><td>{e(verdict)}</td>"
                       f"<td>{e(shorten(detail, 300))}</td></tr>")
        out += ["</tbody>", "</table>"]
    return out
