"""Target profiles: what a gateway supports, rejects or lacks.

A profile is a YAML file validated by schemas/profile.schema.json. Named
profiles live in suites/profiles/NAME.yaml; `--profile` also takes a path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .expect_check import expect_problems
from .layers import overlay
from .schema_hints import did_you_mean, first_problem, render_path
from ..schemastore import default_store
from .yamlfile import Document, YamlFileError, load_documents, display_path

PROFILE_DIR = Path(__file__).resolve().parents[2] / "suites" / "profiles"

DEFAULT_SETTINGS = {
    "request_id_header": None,
    "response_id_prefix": None,
    "done_sentinel": "optional",
    "error_event_shape": "either",
    "event_line": "optional",
    "unknown_events": "allow",
    "event_names": "openai",  # openai | open-responses | either: which names of renamed stream events
    "endpoint_naming": "tokens",
    "routing_metadata_source": "body",
    "routing_headers": {},
    "chat_usage_chunk": "on_request",
    "echoed_fields": None,  # None: compare the echoes a Response carries; a list: these must be echoed
    "listing_endpoints": "optional",
}


class ProfileError(Exception):
    def __init__(self, message: str, file: Path | None = None, line: int | None = None):
        self.file, self.line, self.message = file, line, message
        shown = display_path(file) if file else None
        where = f"{shown}:{line}: " if file and line else (f"{shown}: " if file else "")
        super().__init__(f"{where}{message}")


@dataclass(frozen=True)
class Decision:
    """What the profile says about running a case (or a step)."""

    kind: str  # "run" | "skip" | "reject"
    reason: str = ""
    rejection: dict | None = None  # status/type/code/param the target answers instead
    capability: str | None = None


Source = tuple  # (file, line) a value of the resolved profile came from


@dataclass
class Profile:
    name: str
    file: Path | None
    models: dict[str, str]
    capabilities: dict[str, Any]
    settings: dict[str, Any]
    error_codes: dict[str, Any] = field(default_factory=dict)
    error_types: dict[str, str] = field(default_factory=dict)
    base_url: str | None = None
    api_key_env: str | None = None
    request_timeout: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cases: dict[str, dict] = field(default_factory=dict)
    description: str = ""
    assets: dict[str, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # endpoint -> path under the base URL (model/paths.py)
    accept_error_types: tuple[str, ...] = ()
    known_deviations: dict[str, dict] = field(default_factory=dict)  # rule -> {reason, ticket?, cases?}
    embedded: dict = field(default_factory=dict)  # how the embedded gateway runs for this profile: {stateful: bool}
    data: dict = field(default_factory=dict, repr=False)  # the resolved profile as one mapping (`profile show`)
    # Path into the resolved profile -> (file, line): with `extends:` each
    # value keeps the file it was written in.
    sources: dict[tuple, Source] = field(default_factory=dict, repr=False)

    def source_of(self, path: tuple) -> Source | None:
        """(file, line) of the deepest known prefix of `path`, e.g.
        ("cases", "auth.missing_key", "expect", "error", "type")."""
        path = tuple(path)
        while path:
            if path in self.sources:
                return self.sources[path]
            path = path[:-1]
        return self.sources.get(())

    def error_at(self, path: tuple, message: str) -> ProfileError:
        """An error about a value of this profile, at the file and line that wrote it."""
        source = self.source_of(path)
        return ProfileError(message, *(source or (self.file, None)))

    def line_of(self, path: tuple) -> int | None:
        source = self.source_of(path)
        return source[1] if source else None

    def where(self, path: tuple) -> str:
        """'suites/profiles/x.yaml:42' for a value of this profile (or its file, or its name)."""
        source = self.source_of(path)
        if source is None:
            return display_path(self.file) if self.file else f"profile {self.name}"
        return f"{display_path(source[0])}:{source[1]}"

    def step_override(self, case_id: str, step: str | None = None) -> tuple[dict, dict[tuple, Source]]:
        """What the profile writes over the expectations of one request of a
        case (`cases.<id>.expect`, or `cases.<id>.steps.<step>.expect` for a
        step of a multi-step case) and where each value of it was written,
        keyed inside that expect (("error", "type") -> (file, line))."""
        entry = self.cases.get(case_id) or {}
        if step is None:
            override, prefix = entry.get("expect"), ("cases", case_id, "expect")
        else:
            override = ((entry.get("steps") or {}).get(step) or {}).get("expect")
            prefix = ("cases", case_id, "steps", step, "expect")
        n = len(prefix)
        return override or {}, {path[n:]: source for path, source in self.sources.items() if path[:n] == prefix}

    def override_sources(self, case_id: str) -> dict[tuple, Source]:
        """`step_override`'s sources for a single-request case, keyed like a
        step's line map (("expect", "error", "type") -> (file, line))."""
        return {("expect",) + path: source for path, source in self.step_override(case_id)[1].items()}

    def decide(self, requires: tuple[str, ...]) -> Decision:
        """Skip on an absent or undeclared capability; expect the profile's
        error on a rejected one; otherwise run as written."""
        rejection = None
        for cap in requires:
            state = self.capabilities.get(cap)
            if state is None:
                return Decision("skip", f"profile {self.name!r} does not declare capability {cap!r}", capability=cap)
            if state == "absent":
                return Decision("skip", f"profile {self.name!r} lacks capability {cap!r}", capability=cap)
            if isinstance(state, dict) and "absent" in state:
                return Decision("skip", f"profile {self.name!r} lacks capability {cap!r}: {state['absent']}",
                                capability=cap)
            if isinstance(state, dict) and "rejected" in state and rejection is None:
                rejection = Decision("reject", f"profile {self.name!r} rejects {cap!r}",
                                     rejection=state["rejected"], capability=cap)
        return rejection or Decision("run")

    def model_for(self, role: str) -> str | None:
        return self.models.get(role)


