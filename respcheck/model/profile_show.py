"""`respcheck profile show`: the resolved profile as YAML, each value with the
file:line it came from as a trailing comment, so that a profile built from
parents (`extends:`) can be read as the run will see it."""

from __future__ import annotations

import json
from typing import Any

import yaml

from .profile import Profile
from .yamlfile import display_path


def _scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9).strip()
    return text.removesuffix("...").strip()


def _flow(value: Any) -> str:
    """A list (or an empty mapping) on one line: JSON is YAML."""
    return json.dumps(value, ensure_ascii=False)


def render(profile: Profile) -> str:
    lines = [f"# profile {profile.name}, resolved from {display_path(profile.file) if profile.file else profile.name}",
             "# (each value: the file:line it came from)"]
    _mapping(profile, profile.data, (), 0, lines)
    return "\n".join(lines) + "\n"


def _mapping(profile: Profile, data: dict, prefix: tuple, depth: int, lines: list[str]) -> None:
    indent = "  " * depth
    for key, value in data.items():
        path = prefix + (key,)
        where = f"  # {profile.where(path)}"
        if isinstance(value, dict) and value:
            lines.append(f"{indent}{_scalar(key)}:{where}")
            _mapping(profile, value, path, depth + 1, lines)
        elif isinstance(value, (dict, list)):
            lines.append(f"{indent}{_scalar(key)}: {_flow(value)}{where}")
        else:
            lines.append(f"{indent}{_scalar(key)}: {_scalar(value)}{where}")
