"""Validation errors rewritten for the person who edits the file (pydantic's wording names Python types).

An unknown key is answered with the keys that are allowed there, and the nearest one when it looks like a
typo. A wrong type is named, the value is not quoted: it might be a secret written where a reference
belongs (only the value types' own checks, such as durations, quote what they refuse).
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from collections.abc import Sequence

import pydantic
from pydantic_core import ErrorDetails

_EXPECTED = {
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dict_type": "a mapping",
    "list_type": "a list",
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "bool_type": "a boolean",
}

_YAML_TYPES: dict[type, str] = {  # bool before int: True is an int to Python
    dict: "a mapping",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    dt.date: "a date",
}


def message(error: ErrorDetails, root: type[pydantic.BaseModel]) -> str:
    """The message for one error of validating a file against ``root``."""
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing":
        return "missing (required)"
    if kind == "extra_forbidden":
        return _unknown_key(root, error["loc"])
    if kind == "invalid_key":
        return "a key must be a string here (quote it)"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, found {_yaml_type(error['input'])}"
    if kind == "too_short" and context.get("min_length") == 1:
        return "must not be empty"
    if kind == "greater_than_equal":
        return f"must be at least {context.get('ge')}"
    text = error["msg"]
    if text.startswith("Input should be "):
        return "expected " + text.removeprefix("Input should be ")
    return text


def _yaml_type(value: object) -> str:
    if value is None:
        return "nothing (null)"
    for kind, name in _YAML_TYPES.items():
        if isinstance(value, kind):
            return name
    return "a tagged value"  # ruamel keeps `!tag value` as an object of its own


def _unknown_key(root: type[pydantic.BaseModel], loc: Sequence[int | str]) -> str:
    known = _keys_at(root, loc[:-1])
    if not known:
        return "unknown key"
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"unknown key ({hint}expected one of: {', '.join(known)})"


def _keys_at(root: type[pydantic.BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The keys the model found at ``loc`` accepts (empty when ``loc`` leads elsewhere)."""
    current: object = root
    for step in loc:
        if isinstance(step, int):
            current = _item_type(current)
            continue
        found = _model(current)
        if found is None:
            return []
        fields = {(f.alias or name): f for name, f in found.model_fields.items()}
        if step in fields:
            current = fields[step].annotation
        # otherwise a union member's tag: stay where we are
    model = _model(current)
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _members(annotation: object) -> tuple[object, ...]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return tuple(m for arg in typing.get_args(annotation) for m in _members(arg))
    return (annotation,)


def _model(annotation: object) -> type[pydantic.BaseModel] | None:
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, pydantic.BaseModel):
            return member
    return None


def _item_type(annotation: object) -> object:
    for member in _members(annotation):
        if typing.get_origin(member) is list:
            return typing.get_args(member)[0]
    return None