def _read_layer(file: Path) -> Document:
    """One profile file as written: a single mapping. Its schema is checked
    on the resolved profile (a child that extends a parent may lack
    `models`, or write `null` to remove an inherited key)."""
    try:
        documents = load_documents(file)
    except YamlFileError as exc:
        raise ProfileError(exc.message, file, exc.line) from None
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        raise ProfileError("a profile file holds exactly one YAML mapping", file)
    doc = documents[0]
    parents = doc.data.get("extends")
    if parents is not None and not (isinstance(parents, str) and parents) and not (
            isinstance(parents, list) and parents and all(isinstance(p, str) and p for p in parents)):
        raise ProfileError("extends: give a profile name or path, or a list of them", file, doc.line_of(("extends",)))
    if parents is not None and not isinstance(doc.data.get("name"), str):
        raise ProfileError("a profile that extends another names itself (name: ...)", file, doc.line)
    return doc


def _parent_refs(doc: Document) -> list[tuple[str, int]]:
    parents = doc.data.get("extends")
    if parents is None:
        return []
    if isinstance(parents, str):
        return [(parents, doc.line_of(("extends",)))]
    return [(ref, doc.line_of(("extends", index))) for index, ref in enumerate(parents)]


def _is_path(ref: str) -> bool:
    candidate = Path(ref)
    return candidate.suffix in (".yaml", ".yml") or candidate.parent != Path(".")


def _parent_file(ref: str, child: Path, line: int) -> Path:
    """A parent by name (suites/profiles/NAME.yaml) or by path relative to the extending file."""
    if _is_path(ref):
        file = (child.parent / ref) if not Path(ref).is_absolute() else Path(ref)
        if not file.is_file():
            raise ProfileError(f"extends: profile file {ref!r} does not exist (looked for {display_path(file)})",
                               child, line)
        return file
    file = PROFILE_DIR / f"{ref}.yaml"
    if not file.is_file():
        known = available_profiles()
        hint = did_you_mean(ref, known) or f" (known profiles: {', '.join(known) or 'none'})"
        raise ProfileError(f"extends: no profile named {ref!r}{hint}", child, line)
    return file


def _lookup(sources: dict[tuple, Source], path: tuple) -> Source:
    while path not in sources and path:
        path = path[:-1]
    return sources[path]


