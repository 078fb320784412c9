"""Every constant, limit and hyperparameter of the service, in one typed `Settings`.

Values come, in order of precedence, from init arguments, `APP_*` environment variables,
a `.env` file, and files in the secrets directory (`/run/secrets` by default, where Docker
and Kubernetes mount secrets; one file per setting, named like the variable's lower-case
field name, e.g. `/run/secrets/jwt_secret`).

The README's configuration table is generated from the fields below and a test keeps the
two in step, so each field's `description` is its documentation.
"""

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

SERVER_DIR = Path(__file__).resolve().parent
"""The `server` package directory (`apps/server`); local state lives below it in `var/`."""

DEFAULT_JWT_SECRET = "changethis-development-only-secret"  # noqa: S105 - refused in production
MIN_SECRET_BYTES = 32


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


def _split_csv(value: Any) -> Any:
    """Accept `a,b,c` from an environment variable as well as a JSON list."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            return json.loads(stripped)
        return [item.strip() for item in stripped.split(",") if item.strip()]
    return value


CsvList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """The service's configuration. Read once at start and injected, never read ad hoc."""

    model_config = SettingsConfigDict(
        env_prefix="APP_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # --- service -------------------------------------------------------------------------
    app_name: str = Field("ticket-triage", description="Service name in logs, metrics, docs.")
    env: Environment = Field(
        Environment.development, description="development, test or production."
    )
    debug: bool = Field(False, description="Debug mode; refused in production.")
    host: str = Field("127.0.0.1", description="Address the API binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port the API listens on.")
    workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes for the API.")
    graceful_shutdown_s: int = Field(
        20, ge=0, description="Seconds the API waits for in-flight requests on shutdown."
    )
    gc_young_threshold: int = Field(
        50_000,
        ge=700,
        description="Allocations between young-generation garbage collections in the API "
        "(Python's default 700 made full collections ~18 % of the loop under load).",
    )
    cors_origins: CsvList = Field(
        ["http://localhost:5173", "http://127.0.0.1:5173"],
        description="Origins allowed by CORS (comma-separated); `*` is refused in production.",
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body accepted, in bytes (else 413)."
    )

    # --- logs and metrics -------------------------------------------------------------------
    log_level: str = Field("INFO", description="Root log level (DEBUG, INFO, WARNING, ...).")
    log_json: bool | None = Field(
        None, description="JSON log lines; unset means JSON in production, console elsewhere."
    )
    metrics_multiproc_dir: Path = Field(
        SERVER_DIR / "var" / "metrics",
        description="Directory for prometheus-client multiprocess files (API with workers > "
        "1, Celery workers); each process kind uses a subdirectory.",
    )

    # --- database --------------------------------------------------------------------------
    database_url: str = Field(
        f"sqlite+aiosqlite:///{SERVER_DIR / 'var' / 'app.db'}",
        description="SQLAlchemy async URL: sqlite+aiosqlite (embedded) or postgresql+asyncpg.",
    )
    database_echo: bool = Field(False, description="Log every SQL statement.")
    database_pool_size: int = Field(10, ge=1, description="Connections kept in the pool.")
    database_max_overflow: int = Field(10, ge=0, description="Extra connections under load.")
    database_pool_timeout_s: float = Field(
        5.0, gt=0, description="Seconds to wait for a pooled connection."
    )
    readiness_timeout_s: float = Field(
        2.0, gt=0, description="Seconds each readiness check may take before it fails."
    )

    # --- queue and workers (Celery) -------------------------------------------------------------
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
        1000, ge=1, description="Tasks before a worker process is replaced (leak guard)."
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
        None, description="Commit the image was built from; recorded in every artifact."
    )
    worker_metrics_port: int = Field(
        9100, ge=0, le=65535, description="Port of a worker's own /metrics endpoint; 0: none."
    )
    beat_schedule_path: Path = Field(
        SERVER_DIR / "var" / "celerybeat-schedule",
        description="Where beat keeps its schedule state (a writable path, e.g. under /tmp).",
    )

    # --- serving: predictions, batching, traffic -------------------------------------------------
    predict_max_texts: int = Field(
        64, ge=1, le=1024, description="Most texts in one POST /api/v1/predictions."
    )
    batch_max_texts: int = Field(
        64, ge=1, description="Most texts the API gathers into one inference task."
    )
    batch_window_ms: float = Field(
        5.0, ge=0, description="How long the API waits to fill an inference batch, in ms."
    )
    batch_max_in_flight: int = Field(
        32, ge=1, description="Inference tasks one API process may have outstanding."
    )
    predict_timeout_s: float = Field(
        5.0, gt=0, description="Seconds a prediction may wait for a worker before 504."
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
    serving_plan_ttl_s: float = Field(
        2.0, ge=0, description="Seconds an API process reuses the versions and traffic split."
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
    jobs_sweep_interval_s: int = Field(
        60, ge=1, description="How often beat runs the sweeper of stuck batch jobs."
    )
    jobs_max_attempts: int = Field(
        3, ge=1, description="Deliveries of one batch job before it is failed."
    )
    worker_heartbeat_s: float = Field(
        10.0, gt=0, description="How often a worker process refreshes models and heartbeat."
    )
    readiness_cache_s: float = Field(
        3.0, ge=0, description="Seconds a readiness verdict on workers and models is reused."
    )
    classifier_cache_size: int = Field(
        3, ge=1, description="Model versions a worker process keeps loaded."
    )

    # --- security ----------------------------------------------------------------------------
    jwt_secret: SecretStr = Field(
        SecretStr(DEFAULT_JWT_SECRET),
        description="HMAC key for access tokens; at least 32 bytes and not the default in "
        "production. Prefer the secrets file `jwt_secret`.",
    )

    # --- model: data, training, gates, artifacts, serving (agents/) ------------------------
    model_name: str = Field(
        "ticket-triage",
        pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$",
        description="Name of the served model; its artifacts live in "
        "`<artifact_root>/<model_name>/<version>/`.",
    )
    model_labels: list[str] = Field(
        ["account", "billing", "other", "refund", "shipping", "technical"],
        min_length=2,
        description="Categories the model predicts; training data must cover each of them "
        "(a JSON list in the environment).",
    )
    artifact_root: Path = Field(
        SERVER_DIR / "var" / "artifacts",
        description="Root of the local artifact store (a Docker volume or a PVC when deployed).",
    )
    max_text_chars: int = Field(
        2000,
        ge=16,
        description="Texts are cut to this many characters after normalization; recorded in "
        "the artifact so that serving cuts exactly like training.",
    )
    use_gpu: bool = Field(
        False,
        description="Run the classifier's linear scoring on a GPU through CuPy when one is "
        "present; falls back to CPU with a warning otherwise.",
    )
    data_min_rows_per_class: int = Field(
        20, ge=2, description="Fewest training rows accepted for each label."
    )
    data_max_reported_issues: int = Field(
        100, ge=1, description="Row-level data problems listed in a validation report."
    )
    tfidf_min_df: int = Field(
        2, ge=1, description="TF-IDF: a term must occur in this many tickets to be kept."
    )
    tfidf_max_df: float = Field(
        0.95, gt=0, le=1, description="TF-IDF: terms in more than this share of tickets dropped."
    )
    tfidf_max_features: int = Field(
        50_000, ge=100, description="TF-IDF: vocabulary size cap (most frequent terms kept)."
    )
    tfidf_ngram_max: int = Field(
        2, ge=1, le=3, description="TF-IDF: longest word n-gram (1 = words only)."
    )
    classifier_c: float = Field(
        4.0, gt=0, description="Logistic regression inverse L2 regularization strength."
    )
    classifier_max_iter: int = Field(
        300, ge=10, description="Logistic regression L-BFGS iteration cap."
    )
    classifier_tol: float = Field(1e-4, gt=0, description="Logistic regression tolerance.")
    train_seed: int = Field(42, description="Seed for data splits and generated data.")
    train_holdout_fraction: float = Field(
        0.2, gt=0, lt=0.5, description="Share of the data held out for evaluation and gates."
    )
    train_calibration_fraction: float = Field(
        0.1,
        gt=0,
        lt=0.5,
        description="Share of the non-holdout data used to fit the probability temperature.",
    )
    reference_sample_size: int = Field(
        500,
        ge=10,
        description="Raw values kept in the manifest's drift reference (text lengths, "
        "confidences).",
    )
    gate_min_macro_f1: float = Field(
        0.80, ge=0, le=1, description="Gate: minimum holdout macro-F1."
    )
    gate_min_macro_auc: float = Field(
        0.93, ge=0, le=1, description="Gate: minimum holdout macro one-vs-rest ROC AUC."
    )
    gate_min_class_precision: float = Field(
        0.70, ge=0, le=1, description="Gate: minimum holdout precision of every class."
    )
    gate_min_class_recall: float = Field(
        0.70, ge=0, le=1, description="Gate: minimum holdout recall of every class."
    )
    gate_champion_margin: float = Field(
        0.01,
        ge=0,
        le=1,
        description="Gate: the candidate may trail the champion's macro-F1 and macro AUC on "
        "the same holdout by at most this much.",
    )
    gate_max_segment_recall_gap: float = Field(
        0.10,
        ge=0,
        le=1,
        description="Gate: largest allowed gap in macro recall between data segments.",
    )
    gate_min_segment_size: int = Field(
        50,
        ge=1,
        description="Gate: segments with fewer holdout rows are reported but not judged.",
    )
    gate_parity_tolerance: float = Field(
        1e-5,
        gt=0,
        description="Gate: largest probability difference between the packaged artifact and "
        "the trained pipeline.",
    )

    @model_validator(mode="before")
    @classmethod
    def _parse_lists(cls, data: Any) -> Any:
        if isinstance(data, dict) and "cors_origins" in data:
            data["cors_origins"] = _split_csv(data["cors_origins"])
        return data

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        """Production refuses to start on settings that are only fit for a laptop."""
        if self.env is not Environment.production:
            return self
        problems: list[str] = []
        secret = self.jwt_secret.get_secret_value()
        if secret == DEFAULT_JWT_SECRET or secret.startswith("changethis"):
            problems.append("APP_JWT_SECRET is the default; set a random secret")
        elif len(secret.encode()) < MIN_SECRET_BYTES:
            problems.append(f"APP_JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes")
        if "*" in self.cors_origins:
            problems.append("APP_CORS_ORIGINS contains '*'; list the allowed origins")
        if self.debug:
            problems.append("APP_DEBUG is on")
        if self.database_url.startswith("sqlite"):
            problems.append("APP_DATABASE_URL is SQLite; use PostgreSQL in production")
        if self.redis_url is None:
            problems.append("APP_REDIS_URL is unset; the embedded broker is for development")
        if problems:
            raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def json_logs(self) -> bool:
        if self.log_json is not None:
            return self.log_json
        return self.env is Environment.production

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The secrets directory is optional: a laptop has none, a container mounts one.
        secrets_dir = Path(os.environ.get("APP_SECRETS_DIR", "/run/secrets"))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        if secrets_dir.is_dir():
            # Files are named after the field (`jwt_secret`), without the env prefix.
            sources.append(
                SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir, env_prefix="")
            )
        return tuple(sources)
