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

Speed: jsonschema builds a validator object per subschema it enters, about
0.6 ms for one Response. So each schema is also compiled into plain Python
closures (`_compile`, a subset of 2020-12 that covers our files) which only
answer valid/invalid; jsonschema runs only to explain an invalid instance.
A schema using a keyword outside that subset just goes without the fast path.
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

SCHEMA_BASE = "https://respcheck.dev/schemas/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
_INLINE_ID = SCHEMA_BASE + "_inline.json"  # base URI given to case-file fragments
_IDENT = re.compile(r"^[A-Za-z_][\w\-]*$")  # keys respcheck.jsonpath reads in dotted form
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
        return [issue for _, issue in sorted(found.values(), key=lambda pair: pair[0])]

    def _pick(self, ref_or_fragment: str | dict) -> Draft202012Validator:
        if isinstance(ref_or_fragment, str):
            return self.validator(ref_or_fragment)
        return self.validator_for_fragment(ref_or_fragment)

    def _fast_check(self, validator: Draft202012Validator) -> Callable[[Any], bool] | None:
        key = id(validator)  # validators live as long as the store (cached above)
        if key not in self._fast:
            root = validator.schema
            uri = root.get("$id", _INLINE_ID)
            registry = self._registry  # plus the root itself, for a fragment's own "#/$defs/..."
            if uri.removeprefix(SCHEMA_BASE) not in self._contents:
                registry = registry.with_resource(uri, DRAFT202012.create_resource(root))
            try:
                self._fast[key] = _compile(root, registry.resolver(base_uri=uri), {})
            except (_Unsupported, Unresolvable):  # jsonschema will do it, or say what is wrong
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


# -- fast accept: a schema compiled to closures -------------------------------

class _Unsupported(Exception):
    """A keyword the compiler does not handle; jsonschema alone will do."""


Check = Callable[[Any], bool]
_IGNORED = {"$schema", "$id", "$defs", "$comment", "title", "description", "examples", "default",
            "deprecated", "readOnly", "writeOnly", "format",  # format is not asserted
            "then", "else"}  # read by "if"
_PLAIN = {"object": dict, "array": list, "string": str}
_OBJECT_KEYS = ("properties", "patternProperties", "additionalProperties")  # compiled together
_TYPES: dict[str, Check] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
}


def _equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema has it: true is not 1, but 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_equal, a, b))
    return a == b


def _compile(schema: Any, resolver, memo: dict) -> Check:
    if schema is True or schema == {}:
        return lambda v: True
    if schema is False:
        return lambda v: False
    if "$id" in schema:  # refs inside resolve against it
        resolver = resolver.in_subresource(DRAFT202012.create_resource(schema))
    checks = []
    for keyword, value in schema.items():
        if keyword in _IGNORED or keyword in _OBJECT_KEYS:
            continue
        if keyword not in _KEYWORDS:
            raise _Unsupported(keyword)
        checks.append(_KEYWORDS[keyword](value, schema, resolver, memo))
    if any(key in schema for key in _OBJECT_KEYS):
        checks.append(_object(schema, resolver, memo))
    return checks[0] if len(checks) == 1 else _every(checks)


def _every(checks: list[Check]) -> Check:
    def check(v):
        for each in checks:  # a plain loop: cheaper than all() over a generator
            if not each(v):
                return False
        return True
    return check


def _only(kind: str, test: Check) -> Check:
    """A keyword that constrains one JSON type and ignores the others."""
    if kind in _PLAIN:
        plain = _PLAIN[kind]
        return lambda v: not isinstance(v, plain) or test(v)
    is_kind = _TYPES[kind]
    return lambda v: not is_kind(v) or test(v)


def _type(value, *_) -> Check:
    tests = [_TYPES[name] for name in (value if isinstance(value, list) else [value])]
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(test(v) for test in tests)


def _enum(value, *_) -> Check:
    if all(e is None or isinstance(e, str) for e in value):  # the common case: a set lookup
        members = frozenset(value)
        return lambda v: (v is None or isinstance(v, str)) and v in members
    return lambda v: any(_equal(v, e) for e in value)


def _ref(value, schema, resolver, memo) -> Check:
    resolved = resolver.lookup(value)
    key = id(resolved.contents)
    if key not in memo:  # a cell first, so that recursive schemas terminate
        cell: list = []
        memo[key] = lambda v: cell[0](v)
        cell.append(_compile(resolved.contents, resolved.resolver, memo))
    return memo[key]