def _resolve(file: Path, chain: tuple[Path, ...] = ()) -> tuple[dict, dict[tuple, Source]]:
    """The profile's data with its parents merged under it (earlier parents
    first, later ones over them, the file itself over all), and the
    (file, line) each value of it came from."""
    doc = _read_layer(file)
    chain = chain + (file.resolve(),)
    data: dict = {}
    sources: dict[tuple, Source] = {}
    for ref, line in _parent_refs(doc):
        parent = _parent_file(ref, file, line)
        if parent.resolve() in chain:
            loop = " -> ".join(display_path(p) for p in chain[chain.index(parent.resolve()):] + (parent.resolve(),))
            raise ProfileError(f"extends: {ref!r} makes a cycle ({loop})", file, line)
        parent_data, parent_sources = _resolve(parent, chain)
        data = overlay(data, parent_data, sources, lambda p, s=parent_sources: _lookup(s, p))
    own = {k: v for k, v in doc.data.items() if k != "extends"}
    data = overlay(data, own, sources, lambda p: (doc.file, doc.line_of(p)))
    sources[()] = (doc.file, doc.line)
    return data, sources


def _without_removals(data: dict) -> dict:
    """The profile as the schema sees it: a `null` in a case override removes
    the case's key (see layers.py), so it is no value to validate."""
    def strip(value):
        if not isinstance(value, dict):
            return value
        kept = {k: strip(v) for k, v in value.items() if v is not None}
        # a mapping that only removes keys ({param: null}) has nothing left to validate
        return {k: v for k, v in kept.items() if not (v == {} and value[k] != {})}

    cases = {}
    for case_id, override in (data.get("cases") or {}).items():
        if not isinstance(override, dict):
            cases[case_id] = override
            continue
        override = dict(override)
        if isinstance(override.get("expect"), dict):
            override["expect"] = strip(override["expect"])
        if isinstance(override.get("steps"), dict):
            override["steps"] = {name: ({**entry, "expect": strip(entry["expect"])}
                                        if isinstance(entry, dict) and isinstance(entry.get("expect"), dict) else entry)
                                 for name, entry in override["steps"].items()}
        cases[case_id] = override
    return {**data, "cases": cases} if "cases" in data else data


def _validate(data: dict, sources: dict[tuple, Source], file: Path) -> None:
    data = _without_removals(data)
    problem = first_problem(default_store().validator("profile.schema.json").iter_errors(data))
    if problem is not None:
        path, message = problem
        at = _lookup(sources, tuple(path))
        raise ProfileError(f"does not follow profile.schema.json: {render_path(path)}: {message}", *at)
    for case_id, override in (data.get("cases") or {}).items():
        blocks = [(("cases", case_id, "expect"), override.get("expect"))]
        blocks += [(("cases", case_id, "steps", step, "expect"), (entry or {}).get("expect"))
                   for step, entry in (override.get("steps") or {}).items()]
        for prefix, expect in blocks:
            found = expect_problems(expect)
            if found:
                at, message = found[0]
                raise ProfileError(f"{'.'.join(map(str, prefix[:-1]))}: {message}", *_lookup(sources, prefix + at))


def _from_document(file: Path) -> Profile:
    data, sources = _resolve(file)
    _validate(data, sources, file)
    return Profile(
        name=data["name"], file=file, models=dict(data["models"]), capabilities=dict(data["capabilities"]),
        settings={**DEFAULT_SETTINGS, **data.get("settings", {})},
        error_codes=dict(data.get("error_codes", {})), error_types=dict(data.get("error_types", {})),
        base_url=data.get("base_url"), api_key_env=data.get("api_key_env"),
        request_timeout=data.get("request_timeout"), headers=dict(data.get("headers", {})),
        cases=dict(data.get("cases", {})), description=data.get("description", ""),
        assets=dict(data.get("assets", {})), paths=dict(data.get("paths") or {}), accept_error_types=tuple(data.get("accept_error_types", ())),
        known_deviations=dict(data.get("known_deviations", {})), embedded=dict(data.get("embedded") or {}),
        data=data, sources=sources)


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name_or_path: str) -> Profile:
    """A profile by name (suites/profiles/NAME.yaml) or by file path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.parent != Path("."):
        if not candidate.is_file():
            raise ProfileError(f"profile file {name_or_path!r} does not exist")
        return _from_document(candidate)
    file = PROFILE_DIR / f"{name_or_path}.yaml"
    if not file.is_file():
        known = ", ".join(available_profiles()) or "none"
        raise ProfileError(f"unknown profile {name_or_path!r}; known profiles: {known} (or give a path to a .yaml file)")
    return _from_document(file)
