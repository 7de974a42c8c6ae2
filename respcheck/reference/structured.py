"""`text.format`: validating it and writing the output text it asks for.

json_schema: a document built from the schema, string and integer values looked
up in the user's message as "<property>: <value>" or "<property> is <value>".
json_object: `{"answer": "<the normal answer>"}`. json_schema documents are compact.
"""

from __future__ import annotations

import json
import re

from .engine import Message
from .errors import invalid

DEFAULT_STRING = "example"
MAX_DEPTH = 8
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_JSON_WORD = re.compile(r"json", re.IGNORECASE)


def text_format(body: dict) -> dict | None:
    text = body.get("text") or {}
    fmt = text.get("format")
    return fmt if isinstance(fmt, dict) else None


def validate(body: dict, instructions: str | None, messages: list[Message]) -> None:
    text = body.get("text") or {}
    fmt = text.get("format")
    if fmt is None:
        return
    if not isinstance(fmt, dict):
        raise invalid("invalid_parameter_value", "'text.format' must be an object.", "text.format")
    kind = fmt.get("type")
    if kind == "text":
        return
    if kind == "json_object":
        said = [instructions or ""] + [content for _, content in messages]
        if not any(_JSON_WORD.search(content) for content in said):
            raise invalid("invalid_parameter_value", "To use text.format of type 'json_object', the word 'JSON' "
                          "must appear in the instructions or the input.", "text.format")
        return
    if kind != "json_schema":
        raise invalid("invalid_parameter_value", f"text.format.type {kind!r} is not one of text, json_object, "
                      "json_schema.", "text.format")
    if "json_schema" in fmt:
        raise invalid("invalid_parameter_value", "text.format is nested Chat Completions style "
                      "({\"json_schema\": {...}}); the Responses API takes name and schema flat.", "text.format")
    if "name" not in fmt:
        raise invalid("missing_required_parameter", "Missing required parameter: 'text.format.name'.",
                      "text.format.name")
    if not isinstance(fmt["name"], str) or not _NAME.fullmatch(fmt["name"]):
        raise invalid("invalid_parameter_value", "text.format.name must match [A-Za-z0-9_-]{1,64}.",
                      "text.format.name")
    if "schema" not in fmt:
        raise invalid("missing_required_parameter", "Missing required parameter: 'text.format.schema'.",
                      "text.format.schema")
    if not isinstance(fmt["schema"], dict):
        raise invalid("invalid_parameter_value", "text.format.schema must be a JSON Schema object.",
                      "text.format.schema")
    if fmt.get("strict") is not None and not isinstance(fmt["strict"], bool):
        raise invalid("invalid_parameter_value", "text.format.strict must be a boolean.", "text.format.strict")


def render(fmt: dict | None, question: str, normal_answer: str, faults: frozenset[str]) -> str | None:
    """The output text for the format, or None when the normal answer stands."""
    kind = (fmt or {}).get("type")
    if kind == "json_object" and "json_object_ignored" not in faults:
        return json.dumps({"answer": normal_answer}, ensure_ascii=False)
    if kind == "json_schema" and "structured_output_ignored" not in faults:
        schema = fmt["schema"]
        document = _Builder(schema, question).value(schema, None, 0)
        if "structured_schema_violated" in faults and isinstance(document, dict):
            required = [name for name in schema.get("required") or [] if name in document]
            if required:
                del document[required[0]]
        return _dump(document)
    return None


def _dump(document) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


class _Builder:
    def __init__(self, root: dict, question: str):
        self.root = root
        self.question = question

    def resolve(self, schema: dict, depth: int) -> dict:
        """Follow local `$ref`s (#/$defs/..., #/definitions/...)."""
        while isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/") and depth < MAX_DEPTH:
            target = self.root
            for key in schema["$ref"][2:].split("/"):
                target = target.get(key.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
            schema = target if isinstance(target, dict) else {}
            depth += 1
        return schema

    def value(self, schema, name: str | None, depth: int):
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return DEFAULT_STRING
        schema = self.resolve(schema, depth)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf", "allOf"):
            options = [o for o in schema.get(key) or [] if isinstance(o, dict) and o.get("type") != "null"]
            if options:
                return self.value(options[0], name, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or (kind is None and isinstance(schema.get("properties"), dict)):
            properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
            return {prop: self.value(sub, prop, depth + 1) for prop, sub in properties.items()}
        if kind == "array":
            return [self.value(schema.get("items") or {}, name, depth + 1)]
        if kind == "integer":
            found = self.found(name, r"-?\d+")
            return int(found) if found is not None else 1
        if kind == "number":
            return 1.5
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        found = self.found(name, r"[^.,;:!?\n]*[^.,;:!?\n\s]")
        return found if found is not None else DEFAULT_STRING

    def found(self, name: str | None, value: str) -> str | None:
        """`<name>: <value>` or `<name> is <value>` in the user's message (case-insensitive)."""
        if not name:
            return None
        words = r"[ _]".join(re.escape(word) for word in re.split(r"[ _]+", name) if word)
        if not words:
            return None
        match = re.search(rf"(?<!\w){words}\s*(?::|\s+is\b)\s*({value})", self.question, re.IGNORECASE)
        return match.group(1).strip() if match else None
