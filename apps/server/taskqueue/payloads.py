"""The typed contract between the API and the workers: every task's arguments and results.

The API builds a payload and publishes it (`publisher.publish`); the worker validates the
same model before doing any work (`worker/task_contract.py`), and results come back the same way
(`ScoredBatch`). A field added on one side without the other fails loudly at the boundary,
not three calls later as a `KeyError`. Each payload names its task and default queue, so a
call site cannot pair a payload with the wrong task.
"""

import uuid
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from server.taskqueue.names import (
    BATCH,
    INFERENCE,
    JOB_TASK,
    MONITOR_TASK,
    PREDICT_TASK,
    PROMPT_EVAL_TASK,
    PURGE_TASK,
    SHADOW,
    SHADOW_TASK,
    SWEEP_TASK,
    TRAIN_TASK,
    TRAINING,
)


class TaskPayload(BaseModel):
    """A task's keyword arguments. Unknown fields are refused on both sides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: ClassVar[str]
    queue: ClassVar[str]

    def log_repr(self) -> str:
        """What Celery may print for these arguments: never the user's text (payloads that
        carry texts print their count instead)."""
        fields = ", ".join(f"{name}={value!r}" for name, value in self)
        return f"{type(self).__name__}({fields})"


class VersionRef(TaskPayload):
    """A model version, pinned by the digest of its manifest."""

    model: str
    version: int = Field(ge=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class PredictPayload(VersionRef):
    """Score one micro-batch of API requests and answer with a `ScoredBatch`."""

    task: ClassVar[str] = PREDICT_TASK
    queue: ClassVar[str] = INFERENCE

    texts: list[str] = Field(min_length=1)

    def log_repr(self) -> str:
        return (
            f"PredictPayload(model={self.model!r}, version={self.version}, texts={len(self.texts)})"
        )


class RequestMeta(BaseModel):
    """Who asked for one text of a shadowed request: the prediction log's columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requested_by: str
    request_id: str | None = None


class ShadowPayload(VersionRef):
    """Score champion traffic with the challenger and record it; nothing is returned."""

    task: ClassVar[str] = SHADOW_TASK
    queue: ClassVar[str] = SHADOW

    texts: list[str] = Field(min_length=1)
    meta: list[RequestMeta]

    def log_repr(self) -> str:
        return (
            f"ShadowPayload(model={self.model!r}, version={self.version}, texts={len(self.texts)})"
        )


class JobPayload(TaskPayload):
    """Score one batch job, chunk by chunk."""

    task: ClassVar[str] = JOB_TASK
    queue: ClassVar[str] = BATCH

    job_id: uuid.UUID


class TrainPayload(TaskPayload):
    """Execute a training run: the one the API recorded, or a new one (beat, `run_id` None)."""

    task: ClassVar[str] = TRAIN_TASK
    queue: ClassVar[str] = TRAINING

    run_id: uuid.UUID | None = None
    trigger: str = Field(default="api", min_length=1, max_length=200)


class PromptEvalPayload(TaskPayload):
    """Execute a prompt evaluation run the API recorded. On the `training` queue: minutes
    of model calls, like a training run, and never behind the predictions it asks for."""

    task: ClassVar[str] = PROMPT_EVAL_TASK
    queue: ClassVar[str] = TRAINING

    run_id: uuid.UUID


class SweepPayload(TaskPayload):
    """Beat: publish again the jobs stuck in `queued`."""

    task: ClassVar[str] = SWEEP_TASK
    queue: ClassVar[str] = BATCH


class PurgePayload(TaskPayload):
    """Beat: forget raw prediction inputs past the retention period."""

    task: ClassVar[str] = PURGE_TASK
    queue: ClassVar[str] = BATCH


class MonitorPayload(TaskPayload):
    """Beat: one drift and quality pass over the served versions."""

    task: ClassVar[str] = MONITOR_TASK
    queue: ClassVar[str] = BATCH


ALL_PAYLOADS: tuple[type[TaskPayload], ...] = (
    PredictPayload,
    ShadowPayload,
    JobPayload,
    TrainPayload,
    PromptEvalPayload,
    SweepPayload,
    PurgePayload,
    MonitorPayload,
)


class ScoredText(BaseModel):
    """One text's outcome: the label the model chose, its confidence, every probability."""

    model_config = ConfigDict(frozen=True)

    label: str
    confidence: float = Field(ge=0, le=1)
    probabilities: dict[str, float]
    oov_rate: float | None = Field(default=None, ge=0, le=1)
    """Share of the text's word tokens unknown to the model (drift monitoring)."""


class ScoredBatch(BaseModel):
    """A worker's answer to a `PredictPayload`: one `ScoredText` per text, in order."""

    model_config = ConfigDict(frozen=True)

    version: int = Field(ge=1, description="The version that scored the texts.")
    items: list[ScoredText]
    refused: str | None = Field(
        None,
        description="Set (and `items` empty) when the worker refuses the version: why, e.g. "
        "its artifact failed verification.",
    )
