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

# An alias is a reference, so a 1 KB file can name 10^9 values ("billion
# laughs"); every later stage (line map, schema validation, templating, JSON
# encoding) walks the expanded tree. Real case files hold a few hundred values.
MAX_VALUES = 100_000
MAX_DEPTH = 100


class YamlFileError(Exception):
    """A file that cannot be read as YAML; carries the line of the problem."""

    def __init__(self, file: Path, line: int | None, message: str):
        self.file, self.line, self.message = file, line, message
        where = f"{file}:{line}" if line else str(file)
        super().__init__(f"{where}: {message}")


def display_path(file: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(Path(file).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(file)


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


class _Loader(yaml.SafeLoader):
    """SafeLoader that remembers where the aliases are, to name one in an error."""

    def __init__(self, text: str):
        super().__init__(text)
        self.alias_lines: list[int] = []

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.alias_lines.append(self.peek_event().start_mark.line + 1)
        return super().compose_node(parent, index)


def _alias_lines(text: str) -> list[int]:
    """Where the aliases of a file are, for an error message only: the fast
    C composer does not say, so the pure-Python one reads the file again."""
    loader = _Loader(text)
    try:
        while loader.check_node():
            loader.get_node()
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return loader.alias_lines


# libyaml's composer (PyYAML ships it in its wheels) reads the suite's case
# files ten times faster than the pure-Python one; the nodes are the same.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


class _LineMap:
    """Walks a composed node tree (aliases expanded, as every later stage will
    see them), counting values so that an alias bomb stops early."""

    def __init__(self, file: Path, alias_lines):
        self.file, self._alias_source = file, alias_lines  # a list, or a callable giving it when needed
        self.lines: dict[Path_, int] = {}
        self.count = 0
        self.open: set[int] = set()  # ids of the nodes on the current path: a cycle is an alias to an ancestor

    @property
    def alias_lines(self) -> list[int]:
        if callable(self._alias_source):
            self._alias_source = self._alias_source()
        return self._alias_source

    def _alias_line(self, fallback: yaml.Node) -> int:
        return self.alias_lines[0] if self.alias_lines else fallback.start_mark.line + 1

    def walk(self, node: yaml.Node, path: Path_ = (), line: int | None = None) -> None:
        """`line`: where the value's key is written (a block value starts below its key)."""
        self.count += 1
        if self.count > MAX_VALUES:
            raise YamlFileError(self.file, self._alias_line(node),
                                f"YAML aliases expand this file to more than {MAX_VALUES:,} values "
                                "(an alias bomb?); write the values out or use fewer aliases")
        if len(path) > MAX_DEPTH:
            raise YamlFileError(self.file, node.start_mark.line + 1,
                                f"values nested more than {MAX_DEPTH} levels deep")
        if id(node) in self.open:
            raise YamlFileError(self.file, self._alias_line(node),
                                "a YAML alias refers to a value that contains it (a cycle)")
        self.lines.setdefault(path, line or node.start_mark.line + 1)
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            return
        self.open.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise YamlFileError(self.file, key_node.start_mark.line + 1,
                                        "a mapping key must be a plain value, not a list or mapping")
                key = key_node.value
                if key in seen:
                    raise YamlFileError(
                        self.file, key_node.start_mark.line + 1,
                        f"duplicate key {key!r} (first at line {seen[key]})")
                seen[key] = key_node.start_mark.line + 1
                self.walk(value_node, path + (key,), seen[key])
        else:
            for index, item in enumerate(node.value):
                self.walk(item, path + (index,))
        self.open.discard(id(node))


def load_documents(file: Path, text: str | None = None) -> list[Document]:
    """Every non-empty document of a YAML file, or YamlFileError naming the line."""
    if text is None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise YamlFileError(file, None, f"cannot read file: {exc}") from None
    loader = _FAST_LOADER(text) if _FAST_LOADER is not None else _Loader(text)
    alias_lines = (lambda: _alias_lines(text)) if _FAST_LOADER is not None else loader.alias_lines
    documents = []
    total = 0  # values over all documents: the bound is per file
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            walker = _LineMap(file, alias_lines)
            walker.count = total
            walker.walk(node)
            total = walker.count
            # Construction shares aliased values rather than copying them, and the
            # walk above has bounded their expanded size.
            data = loader.construct_document(node)
            if data is not None:
                documents.append(Document(file, data, walker.lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlFileError(file, line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlFileError(file, None, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlFileError(file, None, "values nested too deeply to read") from None
    finally:
        loader.dispose()
    return documents
