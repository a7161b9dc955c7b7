"""The scenario format's base vocabulary, shared by the schema and the mechanisms' parameters.

Kept apart from the schema so that each mechanism can declare its own
parameters without importing the whole format.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

LARGEST = 1e9
"""No number in a scenario may be larger than this in size (an int or a float)."""
SMALLEST = 1e-9
"""Nor, unless it is 0, smaller: sizes this far apart give neither sense nor sound arithmetic."""


@cache
def _wants_number(model: type[BaseModel], name: str) -> bool:
    """Whether a field takes a number and not `true`/`false` (so a boolean is refused there,
    not read as 1)."""
    def kinds(tp: Any) -> set[Any]:
        return {tp} | {k for arg in get_args(tp) for k in kinds(arg)}
    found = kinds(model.model_fields[name].annotation)
    return bool(found & {int, float}) and bool not in found


def number(value: float) -> str:
    """A number as messages write it: `1e9`, `2.5e-7`, `0.35`."""
    text = f"{value:.6g}"
    return text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def _size_problem(value: Any) -> str | None:
    """Why a number is out of bounds (None if it is not): every number finite and bounded."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value}"
    size = abs(value)
    if size > LARGEST:
        return f"must be at most {number(LARGEST)} in size, got {number(value)}"
    if 0 < size < SMALLEST:
        return f"must be 0 or at least {number(SMALLEST)} in size, got {number(value)}"
    return None


class Strict(BaseModel):
    """Base: unknown keys are errors, so a typo never passes silently; NaN and infinities are
    refused, as are booleans where a number belongs, and every number is bounded in size
    (`LARGEST`, `SMALLEST`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_number(cls, data: Any) -> Any:
        if isinstance(data, dict):
            problems = [f"{key}: must be a number, not {str(value).lower()}"
                        for key, value in data.items()
                        if isinstance(value, bool) and key in cls.model_fields
                        and _wants_number(cls, key)]
            if problems:
                raise ValueError("\n".join(problems))
        return data

    @model_validator(mode="after")
    def _bounded(self) -> Strict:
        problems = []
        todo: list[tuple[str, Any]] = [(name, getattr(self, name))
                                       for name in type(self).model_fields]
        while todo:
            path, item = todo.pop()
            if isinstance(item, list | tuple):
                todo.extend((f"{path}.{i}", x) for i, x in enumerate(item))
            elif isinstance(item, dict):
                todo.extend((f"{path}.{k}", x) for k, x in item.items())
            elif (problem := _size_problem(item)) is not None:
                problems.append(f"{path}: {problem}")
        if problems:
            raise ValueError("\n".join(sorted(problems)))
        return self


Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
