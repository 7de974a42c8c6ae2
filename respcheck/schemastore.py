"""The contract's JSON Schemas (schemas/*.json), compiled once and shared.

Every schema file is loaded into one `referencing.Registry` under its `$id`
(https://respcheck.dev/schemas/<file>) and under its bare file name, so both
"response.schema.json" and the full URI work, and so do the relative `$ref`s
between files. Validators are built lazily and cached: the same Response
schema runs against every response of a run.

`issues()` turns jsonschema's errors into `SchemaIssue`s: one leaf error per
problem (the useful branch of an anyOf, not "is not valid under any of the
given schemas"), a JSON path the rest of the suite understands, and messages
with long instances shortened.

Speed: jsonschema (pure Python) takes about 0.6 ms for one Response, too
slow for every event of a long stream. So the valid/invalid question goes to
jsonschema-rs (a compiled 2020-12 validator, ~2 µs a Response) built once per
schema over the same files; jsonschema runs only to explain an invalid
instance, where its best_match gives the better message.
"""

from __future__ import annotations

import functools
import threading
import json
import math
import pathlib
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

SCHEMA_BASE = "https://respcheck.dev/schemas/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
_INLINE_ID = SCHEMA_BASE + "_inline.json"  # base URI given to case-file fragments
_IDENT = re.compile(r"^[A-Za-z_][\w\-]*$")  # keys respcheck.model.jsonpath reads in dotted form
_SHORT = 60


def schema_dir() -> pathlib.Path:
    """The checkout's schemas/, else the copy shipped inside the package."""
    here = pathlib.Path(__file__).resolve().parent
    checkout = here.parent / "schemas"
    return checkout if checkout.is_dir() else here / "_schemas"


