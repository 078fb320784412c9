"""Base of every request body: JSON types as JSON Schema reads them, unknown fields refused.

Pydantic's lax mode would read `false` as `0` and `"3"` as `3`; its strict mode would refuse
`3.0`, which JSON Schema calls an integer. `RequestModel` sits between: a number field takes
JSON numbers only, a boolean field JSON booleans only.
"""

import types
from datetime import datetime
from typing import Any, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    NaiveDatetime,
    ValidationInfo,
    field_validator,
)


def _accepts(annotation: Any, kinds: tuple[type, ...]) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_accepts(arg, kinds) for arg in get_args(annotation))
    return annotation in kinds


# JSON Schema's `date-time` is a string; pydantic would also take a number as a timestamp.
_DATETIMES = (datetime, AwareDatetime, NaiveDatetime)


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _json_types_only(cls, value: Any, info: ValidationInfo) -> Any:
        annotation = cls.model_fields[info.field_name or ""].annotation
        wrong_number = isinstance(value, bool) or (
            isinstance(value, str) and not _accepts(annotation, (str,))
        )
        if wrong_number and _accepts(annotation, (int, float)):
            raise ValueError("must be a JSON number")
        if not isinstance(value, bool) and annotation is bool:
            raise ValueError("must be true or false")
        if value is not None and not isinstance(value, str) and _accepts(annotation, _DATETIMES):
            raise ValueError("must be an RFC 3339 date-time string")
        return value
