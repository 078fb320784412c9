"""Awaiting Celery results: real Redis (`APP_TEST_REDIS_URL`) and the real `file://` backend.

Results are stored by Celery's own backend objects (`backend.store_result`), exactly what a
worker does when a task ends, so the waiters are tested against the real wire format.
"""

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from celery import Celery

from server.core.errors import GatewayTimeoutError, ServiceUnavailableError
from server.taskqueue.celery_app import create_celery
from server.taskqueue.results import (
    TASK_KEY_PREFIX,
    FileResultWaiter,
    RedisResultWaiter,
    ResultWaiter,
    TaskFailedError,
    create_result_waiter,
)
from server.tests.support.settings import SettingsFactory
from server.tests.support.worker import redis_test_url

GUARD = 5.0


def _redis_param() -> Any:
    if redis_test_url() is None and os.environ.get("APP_TEST_REQUIRE_POSTGRES") != "1":
        return pytest.param("redis", marks=pytest.mark.skip(reason="APP_TEST_REDIS_URL unset"))
    return pytest.param("redis")


requires_redis = pytest.mark.skipif(
    redis_test_url() is None and os.environ.get("APP_TEST_REQUIRE_POSTGRES") != "1",
    reason="APP_TEST_REDIS_URL unset",
)


def _redis_url() -> str:
    url = redis_test_url()
    assert url, "set APP_TEST_REDIS_URL (CI does)"
    return url


class Backend:
    """A Celery app whose result backend plays the worker, plus a look at stored results."""

    def __init__(self, celery: Celery, results_dir: Path, redis_url: str | None) -> None:
        self.celery = celery
        self.results_dir = results_dir
        self.redis = redis.Redis.from_url(redis_url) if redis_url else None

    def store(self, task_id: str, value: Any, state: str = "SUCCESS", **extra: Any) -> None:
        self.celery.backend.store_result(task_id, value, state, **extra)

    def exists(self, task_id: str) -> bool:
        if self.redis is not None:
            return bool(self.redis.exists(TASK_KEY_PREFIX + task_id))
        return (self.results_dir / f"{TASK_KEY_PREFIX}{task_id}").exists()


@pytest.fixture(params=["file", _redis_param()])
def backend(
    request: pytest.FixtureRequest, make_settings: SettingsFactory, tmp_path: Path
) -> Iterator[Backend]:
    redis_url = _redis_url() if request.param == "redis" else None
    if redis_url:
        redis.Redis.from_url(redis_url).flushdb()  # database 15 belongs to the tests
    settings = make_settings(redis_url=redis_url, embedded_broker_dir=tmp_path / "broker")
    celery = create_celery(settings, include_tasks=True)  # the worker's backend
    yield Backend(celery, settings.embedded_broker_dir / "results", redis_url)
    celery.close()


@pytest.fixture
async def waiter(backend: Backend, make_settings: SettingsFactory) -> AsyncIterator[ResultWaiter]:
    if backend.redis is not None:
        made: ResultWaiter = create_result_waiter(make_settings(redis_url=_redis_url()))
    else:
        made = FileResultWaiter(backend.results_dir, poll_s=0.005, id_prefix="t-")
    yield made
    await made.aclose()


async def test_result_stored_before_wait_is_found(backend: Backend, waiter: ResultWaiter) -> None:
    task_id = waiter.new_task_id()
    backend.store(task_id, {"labels": ["billing"]})
    async with asyncio.timeout(GUARD):
        assert await waiter.wait(task_id, timeout_s=2) == {"labels": ["billing"]}


async def test_result_stored_after_expect_is_delivered(
    backend: Backend, waiter: ResultWaiter
) -> None:
    task_id = waiter.new_task_id()
    handle = waiter.expect(task_id)
    pending = asyncio.create_task(handle.wait(timeout_s=2))
    await asyncio.sleep(0.01)
    backend.store(task_id, None, "STARTED")  # not final: keeps waiting
    backend.store(task_id, [1, 2, 3])
    async with asyncio.timeout(GUARD):
        assert await pending == [1, 2, 3]


async def test_failed_task_raises_without_leaking_details(
    backend: Backend, waiter: ResultWaiter
) -> None:
    task_id = waiter.new_task_id()
    backend.store(task_id, ValueError("secret ticket text"), "FAILURE", traceback="Traceback: x")
    with pytest.raises(TaskFailedError) as caught:
        await waiter.wait(task_id, timeout_s=2)
    assert caught.value.status == 502
    assert caught.value.exc_type == "ValueError"
    assert "secret" not in caught.value.detail
    assert "Traceback" not in caught.value.detail


async def test_no_result_in_time_is_a_gateway_timeout(waiter: ResultWaiter) -> None:
    task_id = waiter.new_task_id()
    with pytest.raises(GatewayTimeoutError):
        await waiter.wait(task_id, timeout_s=0.05)
    waiter.expect(task_id).discard()  # the id is free again: nothing was left registered


async def test_result_is_deleted_once_read(backend: Backend, waiter: ResultWaiter) -> None:
    task_id = waiter.new_task_id()
    backend.store(task_id, "done")
    assert await waiter.wait(task_id, timeout_s=2) == "done"
    await waiter.aclose()  # Redis deletes in the background; closing flushes that
    assert not backend.exists(task_id)


