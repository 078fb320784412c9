"""Training runs over HTTP."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from server.schemas.base import RequestModel


class TrainingRunCreate(RequestModel):
    """Train on generated tickets (uploading training data comes with batch ingestion)."""

    rows: int | None = Field(
        None, ge=100, le=200_000, description="Generated tickets; default from settings."
    )
    seed: int | None = Field(
        None, ge=0, le=2**31 - 1, description="Seed of the generator; default from settings."
    )
    drift_strength: float = Field(0.0, ge=0.0, le=1.0, description="Drift of generated data.")
    label_noise: float = Field(0.0, ge=0.0, lt=1.0, description="Extra mislabelled share.")
    promote: bool = Field(False, description="Make a passing version champion.")


class GateResultOut(BaseModel):
    name: str
    passed: bool
    value: float | None
    threshold: float
    message: str


class TrainingRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    model_name: str
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: float = Field(ge=0.0, le=1.0, description="0 to 1.")
    stage: str
    trigger: str
    reason: str | None = Field(
        None, description="Why monitoring started the run (drift or quality), if it did."
    )
    attempts: int
    params: dict[str, Any]
    gate_results: list[GateResultOut]
    error: dict[str, Any] | None = Field(description="Why the run failed: data, gates, crash.")
    version: int | None = Field(None, description="The registered version, if it passed.")
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
