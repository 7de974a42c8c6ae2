"""Helpers shared by the schema tests (test_schemas, test_stream_schemas, test_chat_schemas).

A typical Response to build documents from, `mutate` to break one field of a
copy, and the check that the store's fast path judges every one-field mutation
of a document as jsonschema does.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator

from respcheck.schemastore import SchemaStore

# Responses usage, as in a typical Response.
USAGE = {
    "input_tokens": 42, "output_tokens": 18, "total_tokens": 60,
    "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
    "output_tokens_details": {"reasoning_tokens": 0},
}


def typical_response(message: dict, /, **changes) -> dict:
    """A completed Response whose one output item is (a copy of) `message`, with `changes` set on top."""
    body = {
        "id": "resp_0123", "object": "response", "created_at": 1735689600, "status": "completed",
        "model": "gpt-4o-mini", "output": [copy.deepcopy(message)], "usage": copy.deepcopy(USAGE),
        "error": None, "incomplete_details": None, "instructions": None, "metadata": {},
        "parallel_tool_calls": True, "temperature": 1.0, "top_p": 1.0, "tool_choice": "auto", "tools": [],
        "text": {"format": {"type": "text"}},
    }
    body.update(changes)
    return body


def mutate(document: dict, path: str | tuple, value=None, delete: bool = False) -> dict:
    """A deep copy with the value at a path ("output.0.content" or a tuple of keys) replaced or removed."""
    doc = copy.deepcopy(document)
    parts = path if isinstance(path, tuple) else [int(p) if p.isdigit() else p for p in path.split(".")]
    parent = doc
    for part in parts[:-1]:
        parent = parent[part]
    if delete:
        del parent[parts[-1]]
    else:
        parent[parts[-1]] = value
    return doc


def all_paths(node, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path (a tuple of keys and indexes) into a JSON document, parents before children."""
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in children:
        yield prefix + (key,)
        yield from all_paths(value, prefix + (key,))


def assert_fast_path_agrees(store: SchemaStore, documents: Iterable[tuple[str, dict]], values: list) -> int:
    """Set every path of each (schema, document) to each of `values`, and delete it; assert the store's
    fast path and plain jsonschema judge each variant alike. Returns how many variants were checked."""
    checked = 0
    for schema, document in documents:
        validator = store.validator(schema)
        for path in all_paths(document):
            for variant in [mutate(document, path, value) for value in values] + [mutate(document, path, delete=True)]:
                assert store.is_valid(schema, variant) == validator.is_valid(variant), (schema, path, variant)
                checked += 1
    return checked
