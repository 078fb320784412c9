"""Settings of online serving: predictions, batching, traffic, batch jobs."""

from typing import Any

from pydantic import BaseModel, Field, field_validator

from server.config.base import CsvList, split_csv

ALL_VERSIONS = "*"


class ServingSettings(BaseModel):
    """Serving: predictions, micro-batching, traffic split, prediction log, batch jobs."""

    predict_max_texts: int = Field(
        64, ge=1, le=1024, description="Most texts in one POST /api/v1/predictions."
    )
    batch_max_texts: int = Field(
        64, ge=1, description="Most texts the API gathers into one inference task."
    )
    batch_window_ms: float = Field(
        5.0, ge=0, description="How long the API waits to fill an inference batch, in ms."
    )
    batch_max_waiting_texts: int = Field(
        4096,
        ge=1,
        description="Texts one API process lets wait for an inference task; past it, "
        "predictions answer 503 with Retry-After at once (load shedding).",
    )
    batch_max_in_flight: int = Field(
        32, ge=1, description="Inference tasks one API process may have outstanding."
    )
    gpu_versions: CsvList = Field(
        [],
        description="Versions of the model whose predictions are scored on the `inference-gpu` "
        "queue, by GPU workers (comma-separated version numbers, or `*` for every version); "
        "the others, and shadow and batch scoring, stay on the CPU queues. A worker without a "
        "usable GPU scores that queue on the CPU.",
    )
    predict_timeout_s: float = Field(
        5.0,
        gt=0,
        description="Seconds a prediction may wait for a worker before 504; its inference "
        "task expires then, and a worker that gets it later drops it unscored.",
    )
    shadow_expires_s: float = Field(
        30.0,
        gt=0,
        description="Seconds a shadow scoring task may wait for a worker; older ones are "
        "dropped, so workers coming back serve live traffic, not a backlog of shadow work.",
    )
    result_poll_s: float = Field(
        0.005, gt=0, description="Polling interval for results of the embedded broker."
    )
    store_inputs: bool = Field(
        False, description="Keep the raw text of each prediction (else only length and hash)."
    )
    prediction_retention_days: int = Field(
        30, ge=1, description="Days raw prediction inputs are kept before the purge task."
    )
    prediction_log_flush_ms: float = Field(
        100.0, gt=0, description="How often buffered prediction records are written, in ms."
    )
    prediction_log_max_buffer: int = Field(
        5000, ge=1, description="Buffered prediction records that force a write."
    )
    feedback_wait_ms: float = Field(
        1000.0,
        ge=0,
        description="Beyond one flush interval, how long feedback for a prediction made "
        "moments ago waits for its record, which another API process may still buffer "
        "(covers a slow write and clock skew between processes).",
    )
    serving_plan_ttl_s: float = Field(
        2.0,
        ge=0,
        description="Seconds an API process reuses the versions and traffic split. A "
        "promotion, rollback or traffic change empties every process's plan at once (Redis "
        "pub/sub); this lifetime matters only if that message is lost.",
    )
    jobs_max_rows: int = Field(100_000, ge=1, description="Most items in one batch job.")
    jobs_max_upload_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Largest batch job body or upload, in bytes."
    )
    jobs_chunk_size: int = Field(
        1000, ge=1, description="Texts a worker scores and commits at a time in a batch job."
    )
    jobs_stuck_after_s: int = Field(
        120, ge=1, description="A job still queued this long is enqueued again by the sweeper."
    )
    jobs_lease_s: float = Field(
        30.0,
        gt=0,
        description="Seconds a worker holds a running batch job without renewing its lease "
        "(it renews at every chunk and every third of this); past it, the sweeper takes the "
        "job back.",
    )
    jobs_sweep_interval_s: int = Field(
        10,
        ge=1,
        description="How often beat runs the sweeper of stuck batch jobs. A job whose worker "
        "died runs again within `jobs_lease_s` + this (40 s by default).",
    )
    jobs_max_attempts: int = Field(
        3,
        ge=1,
        description="Runs of one batch job (each delivery that takes it, also after its "
        "worker died) before it is failed.",
    )
    worker_heartbeat_s: float = Field(
        1.0,
        gt=0,
        description="How often a worker process says it is alive (its presence beat, cheap); "
        "one that missed three beats counts as gone, and a clean exit says goodbye at once.",
    )
    worker_model_refresh_s: float = Field(
        10.0,
        gt=0,
        description="How often a worker process looks up the served versions in the registry "
        "and loads new ones (a promotion is picked up without a restart).",
    )
    artifact_verify_interval_s: float = Field(
        60.0,
        gt=0,
        description="How often a worker process re-reads the artifacts it has loaded and "
        "checks their digests (also whenever the served versions change); a tampered one is "
        "unloaded and refused, with the reason in its heartbeat.",
    )
    readiness_cache_s: float = Field(
        1.0,
        ge=0,
        description="Seconds an API process reuses what it read of shared dependencies "
        "(broker, worker presence, the champion) for readiness and for routing predictions.",
    )
    classifier_cache_size: int = Field(
        3, ge=1, description="Model versions a worker process keeps loaded."
    )

    @field_validator("gpu_versions", mode="before")
    @classmethod
    def _parse_gpu_versions(cls, value: Any) -> Any:
        items = split_csv(value)
        for item in items:
            if item != ALL_VERSIONS and not (str(item).isdigit() and int(item) >= 1):
                raise ValueError(f"{item!r} is neither a version number nor `*`")
        return [str(item) for item in items]

    def scores_on_gpu(self, version: int) -> bool:
        """Whether predictions of `version` go to the GPU workers' queue."""
        return ALL_VERSIONS in self.gpu_versions or str(version) in self.gpu_versions
