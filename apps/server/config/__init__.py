"""Every constant, limit and hyperparameter of the service, in one typed `Settings`.

Values come, in order of precedence, from init arguments, `APP_*` environment variables,
a `.env` file, and files in the secrets directory (`/run/secrets` by default, where Docker
and Kubernetes mount secrets; one file per setting, named like the variable's lower-case
field name, e.g. `/run/secrets/jwt_secret`).

The fields are grouped by concern, one module each (`service`, `worker`, `serving`,
`security`, `model`, `monitoring`, `tracing`), and composed here into one `Settings`: one
environment variable namespace, one object to inject. The agents' own configuration objects
are nested in it, declared once (`training`, `gates`, `drift`, `quality`; a variable per field such
as `APP_TRAINING__SEED`, or the whole group as JSON in `APP_TRAINING`), and the services
hand them to the agents as they are. The README's configuration table is
generated from the fields and a test keeps the two in step, so each field's `description` is
its documentation.
"""

import os
from pathlib import Path
from typing import Self

from pydantic import BaseModel, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

from server.config.base import SERVER_DIR, CsvList, Environment
from server.config.evaluation import PromptEvalConfig
from server.config.llm import LLMConfig, ProviderConfig
from server.config.model import ModelSettings
from server.config.monitoring import DriftConfig, MonitoringSettings, QualityConfig
from server.config.renamed import RenamedSettingsGuard
from server.config.security import (
    DEFAULT_JWT_SECRET,
    MIN_SECRET_BYTES,
    SecuritySettings,
    edge_problems,
    jwt_secret_problem,
)
from server.config.service import ServiceSettings
from server.config.serving import ServingSettings
from server.config.tracing import TracingSettings
from server.config.training import GateConfig, TrainingConfig
from server.config.worker import WorkerSettings

__all__ = [
    "DEFAULT_JWT_SECRET",
    "MIN_SECRET_BYTES",
    "SECTIONS",
    "SERVER_DIR",
    "CsvList",
    "DriftConfig",
    "Environment",
    "GateConfig",
    "LLMConfig",
    "PromptEvalConfig",
    "ProviderConfig",
    "QualityConfig",
    "Settings",
    "TrainingConfig",
]

SECTIONS: tuple[type[BaseModel], ...] = (
    ServiceSettings,
    WorkerSettings,
    ServingSettings,
    SecuritySettings,
    ModelSettings,
    MonitoringSettings,
    TracingSettings,
)
"""The groups of settings, in the order the README's table lists them."""


class Settings(
    TracingSettings,
    MonitoringSettings,
    ModelSettings,
    SecuritySettings,
    ServingSettings,
    WorkerSettings,
    ServiceSettings,
    BaseSettings,
):
    """The service's configuration. Read once at start and injected, never read ad hoc."""

    model_config = SettingsConfigDict(
        env_prefix="APP_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        """Production refuses to start on settings that are only fit for a laptop."""
        if self.env is not Environment.production:
            return self
        problems: list[str] = []
        secret_problem = jwt_secret_problem(self.jwt_secret.get_secret_value())
        if secret_problem:
            problems.append(secret_problem)
        if "*" in self.cors_origins:
            problems.append("APP_CORS_ORIGINS contains '*'; list the allowed origins")
        if self.debug:
            problems.append("APP_DEBUG is on")
        if self.database_url.startswith("sqlite"):
            problems.append("APP_DATABASE_URL is SQLite; use PostgreSQL in production")
        if self.redis_url is None:
            problems.append("APP_REDIS_URL is unset; the embedded broker is for development")
        problems += edge_problems(
            trusted_hosts=self.trusted_hosts,
            cors_origins=self.cors_origins,
            forwarded_allow_ips=self.forwarded_allow_ips,
            refresh_cookie_secure=self.refresh_cookie_secure,
        )
        if problems:
            raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

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
        sources: list[PydanticBaseSettingsSource] = [
            RenamedSettingsGuard(settings_cls, (env_settings, dotenv_settings)),
            init_settings,
            env_settings,
            dotenv_settings,
        ]
        if secrets_dir.is_dir():
            # Files are named after the field (`jwt_secret`), without the env prefix.
            sources.append(
                SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir, env_prefix="")
            )
        return tuple(sources)
