"""Writing what `profile init` found as a commented profile, and holding the
text to the same checks `--profile` does before anyone sees it."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from ..model.catalogue import BUILTIN_CASES, build
from ..model.paths import LOGICAL
from ..model.profile import ProfileError, load_profile
from ..model.profile_check import check_profile
from .findings import Entry, Findings
from .prober import clean

_NAME = re.compile(r"[^a-z0-9_\-]+")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


def profile_name(output: str | None) -> str:
    stem = Path(output).stem.lower() if output else ""
    name = _NAME.sub("-", stem).strip("-_")
    return name if name and name[0].isalnum() else "my-gateway"


def _value(value) -> str:
    if value == "supported" or value == "absent":
        return value
    return json.dumps(value, ensure_ascii=False)


def _key(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _section(lines: list[str], title: str, entries: dict[str, Entry], keys_sorted: bool = False) -> None:
    if not entries:
        return
    lines.append(f"{title}:")
    for key in (sorted(entries) if keys_sorted else entries):
        entry = entries[key]
        lines.append(f"  # {clean(entry.evidence)}")
        lines.append(f"  {_key(key)}: {_value(entry.value)}")


def render(findings: Findings, name: str, requests: int) -> str:
    """The profile text. Capabilities and roles no case uses are left out (and said so)."""
    catalogue = build([BUILTIN_CASES])
    for cap in [c for c in findings.capabilities if c not in catalogue.capabilities]:
        findings.notes.append(f"capability {cap} is required by no case: left out")
        del findings.capabilities[cap]
    for role in [r for r in findings.models if r not in catalogue.roles]:
        findings.notes.append(f"model role {role} is used by no case: left out")
        del findings.models[role]
    lines = [
        f"# Written by `respcheck profile init` from what {clean(findings.base_url)} answered to {requests} requests.",
        "# The comment above each entry is its evidence: the request sent and what came back.",
        "# Review it before relying on it: the run holds the target to what it answered here.",
        f"name: {name}",
        f"description: {json.dumps('probed by respcheck profile init at ' + clean(findings.base_url))}",
        f"base_url: {json.dumps(findings.base_url)}",
        f"request_timeout: {findings.request_timeout:g}",
    ]
    moved = {k: e for k, e in findings.paths.items() if e.value != LOGICAL.get(k)}
    if moved:
        if "assets" not in moved and findings.base_url.rstrip("/").count("/") <= 2:
            moved["assets"] = Entry("/v1/assets" if any(e.value.startswith("/v1/") for e in moved.values())
                                    else "/assets", "beside the endpoints (not probed)")
        _section(lines, "paths", moved)
    else:
        lines.append("# paths: the default endpoint paths under the base URL answered")
    if findings.models:
        _section(lines, "models", findings.models)
    else:
        lines.append("models: {}  # no model was listed or given with --model")
    if findings.capabilities:
        _section(lines, "capabilities", findings.capabilities, keys_sorted=True)
    else:
        lines.append("capabilities: {}  # nothing answered as a case expects")
    _section(lines, "error_codes", findings.error_codes)
    _section(lines, "error_types", findings.error_types)
    if findings.accept_error_types:
        lines.append(f"accept_error_types: {json.dumps(sorted(findings.accept_error_types))}  "
                     "# the target's own error types, seen above")
    _section(lines, "settings", findings.settings)
    if findings.notes:
        lines.append("")
        lines.append("# Not written, or worth knowing:")
        lines += [f"#   - {clean(note, 300)}" for note in findings.notes]
    return "\n".join(lines) + "\n"


def problems(text: str) -> list[str]:
    """What `--profile` would refuse in `text` (schema, names no case uses)."""
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "generated.yaml"
        file.write_text(text, encoding="utf-8")
        try:
            profile = load_profile(str(file))
        except ProfileError as exc:
            return [str(exc)]
        return [str(p) for p in check_profile(profile, build([BUILTIN_CASES]))]
