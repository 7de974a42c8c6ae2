"""What the case files offer a profile: every capability some case requires
(matrix-rendered) and every case id, so that a profile naming something no
case uses is an error with a suggestion instead of silently skipped cases."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .case import Case, CaseError, load_case_file

BUILTIN_CASES = Path(__file__).resolve().parents[2] / "cases"
_CACHE: dict[tuple, list[Case]] = {}  # (path, mtime, size) -> cases: one load per file per process


@dataclass(frozen=True)
class Catalogue:
    capabilities: frozenset[str]
    case_ids: frozenset[str]
    files: int
    roles: frozenset[str] = frozenset()  # model roles the cases name ("text" when a case names none)
    names: frozenset[str] = frozenset()  # case names: the id, with its matrix values ("id[stream=true]")
    # case id -> its step names, or None for a single-request case (overrides reach steps by name)
    steps: dict[str, tuple[str, ...] | None] = field(default_factory=dict, compare=False, hash=False)


def is_case_file(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml") and "cases" in path.parts[:-1]


def _skip_dir(directory: Path) -> bool:
    # `pytest .` from a project root must not walk a virtualenv or .git.
    return directory.name.startswith(".") or directory.name in ("__pycache__", "node_modules", "site-packages") \
        or (directory / "pyvenv.cfg").exists()


def yaml_files(root: Path) -> list[Path]:
    """YAML files at or below `root`, sorted, without descending into hidden folders or virtualenvs."""
    if root.is_file():
        return [root]
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not _skip_dir(Path(folder) / d))
        found += [Path(folder) / f for f in files if f.endswith((".yaml", ".yml"))]
    return sorted(found)


def case_files(roots: Iterable[Path]) -> list[Path]:
    """Case files (YAML under a `cases` folder) at or below each root, once each."""
    found: dict[Path, None] = {}
    for root in roots:
        for path in yaml_files(Path(root)):
            resolved = path.resolve()
            if is_case_file(resolved):
                found.setdefault(resolved)
    return list(found)


def cases_of(file: Path) -> list[Case]:
    """The file's cases (cached by modification time); a broken file has none
    here — it is reported where it is collected or linted."""
    try:
        stat = file.stat()
    except OSError:
        return []
    key = (str(file), stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        try:
            _CACHE[key] = load_case_file(file)
        except CaseError:
            _CACHE[key] = []
    return _CACHE[key]


def build(roots: Iterable[Path]) -> Catalogue:
    capabilities: set[str] = set()
    ids: set[str] = set()
    roles: set[str] = set()
    names: set[str] = set()
    steps: dict[str, tuple[str, ...] | None] = {}
    files = case_files(roots)
    for file in files:
        for case in cases_of(file):
            ids.add(case.id)
            names.add(case.name)
            capabilities.update(case.all_requires)
            roles.update(case.models or ("text",))
            steps[case.id] = None if case.single else tuple(step.name for step in case.steps)
    return Catalogue(frozenset(capabilities), frozenset(ids), len(files), frozenset(roles), frozenset(names), steps)
