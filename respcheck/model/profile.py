"""Target profiles: what a gateway supports, rejects or lacks.

A profile is a YAML file validated by schemas/profile.schema.json. Named
profiles live in suites/profiles/NAME.yaml; `--profile` also takes a path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .expect_check import expect_problems
from .schema_hints import first_problem, render_path
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
    accept_error_types: tuple[str, ...] = ()
    # Path into the resolved profile -> (file, line). One file today; with
    # `extends:` each value keeps the file it came from, so this stays the API.
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

    def line_of(self, path: tuple) -> int | None:
        source = self.source_of(path)
        return source[1] if source else None

    def where(self, path: tuple) -> str:
        """'suites/profiles/x.yaml:42' for a value of this profile (or its file, or its name)."""
        source = self.source_of(path)
        if source is None:
            return display_path(self.file) if self.file else f"profile {self.name}"
        return f"{display_path(source[0])}:{source[1]}"

    def override_sources(self, case_id: str) -> dict[tuple, Source]:
        """Where each value of `cases.<case_id>.expect` was written, keyed like
        a step's line map (("expect", "error", "type") -> (file, line)), so a
        failure from an overridden expectation can cite the profile."""
        prefix = ("cases", case_id)
        return {path[len(prefix):]: source for path, source in self.sources.items()
                if path[:len(prefix)] == prefix and path[len(prefix):][:1] == ("expect",)}

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
    """One profile file, read and validated on its own (a future `extends:`
    parent is a layer too, validated before it is merged)."""
    try:
        documents = load_documents(file)
    except YamlFileError as exc:
        raise ProfileError(exc.message, file, exc.line) from None
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        raise ProfileError("a profile file holds exactly one YAML mapping", file)
    doc = documents[0]
    problem = first_problem(default_store().validator("profile.schema.json").iter_errors(doc.data))
    if problem is not None:
        path, message = problem
        raise ProfileError(f"does not follow profile.schema.json: {render_path(path)}: {message}",
                           file, doc.line_of(path))
    for case_id, override in (doc.data.get("cases") or {}).items():
        found = expect_problems(override.get("expect"))
        if found:
            at, message = found[0]
            raise ProfileError(f"cases.{case_id}: {message}", file, doc.line_of(("cases", case_id, "expect") + at))
    return doc


def _resolve(layers: list[Document]) -> tuple[dict, dict[tuple, Source]]:
    """The profile's data and where each value came from. One layer today;
    `extends:` will merge parents first, children over them, here."""
    (doc,) = layers
    return doc.data, {path: (doc.file, line) for path, line in doc.lines.items()}


def _from_document(file: Path) -> Profile:
    data, sources = _resolve([_read_layer(file)])
    return Profile(
        name=data["name"], file=file, models=dict(data["models"]), capabilities=dict(data["capabilities"]),
        settings={**DEFAULT_SETTINGS, **data.get("settings", {})},
        error_codes=dict(data.get("error_codes", {})), error_types=dict(data.get("error_types", {})),
        base_url=data.get("base_url"), api_key_env=data.get("api_key_env"),
        request_timeout=data.get("request_timeout"), headers=dict(data.get("headers", {})),
        cases=dict(data.get("cases", {})), description=data.get("description", ""),
        assets=dict(data.get("assets", {})), accept_error_types=tuple(data.get("accept_error_types", ())),
        sources=sources)


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
