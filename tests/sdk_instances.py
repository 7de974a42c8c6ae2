"""Instances of the openai SDK's pydantic models, built from their own field types.

`minimal(cls)` fills only the required fields, `full(cls)` every field (taking
the first non-null alternative of a union), so a test can validate what the
SDK itself would serialise for any event or item type without hand-writing
one example per type. Values are the plainest of their type ("x_1", 1, [one
element]); Response bodies get a real `resp_` id because the Response schema
asks for one.
"""

from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pydantic
import typing_extensions

_DEPTH = 6  # deep enough for every item in the SDK, shallow enough to stop on recursive filters


def literal_type(cls: type) -> str | None:
    """The single value of a model's `type: Literal[...]` field, if it has one."""
    field = cls.model_fields.get("type")
    if field is None or get_origin(field.annotation) is not Literal:
        return None
    values = get_args(field.annotation)
    return values[0] if len(values) == 1 else None


def union_members(alias: Any) -> list[type]:
    """The classes of an SDK union alias (Annotated[Union[...], PropertyInfo] or a bare Union)."""
    if get_origin(alias) is Annotated:
        alias = get_args(alias)[0]
    return [m for m in get_args(alias) if inspect.isclass(m)]


def members_by_type(alias: Any) -> dict[str, type]:
    return {literal_type(cls): cls for cls in union_members(alias) if literal_type(cls)}


def minimal(cls: type[pydantic.BaseModel]) -> dict:
    return _model(cls, every_field=False, depth=0)


def full(cls: type[pydantic.BaseModel]) -> dict:
    return _model(cls, every_field=True, depth=0)


def _model(cls, every_field: bool, depth: int) -> dict:
    body = {}
    for name, field in cls.model_fields.items():
        if not (field.is_required() or every_field):
            continue
        body[field.alias or name] = _value(field.annotation, every_field, depth + 1)
    if cls.__name__ == "Response":
        body["id"] = "resp_1"
        body["status"] = "completed" if every_field else "in_progress"
    return body


def _value(annotation: Any, every_field: bool, depth: int) -> Any:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _value(get_args(annotation)[0], every_field, depth)
    if origin is Literal:
        return get_args(annotation)[0]
    if origin in (Union, types.UnionType):
        choices = [a for a in get_args(annotation) if a is not type(None)]
        return _value(choices[0], every_field, depth) if choices else None
    if origin in (list, typing.List, collections.abc.Iterable, collections.abc.Sequence):
        if depth > _DEPTH:
            return []
        return [_value(get_args(annotation)[0], every_field, depth)]
    if origin is dict:
        return {}
    if typing_extensions.is_typeddict(annotation):  # a request parameter: every key, as a client may send
        hints = typing.get_type_hints(annotation)
        return {} if depth > _DEPTH else {k: _value(v, every_field, depth + 1) for k, v in hints.items()}
    if inspect.isclass(annotation) and issubclass(annotation, pydantic.BaseModel):
        return _model(annotation, every_field and depth <= _DEPTH, depth)
    return {str: "x_1", int: 1, float: 0.5, bool: False}.get(annotation, {})


def param_value(typed_dict: type, key: str) -> Any:
    """A value of one key of a request TypedDict, as the SDK types it."""
    return _value(typing.get_type_hints(typed_dict)[key], True, 1)


def wire(cls: type[pydantic.BaseModel], data: dict, exclude_none: bool) -> dict:
    """What a gateway built on the SDK sends: validated by the SDK, dumped as JSON under the wire names."""
    return cls.model_validate(data).model_dump(mode="json", by_alias=True, exclude_none=exclude_none)