@dataclass(frozen=True)
class SchemaIssue:
    path: str  # "$", "$.output[0].content", '$.models["gpt-5.4"]'
    message: str  # "'abc' is not of type 'integer'"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SchemaStore:
    def __init__(self, directory: pathlib.Path | None = None) -> None:
        self.directory = pathlib.Path(directory) if directory else schema_dir()
        self._contents: dict[str, dict] = {}
        for file in sorted(self.directory.glob("*.json")):
            self._contents[file.name] = json.loads(file.read_text(encoding="utf-8"))
        resources = []
        for name, contents in self._contents.items():
            resource = Resource.from_contents(contents, default_specification=DRAFT202012)
            resources.append((contents.get("$id", SCHEMA_BASE + name), resource))
            resources.append((name, resource))  # a bare name from a base-less schema
        self._registry: Registry = Registry().with_resources(resources).crawl()
        self._validators: dict[str, Draft202012Validator] = {}
        self._fragments: dict[str, Draft202012Validator] = {}
        self._fast: dict[int, Callable[[Any], bool] | None] = {}  # by id(validator)
        self._compiled: dict[int, Any] = {}  # the jsonschema-rs validators behind _fast
        self._lock = threading.RLock()
        self._rs_registry = jsonschema_rs.Registry(
            [(contents.get("$id", SCHEMA_BASE + name), contents) for name, contents in self._contents.items()])

    # -- lookup -------------------------------------------------------------

    def names(self) -> list[str]:
        return list(self._contents)

    def contents(self, name: str) -> dict:
        """The parsed JSON of one schema file (read-only by convention)."""
        return self._contents[name]

    def uri(self, ref: str) -> str:
        """'response.schema.json#/$defs/x' → its absolute URI."""
        return ref if "://" in ref else SCHEMA_BASE + ref

    def has(self, ref: str) -> bool:
        try:
            self._registry.resolver().lookup(self.uri(ref))
        except Unresolvable:
            return False
        return True

    # -- validators ---------------------------------------------------------

    def validator(self, ref: str) -> Draft202012Validator:
        """A compiled validator for a file name or URI, optionally with #fragment."""
        cached = self._validators.get(ref)
        if cached is not None:
            return cached
        with self._lock:  # cases run on threads: one validator per ref, so its fast twin is the right one
            cached = self._validators.get(ref)
            if cached is not None:
                return cached
            return self._new_validator(ref)

    def _new_validator(self, ref: str) -> Draft202012Validator:
        if not self.has(ref):
            known = ", ".join(self.names())
            raise KeyError(f"no schema {ref!r} under {self.directory} (known: {known})")
        uri = self.uri(ref)
        document, _, fragment = uri.partition("#")
        name = document.rsplit("/", 1)[-1]
        if not fragment and name in self._contents:
            schema = self._contents[name]  # its own $id gives relative $refs their base
        else:
            schema = {"$id": _INLINE_ID, "$ref": uri}
        validator = Draft202012Validator(schema, registry=self._registry)
        self._validators[ref] = validator
        return validator

    def validator_for_fragment(self, fragment: dict) -> Draft202012Validator:
        """A validator for an inline schema from a case file.

        Relative refs such as "response.schema.json" resolve against SCHEMA_BASE.
        Raises jsonschema.exceptions.SchemaError for a fragment that is not a schema.
        """
        key = json.dumps(fragment, sort_keys=True)
        cached = self._fragments.get(key)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._fragments.get(key)
            return cached if cached is not None else self._new_fragment(key, fragment)

    def _new_fragment(self, key: str, fragment: dict) -> Draft202012Validator:
        schema = fragment if "$id" in fragment else {"$id": _INLINE_ID, **fragment}
        Draft202012Validator.check_schema(schema)  # a typo in a case should say so, not pass
        validator = Draft202012Validator(schema, registry=self._registry)
        self._fragments[key] = validator
        return validator

    def is_valid(self, ref_or_fragment: str | dict, instance: Any) -> bool:
        """Like validator(...).is_valid, through the fast path (use this in loops)."""
        validator = self._pick(ref_or_fragment)
        fast = self._fast_check(validator)
        return fast(instance) if fast else validator.is_valid(instance)

    def issues(self, ref_or_fragment: str | dict, instance: Any) -> list[SchemaIssue]:
        """Every problem of `instance`, as leaf errors, deduplicated, sorted by path."""
        validator = self._pick(ref_or_fragment)
        fast = self._fast_check(validator)
        if fast is not None and fast(instance):
            return []
        found: dict[tuple[str, str], tuple] = {}
        leaf_errors = (leaf for error in validator.iter_errors(instance) for leaf in leaves(error))
        for leaf in leaf_errors:
            issue = SchemaIssue(render_path(leaf.absolute_path), describe(leaf))
            order = (tuple(_sort_key(p) for p in leaf.absolute_path), len(found))
            found.setdefault((issue.path, issue.message), (order, issue))
        if not found and fast is not None:
            # The two validators disagree (jsonschema-rs sees inf/NaN as null,
            # jsonschema as a number): explain with the one that said invalid.
            return self._fast_issues(validator, instance)
        return [issue for _, issue in sorted(found.values(), key=lambda pair: pair[0])]

    def _fast_issues(self, validator: Draft202012Validator, instance: Any) -> list[SchemaIssue]:
        issues = []
        for error in self._compiled[id(validator)].iter_errors(instance):
            path = list(error.instance_path)
            value = _at(instance, path)
            if isinstance(value, float) and not math.isfinite(value):
                message = f"{value} is not a JSON number (not finite)"
            else:
                message = error.message or "does not match the schema"
            issue = SchemaIssue(render_path(path), message)
            if issue not in issues:
                issues.append(issue)
        return issues or [SchemaIssue("$", "does not match the schema (the validators disagree on why)")]

    def issues_or_none(self, schema: dict, instance: Any) -> list[SchemaIssue]:
        """Issues of `instance` under a schema the *request* supplied (a tool's
        parameters, a requested json_schema): none when that schema is itself
        broken — the gateway cannot be held to it."""
        try:
            return self.issues(schema, instance)
        except SchemaError:
            return []

    def _pick(self, ref_or_fragment: str | dict) -> Draft202012Validator:
        if isinstance(ref_or_fragment, str):
            return self.validator(ref_or_fragment)
        return self.validator_for_fragment(ref_or_fragment)

    def _fast_check(self, validator: Draft202012Validator) -> Callable[[Any], bool] | None:
        key = id(validator)  # validators live as long as the store (cached above, one per schema)
        if key in self._fast:
            return self._fast[key]
        with self._lock:
            if key in self._fast:
                return self._fast[key]
            try:
                compiled = jsonschema_rs.validator_for(validator.schema, registry=self._rs_registry)
                self._fast[key] = compiled.is_valid
                self._compiled[key] = compiled
            except (ValueError, jsonschema_rs.ValidationError):  # jsonschema will say what is wrong
                self._fast[key] = None
        return self._fast[key]

    # -- the schema files themselves ----------------------------------------

    def check_schema_files(self) -> list[str]:
        """Problems in the schema files: meta-schema errors, house conventions, dangling $refs."""
        meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
        problems = []
        for name, contents in self._contents.items():
            for error in meta.iter_errors(contents):
                problems.append(f"{name}: {render_path(error.absolute_path)}: {error.message}")
            if contents.get("$schema") != DRAFT:
                problems.append(f"{name}: $schema is not {DRAFT}")
            if contents.get("$id") != SCHEMA_BASE + name:
                problems.append(f"{name}: $id is not {SCHEMA_BASE + name}")
            for key in ("title", "description"):
                if not contents.get(key):
                    problems.append(f"{name}: no {key}")
            resolver = self._registry.resolver(base_uri=contents.get("$id", SCHEMA_BASE + name))
            for where, ref in iter_refs(contents):
                try:
                    resolver.lookup(ref)
                except Unresolvable as exc:
                    problems.append(f"{name}: {where}: $ref {ref!r} does not resolve ({exc})")
        return problems


def leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The errors worth reporting under `error`.

    For anyOf/oneOf, jsonschema reports one error whose `context` holds every
    branch's failures. Take the branch best_match deems closest (e.g. the
    array branch when the instance is an array) and report all of its errors,
    so two broken items of one list give two issues.
    """
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        yield error
        return
    best = best_match([error])
    if best is error:  # no branch stands out; describe() summarises them
        yield error
        return
    while best is not None and best.parent is not error:
        best = best.parent
    if best is None:  # not expected; fall back to the summary
        yield error
        return
    branch = best.relative_schema_path[0]
    for child in error.context:
        if child.relative_schema_path[0] == branch:
            yield from leaves(child)


def iter_refs(node: Any, path: tuple = ()) -> Iterator[tuple[str, str]]:
    """(JSON path, $ref value) of every $ref in a schema document.

    A `$ref` under a nested `$id` would resolve against that id; no file here
    nests one, so refs are taken relative to the document's own id.
    """
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield render_path(path), ref
        for key, value in node.items():
            if key not in ("const", "enum", "examples", "default"):  # data, not schema
                yield from iter_refs(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_refs(value, path + (index,))


def render_path(parts) -> str:
    """jsonschema's deque path → '$.output[0]["odd key"]' (respcheck.model.jsonpath syntax)."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}"
        else:
            out += "[" + json.dumps(part, ensure_ascii=False) + "]"
    return out


def describe(error: ValidationError) -> str:
    """jsonschema's message, made readable when the instance is big or no branch matched."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        # best_match stopped here: every branch failed equally; say what each wanted.
        here = [e for e in error.context if not e.relative_path]
        if here and all(e.validator == "type" for e in here):
            wanted = []
            for e in here:
                types = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
                wanted += [repr(t) for t in types if repr(t) not in wanted]
            return f"{_short(error.instance)} is not of type {' or '.join(wanted)}"
        reasons = sorted({describe(e) for e in (here or error.context)})
        return "does not match any alternative: " + "; or ".join(reasons)
    if error.validator == "not" and isinstance(error.validator_value, dict):
        if "description" in error.validator_value:
            return error.validator_value["description"]
    message = error.message
    full = repr(error.instance)
    if len(full) > _SHORT and full in message:
        message = message.replace(full, _short(error.instance), 1)
    return message


def _short(value: Any) -> str:
    text = repr(value)
    if len(text) <= _SHORT:
        return text
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:4])
        return "{" + keys + (", ..." if len(value) > 4 else "") + "} (an object)"
    if isinstance(value, list):
        return f"[...] (an array of {len(value)})"
    return text[: _SHORT - 5] + "...'"


def _at(instance: Any, path: list) -> Any:
    for part in path:
        try:
            instance = instance[part]
        except (KeyError, IndexError, TypeError):
            return None
    return instance


def _sort_key(part: Any) -> tuple:
    # ints and strings never compare directly; order indexes numerically.
    return (0, part, "") if isinstance(part, int) else (1, 0, part)


@functools.lru_cache(maxsize=None)
def default_store() -> SchemaStore:
    return SchemaStore()