async def test_many_concurrent_waits_all_resolve(backend: Backend, waiter: ResultWaiter) -> None:
    ids = [waiter.new_task_id() for _ in range(200)]
    for task_id in ids[:100]:  # half finish before anyone waits, half while they wait
        backend.store(task_id, task_id)
    waits = [asyncio.create_task(waiter.wait(task_id, timeout_s=GUARD)) for task_id in ids]
    await asyncio.sleep(0.01)
    for task_id in ids[100:]:
        backend.store(task_id, task_id)
    async with asyncio.timeout(GUARD):
        assert await asyncio.gather(*waits) == ids


async def test_half_written_result_file_is_read_once_complete(tmp_path: Path) -> None:
    # Celery's filesystem backend writes the file in place, so a poll can see part of it.
    waiter = FileResultWaiter(tmp_path, poll_s=0.005)
    task_id = waiter.new_task_id()
    path = tmp_path / f"{TASK_KEY_PREFIX}{task_id}"
    path.write_bytes(b'{"status": "SUCCESS", "resu')
    try:
        pending = asyncio.create_task(waiter.wait(task_id, timeout_s=GUARD))
        await asyncio.sleep(0.02)
        assert not pending.done()
        path.write_bytes(b'{"status": "SUCCESS", "result": 42}')
        async with asyncio.timeout(GUARD):
            assert await pending == 42
        assert not path.exists()
    finally:
        await waiter.aclose()


async def test_ids_not_made_by_the_waiter_are_refused(waiter: ResultWaiter) -> None:
    with pytest.raises(ValueError, match="new_task_id"):
        waiter.expect("../../etc/passwd")


async def subscribed_client(admin: redis.Redis, name: str) -> str:
    """The id of the client called `name`, once its pattern subscription is active."""
    async with asyncio.timeout(GUARD):
        while True:
            for client in admin.client_list():
                if client["name"] == name and client["psub"] == "1":
                    return str(client["id"])
            await asyncio.sleep(0.01)


@requires_redis
async def test_waits_survive_a_dropped_subscription(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    url = _redis_url()
    admin = redis.Redis.from_url(url)
    waiter = RedisResultWaiter(url, id_prefix="drop-")
    celery = create_celery(
        make_settings(redis_url=url, embedded_broker_dir=tmp_path), include_tasks=True
    )
    try:
        warm_up = waiter.new_task_id()
        celery.backend.store_result(warm_up, 0, "SUCCESS")
        assert await waiter.wait(warm_up, timeout_s=2) == 0
        task_id = waiter.new_task_id()
        handle = waiter.expect(task_id)
        # Kill the listener's socket, then publish before the loop can reconnect: the
        # message is lost on the wire and must be recovered from the stored key.
        listener = await subscribed_client(admin, "results-listener-drop")
        admin.client_kill_filter(_id=listener)
        celery.backend.store_result(task_id, "after the drop", "SUCCESS")
        async with asyncio.timeout(GUARD):
            assert await handle.wait(timeout_s=2) == "after the drop"
    finally:
        await waiter.aclose()
        celery.close()


async def test_unreachable_redis_is_service_unavailable() -> None:
    waiter = RedisResultWaiter("redis://127.0.0.1:1/0", connect_timeout_s=0.5)
    try:
        async with asyncio.timeout(GUARD):
            with pytest.raises(ServiceUnavailableError):
                await waiter.wait(waiter.new_task_id(), timeout_s=2)
            with pytest.raises(ServiceUnavailableError):  # now refused at once
                waiter.expect(waiter.new_task_id())
    finally:
        await waiter.aclose()


class Outage:
    """A TCP proxy in front of the test Redis that can be taken down and brought back."""

    def __init__(self, redis_url: str) -> None:
        target = urlsplit(redis_url)
        self.target = (target.hostname or "127.0.0.1", target.port or 6379)
        self.db = target.path.lstrip("/") or "0"
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{self.db}"

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        self.writers.clear()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self.writers += [writer, upstream_writer]
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()


@requires_redis
async def test_redis_outage_fails_waits_then_recovers(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    outage = Outage(_redis_url())
    await outage.up()
    waiter = RedisResultWaiter(outage.url, id_prefix="outage-", reconnect_max_s=0.1)
    celery = create_celery(
        make_settings(redis_url=_redis_url(), embedded_broker_dir=tmp_path), include_tasks=True
    )
    try:
        before = waiter.new_task_id()
        celery.backend.store_result(before, "before", "SUCCESS")
        assert await waiter.wait(before, timeout_s=2) == "before"
        handle = waiter.expect(waiter.new_task_id())
        await outage.down()
        async with asyncio.timeout(GUARD):
            with pytest.raises(ServiceUnavailableError):
                await handle.wait(timeout_s=GUARD)
        with pytest.raises(ServiceUnavailableError):  # refused at once while Redis is away
            waiter.expect(waiter.new_task_id())
        await outage.up()
        after = waiter.new_task_id()
        async with asyncio.timeout(GUARD):
            while True:  # the listener reconnects within `reconnect_max_s`
                with contextlib.suppress(ServiceUnavailableError):
                    handle = waiter.expect(after)
                    break
                await asyncio.sleep(0.02)
        celery.backend.store_result(after, "after", "SUCCESS")
        assert await handle.wait(timeout_s=2) == "after"
    finally:
        await waiter.aclose()
        await outage.down()
        celery.close()
