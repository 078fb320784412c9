"""Request bodies take JSON types as JSON Schema defines them."""

import pytest
from pydantic import Field, ValidationError

from server.schemas.auth import ApiKeyCreate
from server.schemas.base import RequestModel


class Body(RequestModel):
    count: int = Field(ge=0)
    share: float | None = None
    flag: bool = False
    name: str = "x"


@pytest.mark.parametrize(
    "payload",
    [{"count": 3}, {"count": 3.0}, {"count": 1, "share": 1}, {"count": 1, "flag": True}],
)
def test_json_numbers_and_booleans_are_accepted(payload: dict[str, object]) -> None:
    Body.model_validate(payload)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"count": False}, "must be a JSON number"),
        ({"count": "3"}, "must be a JSON number"),
        ({"count": 1, "share": "0.5"}, "must be a JSON number"),
        ({"count": 1, "flag": 1}, "must be true or false"),
        ({"count": 1, "flag": "true"}, "must be true or false"),
        ({"count": 1, "colour": "red"}, "Extra inputs are not permitted"),
        ({"count": 2.5}, "fractional part"),
    ],
)
def test_other_json_types_are_refused(payload: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Body.model_validate(payload)


def test_a_date_time_must_be_a_string_not_a_timestamp() -> None:
    with pytest.raises(ValidationError, match="RFC 3339"):
        ApiKeyCreate.model_validate({"name": "k", "scopes": ["jobs"], "expires_at": 2595909420})
    key = ApiKeyCreate.model_validate(
        {"name": "k", "scopes": ["jobs"], "expires_at": "2052-04-05T05:57:00Z"}
    )
    assert key.expires_at is not None
