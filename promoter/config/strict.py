"""The base of the strategy's models (strict and frozen: what is written is what is meant), and refusals
placed inside a model, each at its own field."""

from __future__ import annotations

import pydantic
from pydantic_core import InitErrorDetails, ValidationError

from promoter.config import fields


class Model(pydantic.BaseModel):
    # defer_build: a model is built when first used, not at import (most are only ever parts of another)
    model_config = pydantic.ConfigDict(
        frozen=True, extra="forbid", strict=True, populate_by_name=True, defer_build=True
    )


def not_null(value: object, expected: str, hint: str = "") -> object:
    """For models whose keys are alternatives (None: not given): a key written with no value is named as such,
    instead of counting as absent and failing the "exactly one of" check with a message that misleads."""
    if value is None:
        raise fields.refuse("null", f"expected {expected}, found nothing (null){hint}")
    return value


def refuse_at(model: type[pydantic.BaseModel], errors: list[tuple[tuple[int | str, ...], str, str]]) -> None:
    """Raise the refusals, each at its own place inside the model (``loc`` relative to it)."""
    if errors:
        details = [
            InitErrorDetails(type=fields.refuse(kind, reason), loc=loc, input=None) for loc, kind, reason in errors
        ]
        raise ValidationError.from_exception_data(model.__name__, details)
