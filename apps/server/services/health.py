"""Readiness: is every dependency this process needs reachable right now?

The database is checked on every probe. The broker and the model (is the champion loaded
in at least one live worker?) are checked at most every `readiness_cache_s`, so frequent
probes stay cheap for Redis and the workers.
"""

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping

import redis.asyncio as aioredis

from server.config import Settings
from server.database.session import Database
from server.schemas.health import CheckResult, Readiness
from server.services import registry
from server.taskqueue.heartbeat import heartbeat_max_age, heartbeat_store

Check = Callable[[], Awaitable[None]]


class CheckFailedError(Exception):
    """A check's own verdict; its message is safe to show in the probe's answer."""


def database_check(database: Database) -> Check:
    return database.ping


def broker_check(settings: Settings) -> Check:
    async def check() -> None:
        if settings.redis_url:
            client = aioredis.Redis.from_url(settings.redis_url, socket_timeout=1)
            try:
                await client.ping()
            finally:
                await client.aclose()
            return
        queue = settings.embedded_broker_dir / "queue"
        if not await asyncio.to_thread(os.access, queue, os.W_OK):
            raise CheckFailedError(f"the embedded broker folder {queue.name}/ is not writable")

    return check


def model_check(settings: Settings, database: Database) -> Check:
    async def check() -> None:
        async with database.session() as session:
            served = await registry.served_versions(session, settings.model_name)
        if "champion" not in served:
            raise CheckFailedError(f"no version of '{settings.model_name}' is champion yet")
        version = served["champion"][0]
        beats = await heartbeat_store(settings).read_fresh(heartbeat_max_age(settings))
        if not any(version in beat.models.get(settings.model_name, []) for beat in beats):
            raise CheckFailedError(
                f"champion version {version} is not loaded by any live worker "
                f"({len(beats)} worker processes beating)"
            )

    return check


class CachedCheck:
    """Reuse a check's result for `ttl_s`; a probe every second then costs one run in N."""

    def __init__(self, check: Check, ttl_s: float) -> None:
        self.check, self.ttl_s = check, ttl_s
        self._at = -1e9
        self._error: BaseException | None = None

    async def __call__(self) -> None:
        if time.monotonic() - self._at > self.ttl_s:
            try:
                await self.check()
                self._error = None
            except Exception as exc:
                self._error = exc
            self._at = time.monotonic()
        if self._error is not None:
            raise self._error


async def _run_check(check: Check, timeout_s: float) -> CheckResult:
    start = time.perf_counter()
    try:
        await asyncio.wait_for(check(), timeout=timeout_s)
    except TimeoutError:
        error: str | None = f"no answer within {timeout_s} s"
    except CheckFailedError as exc:
        error = str(exc)
    except Exception as exc:  # a probe reports any failure, it never raises
        error = type(exc).__name__
    else:
        error = None
    latency_ms = round((time.perf_counter() - start) * 1000, 2)
    return CheckResult(status="fail" if error else "ok", latency_ms=latency_ms, error=error)


async def check_readiness(checks: Mapping[str, Check], timeout_s: float) -> Readiness:
    """Run every check concurrently, each bounded by `timeout_s`."""
    names = list(checks)
    results = await asyncio.gather(*(_run_check(checks[name], timeout_s) for name in names))
    by_name = dict(zip(names, results, strict=True))
    ok = all(result.status == "ok" for result in results)
    return Readiness(status="ok" if ok else "fail", checks=by_name)


def readiness_checks(settings: Settings, database: Database) -> dict[str, Check]:
    """The checks of one API process; broker and model verdicts are cached."""
    ttl = settings.readiness_cache_s
    return {
        "database": database_check(database),
        "broker": CachedCheck(broker_check(settings), ttl),
        "model": CachedCheck(model_check(settings, database), ttl),
    }
