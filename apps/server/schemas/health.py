"""Response models of the probes."""

from typing import Literal

from pydantic import BaseModel, Field


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class CheckResult(BaseModel):
    status: Literal["ok", "fail"]
    latency_ms: float = Field(description="How long the check took.")
    error: str | None = Field(None, description="Why the check failed, if it did.")


class Readiness(BaseModel):
    status: Literal["ok", "fail"]
    checks: dict[str, CheckResult]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"status": "ok", "checks": {"database": {"status": "ok", "latency_ms": 1.2}}}
            ]
        }
    }
