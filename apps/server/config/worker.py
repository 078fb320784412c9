"""Settings of the queue and the Celery workers."""

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from server.config.base import SERVER_DIR


class WorkerSettings(BaseModel):
    """Queue and workers (Celery)."""

    redis_url: str | None = Field(
        None,
        description="Redis for the Celery broker and results (compose, cluster, CI). Unset: "
        "the embedded filesystem broker under `embedded_broker_dir` (make dev).",
    )
    embedded_broker_dir: Path = Field(
        SERVER_DIR / "var" / "broker",
        description="Folder of the embedded broker and result files when no Redis is set.",
    )
    embedded_broker_poll_s: float = Field(
        0.02, gt=0, description="How often the embedded broker's worker polls for messages."
    )
    task_soft_time_limit_s: int = Field(
        300, ge=1, description="Seconds before a task is asked to stop (SoftTimeLimitExceeded)."
    )
    task_time_limit_s: int = Field(360, ge=1, description="Seconds before a task is killed.")
    training_time_limit_s: int = Field(
        3600, ge=60, description="Hard time limit of a training task, in seconds."
    )
    result_expires_s: int = Field(3600, ge=60, description="Seconds a task result is kept.")
    broker_visibility_timeout_s: int = Field(
        7200,
        ge=60,
        description="Seconds before Redis redelivers an unacknowledged task; must exceed "
        "the longest task.",
    )
    worker_concurrency: int = Field(
        2, ge=1, description="Processes per worker (prefork pool); 1 for a GPU worker."
    )
    worker_max_tasks_per_child: int = Field(
        100_000,
        ge=1,
        description="Tasks before a worker process is replaced (leak guard; the memory limit "
        "below is the main one). Inference tasks are micro-batches: at 1,000, a loaded "
        "worker replaced its process every half minute, and predictions stalled while the "
        "new one loaded the model.",
    )
    worker_send_task_events: bool = Field(
        False,
        description="Workers publish Celery's task events (received, started, succeeded) "
        "for a monitor such as Flower. Off: nothing here reads them, and they were three "
        "more Redis round trips for every micro-batch a worker scores.",
    )
    worker_max_memory_per_child_kb: int = Field(
        1_500_000, ge=10_000, description="Resident KiB after which a worker process is replaced."
    )
    worker_math_threads: int = Field(
        1, ge=1, description="BLAS/OpenMP threads per worker process (numpy, scikit-learn)."
    )
    retrain_cron: str | None = Field(
        None,
        description="Cron expression (5 fields, UTC) for periodic retraining by beat, e.g. "
        "`0 3 * * 0`; unset disables it.",
    )
    training_max_attempts: int = Field(
        2,
        ge=1,
        description="Deliveries of one training run before it is failed (a run that kills "
        "its worker would otherwise be redelivered forever).",
    )
    train_default_rows: int = Field(
        20_000, ge=100, description="Generated tickets a training run uses when given no data."
    )
    git_commit: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{7,40}$",
        description="Commit the image was built from (its `REVISION` build argument); "
        "recorded in a version's lineage when training does not run from a git checkout.",
    )
    worker_metrics_port: int = Field(
        9100,
        ge=0,
        le=65535,
        description="Port of a worker's own /metrics endpoint and /livez probe; 0: none.",
    )
    worker_dead_consumer_exit_s: float = Field(
        15.0,
        gt=0,
        description="Seconds a worker whose consumer stopped on an error may take to shut "
        "down before it exits with status 1 (its /livez fails at once).",
    )
    beat_schedule_path: Path = Field(
        SERVER_DIR / "var" / "celerybeat-schedule",
        description="Where beat keeps its schedule state (a writable path, e.g. under /tmp).",
    )

    @field_validator("git_commit", mode="before")
    @classmethod
    def _empty_commit_is_none(cls, value: Any) -> Any:
        # An image built without `--build-arg REVISION` sets the variable to "".
        return None if value == "" else value
