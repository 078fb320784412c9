"""Readiness of this API process, and what it knows of the shared dependencies.

Readiness answers one question: should *this* process get traffic? It has started, it is
not draining, and its own database pool answers (checked on every probe). Shared
downstreams (the broker, the workers, the champion loaded in a live worker, artifacts a
worker refused) are reported in the same body under `dependencies` and as the
`dependency_up` gauges, but never fail readiness: when they fail every API process fails
alike, and taking them all out of the Service would darken sign-in, the registry and the
docs as well. The routes that need a dependency answer 503 with the reason instead.

The dependencies are read at most every `readiness_cache_s`, so frequent probes stay cheap.
"""

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import redis.asyncio as aioredis

from server.config import Settings
from server.core.lifecycle import Lifecycle
from server.core.metrics import DEPENDENCY_UP, WORKER_PROCESSES
from server.database.session import Database
from server.schemas.health import CheckResult, Readiness
from server.services import registry
from server.taskqueue.presence import WorkerPresence, WorkerView

Check = Callable[[], Awaitable[str | None]]
"""A check: returns an optional note when it passes, raises when it fails."""


class CheckFailedError(Exception):
    """A check's own verdict; its message is safe to show in the probe's answer."""


def database_check(database: Database) -> Check:
    async def check() -> None:
        await database.ping()

    return check


def lifecycle_check(lifecycle: Lifecycle) -> Check:
    async def check() -> None:
        problem = lifecycle.problem()
        if problem:
            raise CheckFailedError(problem)

    return check


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


async def _live_workers(presence: WorkerPresence) -> WorkerView:
    view = await presence.view()
    if view is None:
        raise CheckFailedError(presence.error or "the worker heartbeats could not be read")
    return view


def workers_check(presence: WorkerPresence) -> Check:
    async def check() -> str:
        serving = len((await _live_workers(presence)).serving)
        WORKER_PROCESSES.set(serving)
        if not serving:
            raise CheckFailedError("no worker serving predictions is running")
        return f"{serving} worker processes serving predictions"

    return check


def model_check(settings: Settings, database: Database, presence: WorkerPresence) -> Check:
    async def check() -> str:
        async with database.session() as session:
            served = await registry.served_versions(session, settings.model_name)
        if "champion" not in served:
            raise CheckFailedError(f"no version of '{settings.model_name}' is champion yet")
        version = served["champion"][0]
        view = await _live_workers(presence)
        loaded = view.loaded_by(settings.model_name, version)
        if loaded:
            return f"champion version {version} loaded by {loaded} worker processes"
        refusals = view.refusals(settings.model_name, version)
        if refusals:
            raise CheckFailedError(
                f"champion version {version} is refused by the workers: {'; '.join(refusals)}"
            )
        raise CheckFailedError(
            f"champion version {version} is not loaded by any live worker "
            f"({len(view.serving)} worker processes serving predictions)"
        )

    return check


class CachedCheck:
    """Reuse a check's result for `ttl_s`; a probe every second then costs one run in N."""

    def __init__(self, check: Check, ttl_s: float) -> None:
        self.check, self.ttl_s = check, ttl_s
        self._at = -1e9
        self._note: str | None = None
        self._error: BaseException | None = None

    async def __call__(self) -> str | None:
        if time.monotonic() - self._at > self.ttl_s:
            try:
                self._note, self._error = await self.check(), None
            except Exception as exc:
                self._note, self._error = None, exc
            self._at = time.monotonic()
        if self._error is not None:
            raise self._error
        return self._note


async def _run_check(check: Check, timeout_s: float) -> CheckResult:
    start = time.perf_counter()
    note: str | None = None
    try:
        note = await asyncio.wait_for(check(), timeout=timeout_s)
    except TimeoutError:
        error: str | None = f"no answer within {timeout_s} s"
    except CheckFailedError as exc:
        error = str(exc)
    except Exception as exc:  # a probe reports any failure, it never raises
        error = type(exc).__name__
    else:
        error = None
    latency_ms = round((time.perf_counter() - start) * 1000, 2)
    return CheckResult(
        status="fail" if error else "ok", latency_ms=latency_ms, error=error, detail=note
    )


async def run_checks(checks: Mapping[str, Check], timeout_s: float) -> dict[str, CheckResult]:
    """Run every check concurrently, each bounded by `timeout_s`."""
    names = list(checks)
    results = await asyncio.gather(*(_run_check(checks[name], timeout_s) for name in names))
    return dict(zip(names, results, strict=True))


@dataclass(frozen=True)
class ReadinessChecks:
    """This process's own checks (they decide readiness) and the shared dependencies (they
    are reported)."""

    own: Mapping[str, Check]
    dependencies: Mapping[str, Check]


async def check_readiness(checks: ReadinessChecks, timeout_s: float) -> Readiness:
    """Run every check; ready when every one of the process's own checks passes."""
    own, dependencies = await asyncio.gather(
        run_checks(checks.own, timeout_s), run_checks(checks.dependencies, timeout_s)
    )
    for name, result in dependencies.items():
        DEPENDENCY_UP.labels(name).set(1 if result.status == "ok" else 0)
    ok = all(result.status == "ok" for result in own.values())
    return Readiness(status="ok" if ok else "fail", checks=own, dependencies=dependencies)


def readiness_checks(
    settings: Settings, database: Database, lifecycle: Lifecycle, presence: WorkerPresence
) -> ReadinessChecks:
    """The checks of one API process; the dependencies' verdicts are cached."""
    ttl = settings.readiness_cache_s
    return ReadinessChecks(
        own={"process": lifecycle_check(lifecycle), "database": database_check(database)},
        dependencies={
            "broker": CachedCheck(broker_check(settings), ttl),
            "workers": workers_check(presence),  # the presence view is cached itself
            "model": CachedCheck(model_check(settings, database, presence), ttl),
        },
    )
