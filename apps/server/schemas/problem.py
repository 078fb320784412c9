"""The RFC 9457 problem document, for the OpenAPI schema of error responses."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "Not Found",
                    "instance": "/api/v1/nothing-here",
                    "request_id": "3f2c9c1e0b7a4f43a1d2c6f1b5e0d9a8",
                }
            ]
        },
    )

    type: str = Field(description="A URI naming the kind of problem; `about:blank` if generic.")
    title: str = Field(description="The HTTP status phrase.")
    status: int
    detail: str = Field(description="What went wrong, for a human.")
    instance: str = Field(description="The request path.")
    request_id: str | None = Field(description="Quote this when asking for support.")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem details for the given statuses."""
    return {
        status: {"model": Problem, "content": {"application/problem+json": {}}}
        for status in statuses
    }
