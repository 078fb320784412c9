"""Response models of the probes."""

from typing import Literal

from pydantic import BaseModel, Field


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class CheckResult(BaseModel):
    status: Literal["ok", "fail"]
    latency_ms: float = Field(description="How long the check took.")
    error: str | None = Field(None, description="Why the check failed, if it did.")
    detail: str | None = Field(None, description="What the check found, when it passed.")


class Readiness(BaseModel):
    status: Literal["ok", "fail"] = Field(
        description="Whether this process should get traffic: its own `checks` all pass."
    )
    checks: dict[str, CheckResult] = Field(
        description="This process: `process` (started, not draining) and `database` (its "
        "pool answers). A failed one makes readiness 503."
    )
    dependencies: dict[str, CheckResult] = Field(
        default_factory=dict,
        description="Shared downstreams: `broker`, `workers` (live worker processes serving "
        "predictions), `model` (the champion loaded by a live worker, or why not, e.g. its "
        "artifact refused). Reported, never a reason for 503: the routes that need them "
        "answer 503 with the reason instead.",
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "status": "ok",
                    "checks": {
                        "process": {"status": "ok", "latency_ms": 0.01},
                        "database": {"status": "ok", "latency_ms": 1.2},
                    },
                    "dependencies": {
                        "broker": {"status": "ok", "latency_ms": 0.8},
                        "workers": {
                            "status": "ok",
                            "latency_ms": 0.5,
                            "detail": "2 worker processes serving predictions",
                        },
                        "model": {
                            "status": "fail",
                            "latency_ms": 2.1,
                            "error": "champion version 3 is refused by the workers: artifact "
                            "ticket-triage/3 failed verification: weights.npy sha256 ... "
                            "differs from the manifest's ...",
                        },
                    },
                }
            ]
        }
    }
