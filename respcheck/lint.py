"""`respcheck lint [PATHS]`: load every case file and profile under PATHS the
way a run would, print one line per problem (file:line: message), exit 1 on
any — for CI, where `pytest --collect-only` would not fail on a broken file."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from .model.case import CaseError, load_case_file
from .model.catalogue import BUILTIN_CASES, build, is_case_file, yaml_files
from .model.profile import ProfileError, load_profile
from .model.profile_check import check_profile
from .model.yamlfile import display_path

DEFAULT_PATHS = ("cases", "suites/profiles")


def _yaml_files(paths: Iterable[Path]) -> list[Path]:
    found: dict[Path, None] = {}
    for path in paths:
        for file in yaml_files(path):
            found.setdefault(file.resolve())
    return list(found)


def _case_problems(files: list[Path]) -> list[str]:
    problems, seen = [], {}
    for file in files:
        try:
            cases = load_case_file(file)
        except CaseError as exc:
            problems.append(exc.render())
            continue
        for case in cases:
            where = f"{display_path(file)}:{case.line}"
            if case.name in seen and seen[case.name] != where:
                problems.append(f"{where} (case {case.id}): case id {case.id!r} is already used at {seen[case.name]}")
            seen.setdefault(case.name, where)
    return problems


def _profile_problems(files: list[Path], case_roots: list[Path]) -> list[str]:
    catalogue = build(case_roots)
    problems = []
    for file in files:
        try:
            profile = load_profile(str(file))
        except ProfileError as exc:
            problems.append(str(exc))
            continue
        problems += [str(p) for p in check_profile(profile, catalogue)]
    return problems


def lint(paths: list[str], out: Callable[[str], None] = print, err: Callable[[str], None] = print) -> int:
    """0: every file is sound; 1: problems (printed); 2: a path does not exist."""
    if not paths:
        paths = [p for p in DEFAULT_PATHS if Path(p).exists()] or [str(BUILTIN_CASES),
                                                                   str(BUILTIN_CASES.parent / "suites/profiles")]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        err(f"respcheck lint: no such file or directory: {', '.join(missing)}")
        return 2
    files = _yaml_files(Path(p) for p in paths)
    case_files = [f for f in files if is_case_file(f)]
    profiles = [f for f in files if not is_case_file(f)]
    # Profiles are held against the suite's own cases and those linted here.
    problems = _case_problems(case_files) + _profile_problems(profiles, [BUILTIN_CASES, *case_files])
    for line in problems:
        out(line)
    summary = (f"{len(case_files)} case file(s), {len(profiles)} profile(s)")
    if problems:
        err(f"respcheck lint: {len(problems)} problem(s) in {summary}")
        return 1
    err(f"respcheck lint: {summary}, no problems")
    return 0
