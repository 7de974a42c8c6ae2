"""YAML loading that remembers where every value came from.

Case and profile files are written by people; when one is wrong the message
must point at the line, so each document is loaded together with a map from
JSON-ish paths (tuples of keys and indexes) to 1-based line numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple  # a path into a document: ("request", "body", "input", 0)


class YamlFileError(Exception):
    """A file that cannot be read as YAML; carries the line of the problem."""

    def __init__(self, file: Path, line: int | None, message: str):
        self.file, self.line, self.message = file, line, message
        where = f"{file}:{line}" if line else str(file)
        super().__init__(f"{where}: {message}")


@dataclass
class Document:
    """One YAML document: its data and where each part of it starts."""

    file: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    @property
    def line(self) -> int:
        return self.lines.get((), 1)

    def line_of(self, path: Path_) -> int:
        """Line of the deepest known prefix of `path` (for errors inside values)."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, self.line)

    def sub(self, prefix: Path_) -> "Document":
        """The part of this document under `prefix`, with line numbers kept."""
        n = len(prefix)
        data = self.data
        for key in prefix:
            data = data[key]
        lines = {p[n:]: ln for p, ln in self.lines.items() if p[:n] == tuple(prefix)}
        return Document(self.file, data, lines)


def _map_lines(node: yaml.Node, path: Path_, lines: dict, file: Path) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise YamlFileError(
                    file, key_node.start_mark.line + 1,
                    f"duplicate key {key!r} (first at line {seen[key]})")
            seen[key] = key_node.start_mark.line + 1
            _map_lines(value_node, path + (key,), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _map_lines(item, path + (index,), lines, file)


def load_documents(file: Path, text: str | None = None) -> list[Document]:
    """Every non-empty document of a YAML file, or YamlFileError naming the line."""
    if text is None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise YamlFileError(file, None, f"cannot read file: {exc}") from None
    loader = yaml.SafeLoader(text)
    documents = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            lines: dict[Path_, int] = {}
            _map_lines(node, (), lines, file)
            data = loader.construct_document(node)
            if data is not None:
                documents.append(Document(file, data, lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlFileError(file, line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlFileError(file, None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return documents