def _object(schema, resolver, memo) -> Check:
    props = {k: _compile(s, resolver, memo) for k, s in schema.get("properties", {}).items()}
    patterns = [(re.compile(p), _compile(s, resolver, memo))
                for p, s in schema.get("patternProperties", {}).items()]
    extra = schema.get("additionalProperties", True)
    rest = None if extra is True else _compile(extra, resolver, memo)

    if not patterns and rest is None:  # the common case: just the named properties
        def named(v):
            for key, item in v.items():
                sub = props.get(key)
                if sub is not None and not sub(item):
                    return False
            return True
        return _only("object", named)

    def check(v):
        for key, item in v.items():
            sub = props.get(key)
            if sub is not None and not sub(item):
                return False
            matched = [psub for pattern, psub in patterns if pattern.search(key)]
            if not all(psub(item) for psub in matched):
                return False
            if rest is not None and sub is None and not matched and not rest(item):
                return False
        return True
    return _only("object", check)


def _if(value, schema, resolver, memo) -> Check:
    test = _compile(value, resolver, memo)
    then = _compile(schema.get("then", True), resolver, memo)
    other = _compile(schema.get("else", True), resolver, memo)
    return lambda v: then(v) if test(v) else other(v)


def _items(value, schema, resolver, memo) -> Check:
    if "prefixItems" in schema:
        raise _Unsupported("prefixItems")
    sub = _compile(value, resolver, memo)
    return _only("array", lambda v: all(map(sub, v)))


def _combine(test: Callable[[Any], bool]):
    """allOf/anyOf/oneOf/not: compile the subschemas, then `test` their results."""
    def build(value, schema, resolver, memo) -> Check:
        subs = [_compile(s, resolver, memo) for s in (value if isinstance(value, list) else [value])]
        return lambda v: test(sub(v) for sub in subs)
    return build


def _unique(v: list) -> bool:
    return all(not _equal(v[i], v[j]) for i in range(len(v)) for j in range(i + 1, len(v)))


def _sized(kind: str, compare: Callable[[int, Any], bool]):
    return lambda n, *_: _only(kind, lambda v: compare(len(v), n))


def _bound(compare: Callable[[Any, Any], bool]):
    return lambda n, *_: _only("number", lambda v: compare(v, n))


_KEYWORDS: dict[str, Callable[..., Check]] = {
    "$ref": _ref,
    "type": _type,
    "required": lambda value, *_: _only("object", lambda v: all(k in v for k in value)),
    "enum": _enum,
    "const": lambda value, *_: _enum([value]),
    "items": _items,
    "if": _if,
    "allOf": _combine(all),
    "anyOf": _combine(any),
    "oneOf": _combine(lambda results: sum(results) == 1),
    "not": _combine(lambda results: not any(results)),
    "propertyNames": lambda value, s, r, m: (lambda sub: _only("object", lambda v: all(map(sub, v))))(
        _compile(value, r, m)),
    "uniqueItems": lambda value, *_: _only("array", _unique) if value else (lambda v: True),
    "pattern": lambda value, *_: (lambda rx: _only("string", lambda v: rx.search(v) is not None))(
        re.compile(value)),
    "minLength": _sized("string", lambda size, n: size >= n),
    "maxLength": _sized("string", lambda size, n: size <= n),
    "minItems": _sized("array", lambda size, n: size >= n),
    "maxItems": _sized("array", lambda size, n: size <= n),
    "minProperties": _sized("object", lambda size, n: size >= n),
    "maxProperties": _sized("object", lambda size, n: size <= n),
    "minimum": _bound(lambda v, n: v >= n),
    "maximum": _bound(lambda v, n: v <= n),
    "exclusiveMinimum": _bound(lambda v, n: v > n),
    "exclusiveMaximum": _bound(lambda v, n: v < n),
}


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
    """jsonschema's deque path → '$.output[0]["odd key"]' (respcheck.jsonpath syntax)."""
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


def _sort_key(part: Any) -> tuple:
    # ints and strings never compare directly; order indexes numerically.
    return (0, part, "") if isinstance(part, int) else (1, 0, part)


@functools.lru_cache(maxsize=None)
def default_store() -> SchemaStore:
    return SchemaStore()
