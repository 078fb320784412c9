"""A serving stack for integration tests: a trained champion, a broker, a real worker."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from server.config import Settings
from server.database.session import Database
from server.services import registry, training
from server.tests.support.databases import provision_database, settings_for_url
from server.tests.support.live_server import free_port
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
        "APP_WORKER_METRICS_PORT": str(settings.worker_metrics_port),
    }
    if settings.redis_url:
        env["APP_REDIS_URL"] = settings.redis_url
    return env


async def train_version(
    settings: Settings, *, seed: int, alias: str | None, label_noise: float = 0.0
) -> int:
    """Train and register a version in-process; point `alias` at it when given."""
    database = Database.from_settings(settings)
    try:
        params = training.RunParams(seed=seed, label_noise=label_noise)
        run = await training.create_run(database, settings, params, trigger="t", requested_by="t")
        await training.execute_run(database, settings, run.id)
        _, version = await training.describe_run(database, run.id)
        assert version is not None, "the test model failed its gates"
        if alias:
            async with database.session() as session:
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
