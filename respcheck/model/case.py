"""Case files: YAML documents → validated `Case` objects.

A case is one request with its expectations, or an ordered list of steps
(values captured from one step feed the next). Validation against
schemas/case.schema.json happens here so that every later stage can trust
the shape; problems come back as `CaseError` with the file and line.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .expect_check import expect_problems
from .jsonpath import PathSyntaxError, parse as parse_path
from .matchers import problems as matcher_problems
from .schema_hints import first_problem, render_path
from ..schemastore import default_store
from ..stream.pattern import PatternError, check_pattern
from .templating import TemplateError, render
from .yamlfile import Document, YamlFileError, display_path, load_documents

CASE_SCHEMA = "case.schema.json#/$defs/case"


class CaseError(Exception):
    """A case file that cannot be used; `line` points at the offending value."""

    def __init__(self, file: Path, line: int | None, message: str, case_id: str | None = None):
        self.file, self.line, self.message, self.case_id = file, line, message, case_id
        super().__init__(self.render())

    def render(self) -> str:
        where = f"{display_path(self.file)}:{self.line}" if self.line else display_path(self.file)
        who = f" (case {self.case_id})" if self.case_id else ""
        return f"{where}{who}: {self.message}"


@dataclass
class Step:
    name: str
    request: dict
    expect: dict
    capture: dict[str, str]
    requires: tuple[str, ...]
    line: int
    lines: dict  # path inside the step -> line, to point failures at expectations
    poll: dict | None = None  # {until, attempts, interval}: resend until the body matches (execution/runner.py)


@dataclass
class Case:
    id: str
    title: str
    file: Path
    line: int
    area: str
    feature: str | None
    tags: tuple[str, ...]
    models: tuple[str, ...]
    requires: tuple[str, ...]
    steps: list[Step]
    skip_rules: frozenset[str]
    description: str = ""
    matrix: dict[str, Any] = field(default_factory=dict)
    single: bool = True  # written as request/expect rather than steps

    @property
    def name(self) -> str:
        if not self.matrix:
            return self.id
        return self.id + "[" + ",".join(f"{k}={_text(v)}" for k, v in self.matrix.items()) + "]"

    @property
    def streams(self) -> bool:
        """Whether a step asks for a stream (literally, or through {{matrix.stream}})."""
        for step in self.steps:
            body = step.request.get("body")
            flag = body.get("stream") if isinstance(body, dict) else None
            if flag is True or (isinstance(flag, str) and "matrix.stream" in flag and self.matrix.get("stream") is True):
                return True
        return False

    @property
    def all_requires(self) -> tuple[str, ...]:
        seen = dict.fromkeys(self.requires)
        for step in self.steps:
            seen.update(dict.fromkeys(step.requires))
        if self.streams:
            seen["responses.streaming"] = None  # the streamed variant of any case needs streaming
        return tuple(seen)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _area_of(file: Path) -> str:
    parts = file.parts
    if "cases" in parts:
        rest = parts[len(parts) - 1 - parts[::-1].index("cases") + 1:]
        if len(rest) > 1:
            return rest[0]
    return file.parent.name


def _schema_error(doc: Document, data: Any, prefix: tuple) -> CaseError | None:
    store = default_store()
    if store.is_valid(CASE_SCHEMA, data):
        return None  # jsonschema-rs accepts in microseconds; jsonschema explains only what is wrong
    problem = first_problem(store.validator(CASE_SCHEMA).iter_errors(data))
    if problem is None:
        return None
    at, message = problem
    case_id = data.get("id") if isinstance(data, dict) else None
    where = render_path(at) if at else "case"
    return CaseError(doc.file, doc.line_of(prefix + at), f"does not follow case.schema.json: {where}: {message}",
                     case_id)


def _check_capture_paths(doc: Document, step: dict, prefix: tuple, case_id: str) -> None:
    for name, path in (step.get("capture") or {}).items():
        try:
            parse_path(path)
        except PathSyntaxError as exc:
            raise CaseError(doc.file, doc.line_of(prefix + ("capture", name)), str(exc), case_id) from None
    for path, spec in ((step.get("poll") or {}).get("until") or {}).items():
        try:
            parse_path(path)
        except PathSyntaxError as exc:
            raise CaseError(doc.file, doc.line_of(prefix + ("poll", "until", path)), str(exc), case_id) from None
        for at, message in matcher_problems(spec):
            raise CaseError(doc.file, doc.line_of(prefix + ("poll", "until", path) + at), message, case_id)
    expect = step.get("expect") or {}
    schema = expect.get("schema")
    if isinstance(schema, str) and "{{" not in schema and not default_store().has(schema):
        raise CaseError(doc.file, doc.line_of(prefix + ("expect", "schema")),
                        f"expect.schema names {schema!r}, which is not a file under schemas/", case_id)
    if isinstance(schema, dict):
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise CaseError(doc.file, doc.line_of(prefix + ("expect", "schema")),
                            f"expect.schema is not a valid JSON Schema: {exc.message}", case_id) from None
    sequence = (expect.get("stream") or {}).get("sequence")
    if sequence:
        try:
            check_pattern(sequence)
        except PatternError as exc:
            raise CaseError(doc.file, doc.line_of(prefix + ("expect", "stream", "sequence")),
                            f"expect.stream.sequence: {exc}", case_id) from None
    found = expect_problems(step.get("expect") or {})
    if found:
        at, message = found[0]
        raise CaseError(doc.file, doc.line_of(prefix + ("expect",) + at), message, case_id)


def _build(doc: Document, data: dict, prefix: tuple) -> list[Case]:
    problem = _schema_error(doc, data, prefix)
    if problem:
        raise problem
    case_id = data["id"]
    single = "request" in data
    raw_steps = [{"request": data["request"], "expect": data.get("expect", {})}] if single else data["steps"]
    steps = []
    for index, raw in enumerate(raw_steps):
        step_prefix = prefix if single else prefix + ("steps", index)
        _check_capture_paths(doc, raw, step_prefix, case_id)
        name = raw.get("name") or ("main" if single else f"step{index + 1}")
        if any(s.name == name for s in steps):
            raise CaseError(doc.file, doc.line_of(step_prefix), f"two steps are named {name!r}", case_id)
        n = len(step_prefix)
        lines = {p[n:]: ln for p, ln in doc.lines.items() if p[:n] == step_prefix}
        steps.append(Step(
            name=name, request=raw["request"], expect=raw.get("expect") or {},
            capture=raw.get("capture") or {}, requires=tuple(raw.get("requires", ())),
            line=doc.line_of(step_prefix + (("request",) if single else ())), lines=lines, poll=raw.get("poll")))
    base = dict(
        id=case_id, title=data["title"], file=doc.file, line=doc.line_of(prefix),
        area=data.get("area") or _area_of(doc.file), feature=data.get("feature"),
        tags=tuple(data.get("tags", ())), models=tuple(data.get("models", ())),
        requires=tuple(data.get("requires", ())), steps=steps,
        skip_rules=frozenset(data.get("skip_rules", ())), description=data.get("description", ""),
        single=single)
    matrix = data.get("matrix") or {}
    if not matrix:
        return [Case(**base)]
    names = list(matrix)
    cases = []
    for combo in itertools.product(*(matrix[n] for n in names)):
        values = dict(zip(names, combo))
        # A requirement may name one capability per matrix value
        # (responses.reasoning.effort_{{matrix.effort}}).
        try:
            requires = tuple(render(r, {"matrix": values}) for r in base["requires"])
        except TemplateError as exc:
            raise CaseError(doc.file, doc.line_of(prefix + ("requires",)), str(exc), case_id) from None
        cases.append(Case(**{**base, "requires": requires}, matrix=values))
    return cases


def load_case_file(file: Path) -> list[Case]:
    """All cases of one file; raises CaseError for the first problem found."""
    try:
        documents = load_documents(file)
    except YamlFileError as exc:
        raise CaseError(file, exc.line, exc.message) from None
    if not documents:
        raise CaseError(file, None, "no case in this file (it is empty)")
    cases: list[Case] = []
    for doc in documents:
        if isinstance(doc.data, list):
            for index, entry in enumerate(doc.data):
                if not isinstance(entry, dict):
                    raise CaseError(file, doc.line_of((index,)), "each entry of a case list must be a mapping")
                cases.extend(_build(doc, entry, (index,)))
        elif isinstance(doc.data, dict):
            cases.extend(_build(doc, doc.data, ()))
        else:
            raise CaseError(file, doc.line, "a case document must be a mapping or a list of mappings, "
                                            f"got {type(doc.data).__name__}")
    seen: dict[str, Case] = {}
    for case in cases:
        if case.name in seen:
            raise CaseError(file, case.line, f"case id {case.id!r} is used twice in this file "
                                             f"(first at line {seen[case.name].line})", case.id)
        seen[case.name] = case
    return cases
