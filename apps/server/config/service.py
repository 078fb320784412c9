"""Settings of the process itself: identity, HTTP, logs, metrics, database."""

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from server.config.base import SERVER_DIR, CsvList, Environment, split_csv


class ServiceSettings(BaseModel):
    """Service, HTTP, logs and metrics, database."""

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
    shutdown_drain_s: float = Field(
        0.0,
        ge=0,
        description="Seconds the API keeps serving after SIGTERM, readiness already 503 "
        "`draining`, before it stops accepting connections and drains (`graceful_shutdown_s`): "
        "load balancers take it out of rotation first. 0 stops at once (development).",
    )
    gc_young_threshold: int = Field(
        50_000,
        ge=700,
        description="Allocations between young-generation garbage collections in the API "
        "(Python's default 700 made full collections ~18 % of the loop under load).",
    )
    cors_origins: CsvList = Field(
        ["http://localhost:5173", "http://127.0.0.1:5173"],
        description="Origins allowed by CORS, with credentials (comma-separated); `*` and "
        "localhost origins are refused in production.",
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body accepted, in bytes (else 413)."
    )
    max_header_bytes: int = Field(
        16 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Largest request head (request line and headers) the server reads, in "
        "bytes; past it the connection gets 431 and is closed.",
    )
    max_headers: int = Field(
        100, ge=10, le=1000, description="Most header lines in one request (else 431)."
    )

    # --- logs and metrics -------------------------------------------------------------------
    log_level: str = Field("INFO", description="Root log level (DEBUG, INFO, WARNING, ...).")
    log_json: bool | None = Field(
        None, description="JSON log lines; unset means JSON in production, console elsewhere."
    )
    log_repeat_window_s: float = Field(
        10.0,
        ge=0,
        description="A warning repeated (same event and key fields) within this many seconds "
        "is logged once; the next line that passes carries a `suppressed` count of those "
        "left out. Errors are never suppressed; 0 logs every warning.",
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
    database_busy_timeout_ms: int = Field(
        5000,
        ge=0,
        description="SQLite: how long a write waits for another connection's write lock "
        "before the request answers 503 with Retry-After.",
    )
    schema_wait_s: float = Field(
        90.0,
        ge=0,
        description="Seconds the API and `train` wait at start for the database to be migrated "
        "(the migration Job may still run beside them), before they exit with an error.",
    )
    readiness_timeout_s: float = Field(
        2.0, gt=0, description="Seconds each readiness check may take before it fails."
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: Any) -> Any:
        return split_csv(value)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def json_logs(self) -> bool:
        if self.log_json is not None:
            return self.log_json
        return self.env is Environment.production
