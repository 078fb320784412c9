"""A serving stack for integration tests: a champion model, a broker, a real worker."""

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from server.agents.artifacts.store import LocalArtifactStore
from server.config import Settings
from server.database.session import Database
from server.services import registry
from server.tests.support.databases import provision_database
from server.tests.support.live_server import free_port
from server.tests.support.models import ModelCache
from server.tests.support.settings import settings_for_url
from server.tests.support.worker import celery_worker, redis_test_url

TRAIN_ROWS = 3000


def broker_backends() -> list[str]:
    """`embedded` always; `redis` when a test Redis is configured (CI requires it)."""
    if redis_test_url() or os.environ.get("APP_TEST_REQUIRE_POSTGRES") == "1":
        return ["embedded", "redis"]
    return ["embedded"]


def stack_settings(backend: str, database_url: str, tmp: Path, **extra: Any) -> Settings:
    overrides: dict[str, Any] = {
        "artifact_root": tmp / "artifacts",
        "embedded_broker_dir": tmp / "broker",
        "metrics_multiproc_dir": tmp / "metrics",
        "train_default_rows": TRAIN_ROWS,
        "worker_heartbeat_s": 0.5,
        "worker_model_refresh_s": 0.5,
        "artifact_verify_interval_s": 1.0,
        "readiness_cache_s": 0.0,
        "serving_plan_ttl_s": 0.0,
        "worker_metrics_port": free_port(),
        **extra,
    }
    if backend == "redis":
        url = redis_test_url()
        assert url, "set APP_TEST_REDIS_URL (CI does)"
        redis.Redis.from_url(url).flushdb()
        overrides["redis_url"] = url
    return settings_for_url(database_url, **overrides)


def worker_env(settings: Settings) -> dict[str, str]:
    env = {
        "APP_DATABASE_URL": settings.database_url,
        "APP_ARTIFACT_ROOT": str(settings.artifact_root),
        "APP_EMBEDDED_BROKER_DIR": str(settings.embedded_broker_dir),
        "APP_METRICS_MULTIPROC_DIR": str(settings.metrics_multiproc_dir),
        "APP_WORKER_HEARTBEAT_S": str(settings.worker_heartbeat_s),
        "APP_WORKER_MODEL_REFRESH_S": str(settings.worker_model_refresh_s),
        "APP_ARTIFACT_VERIFY_INTERVAL_S": str(settings.artifact_verify_interval_s),
        "APP_WORKER_METRICS_PORT": str(settings.worker_metrics_port),
    }
    if settings.redis_url:
        env["APP_REDIS_URL"] = settings.redis_url
    return env


async def install_version(
    settings: Settings, models: ModelCache, *, alias: str | None, seed: int = 1
) -> int:
    """Register the next version of the model, a copy of `models`' small model trained on
    `seed`'s data, as a passing training run would; point `alias` at it when given."""
    database = Database.from_settings(settings)
    try:
        async with database.session() as session:
            version = await registry.reserve_version_number(session, settings.model_name)
            installed = models.install(LocalArtifactStore(settings.artifact_root), version, seed)
            await registry.register_version(
                session,
                model_name=settings.model_name,
                version=version,
                artifact_uri=installed.ref.uri,
                sha256=installed.ref.manifest_sha256,
                metrics=installed.metrics,
                manifest=installed.manifest,
                created_by="test",
            )
            if alias:
                await registry.set_alias(
                    session, settings.model_name, alias, version, actor="t", reason="test"
                )
        return version
    finally:
        await database.dispose()


@contextmanager
def serving_stack(backend: str, tmp: Path, queues: str) -> Iterator[Settings]:
    """A migrated database and a worker consuming `queues`; the caller trains models."""
    with provision_database("sqlite", tmp) as database:
        settings = stack_settings(backend, database.settings.database_url, tmp)
        with celery_worker(worker_env(settings), queues=queues):
            yield settings


@contextmanager
def champion_stack(backend: str, tmp: Path, queues: str, models: ModelCache) -> Iterator[Settings]:
    """`serving_stack` with a trained version promoted champion."""
    with serving_stack(backend, tmp, queues=queues) as settings:
        asyncio.run(install_version(settings, models, alias="champion"))
        yield settings
