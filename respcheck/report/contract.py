"""The contract a run is measured against: every name coverage counts, derived
when the run ends from the files that define it, never listed by hand.

- endpoints: the logical endpoints (method + path template) the case files
  call: the suite's own cases/ plus the files of this run. The schemas describe
  bodies, not routes, so the case files are where an endpoint is written down;
  the suite's whole case set (not only this run's) keeps a partial run honest
  ("endpoints 3/9", not "3/3").
- request_fields: the top-level properties of responses-request.schema.json,
  and one level down as "text.format" wherever a field's schema (through its
  $ref) names properties of its own; not the items of arrays (input, tools)
  nor free-form maps (metadata, extensions).
- stream_events: the event types stream-event.schema.json validates (its
  $defs, keyed by event type, which its allOf dispatches on).
- output_items: the `type` consts the output item union dispatches on
  (output-item.schema.json's if/then, and any oneOf/anyOf member's const).
- error_codes: the canonical codes of model/error_codes.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..model import catalogue as case_catalogue
from ..model.endpoints import step_endpoint
from ..model.error_codes import KNOWN_CODES
from ..schemastore import SchemaStore, default_store

REQUEST_SCHEMA = "responses-request.schema.json"
EVENT_SCHEMA = "stream-event.schema.json"
OUTPUT_ITEM_SCHEMA = "output-item.schema.json"


@dataclass(frozen=True)
class Area:
    key: str  # as in results.json
    label: str  # as people read it
    names: frozenset[str]
    source: str  # where the names come from


def contract(case_files: Iterable[Path] = (), store: SchemaStore | None = None) -> list[Area]:
    """The areas in report order."""
    store = store or default_store()
    return [
        Area("endpoints", "endpoints", frozenset(endpoints(case_files)),
             "method + path template of every step in the case files (the suite's cases/ and this run's)"),
        Area("request_fields", "request fields", frozenset(request_fields(store)),
             f"{REQUEST_SCHEMA}: properties, and their properties as dotted paths"),
        Area("stream_events", "stream events", frozenset(event_types(store)), f"{EVENT_SCHEMA}: $defs"),
        Area("output_items", "output items", frozenset(output_item_types(store)),
             f"{OUTPUT_ITEM_SCHEMA}: the type consts of the union"),
        Area("error_codes", "error codes", frozenset(KNOWN_CODES), "respcheck/model/error_codes.py"),
    ]


def endpoints(case_files: Iterable[Path] = ()) -> set[str]:
    files = dict.fromkeys(case_catalogue.case_files([case_catalogue.BUILTIN_CASES]))
    files.update(dict.fromkeys(Path(f).resolve() for f in case_files))
    found = set()
    for file in files:
        for case in case_catalogue.cases_of(file):
            found |= {step_endpoint(step.request) for step in case.steps}
    return found


def request_fields(store: SchemaStore) -> set[str]:
    schema = store.contents(REQUEST_SCHEMA)
    fields = set()
    for name, sub in (schema.get("properties") or {}).items():
        fields.add(name)
        resolved = _resolve(store, REQUEST_SCHEMA, sub)
        fields |= {f"{name}.{inner}" for inner in (resolved.get("properties") or {})}
    return fields


def event_types(store: SchemaStore) -> set[str]:
    return set(store.contents(EVENT_SCHEMA).get("$defs") or {})


def output_item_types(store: SchemaStore) -> set[str]:
    schema = store.contents(OUTPUT_ITEM_SCHEMA)
    found = {_type_const(branch.get("if")) for branch in schema.get("allOf") or [] if isinstance(branch, dict)}
    for key in ("oneOf", "anyOf"):
        found |= {_type_const(_resolve(store, OUTPUT_ITEM_SCHEMA, member)) for member in schema.get(key) or []}
    return {name for name in found if name}


def _type_const(schema) -> str | None:
    if not isinstance(schema, dict):
        return None
    const = ((schema.get("properties") or {}).get("type") or {}).get("const")
    return const if isinstance(const, str) else None


def _resolve(store: SchemaStore, file: str, schema, depth: int = 0) -> dict:
    """Follow `$ref`s ("#/$defs/x", "other.schema.json", "other.schema.json#/$defs/x") to the schema they name."""
    if not isinstance(schema, dict) or "$ref" not in schema or depth > 8:
        return schema if isinstance(schema, dict) else {}
    document, _, pointer = str(schema["$ref"]).partition("#")
    document = document.rsplit("/", 1)[-1] or file
    if document not in store.names():
        return {}
    target = store.contents(document)
    for part in (p for p in pointer.split("/") if p):
        target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
    return _resolve(store, document, target, depth + 1)
