"""Redis stops: new work gets 503 and readiness reports the broker down, yet stays ready (the
API still serves what needs no broker); predictions recover when it returns.

The test runs a Redis server of its own on a free port, so stopping it touches nothing else.
"""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from server.config import Settings
from server.tests.support.databases import provision_database
from server.tests.support.models import ModelCache
from server.tests.support.processes import STARTUP_BUDGET_S
from server.tests.support.redis_server import REDIS_SERVER, RedisServer, redis_server
from server.tests.support.serving import install_version, stack_settings, worker_env
from server.tests.support.waiting import eventually
from server.tests.support.worker import celery_worker

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, model_cache: ModelCache) -> Iterator[Settings]:
    tmp: Path = tmp_path_factory.mktemp("outage")
    with redis_server(tmp) as server, provision_database("sqlite", tmp) as database:
        settings = stack_settings("embedded", database.settings.database_url, tmp)
        settings = settings.model_copy(update={"redis_url": server.url()})
        asyncio.run(install_version(settings, model_cache, alias="champion"))
        with celery_worker(worker_env(settings), queues="inference"):
            yield settings.model_copy(update={"predict_timeout_s": 3.0})


ANSWER_BUDGET_S = 30
"""In-process requests have no socket timeout: one that hangs fails the test instead."""


async def until(
    client: httpx.AsyncClient, path: str, status: int, timeout_s: float = STARTUP_BUDGET_S
) -> None:
    deadline = time.monotonic() + timeout_s
    while (await asyncio.wait_for(client.get(path), ANSWER_BUDGET_S)).status_code != status:
        assert time.monotonic() < deadline, f"{path} never answered {status}"
        await asyncio.sleep(0.25)


async def predict(client: httpx.AsyncClient) -> httpx.Response:
    request = client.post("/api/v1/predictions", json={"texts": ["refund my order"]})
    return await asyncio.wait_for(request, ANSWER_BUDGET_S)


async def test_new_work_gets_503_while_redis_is_down_and_recovers(
    client: httpx.AsyncClient, stack: Settings, tmp_path: Path
) -> None:
    await until(client, "/readiness", 200)
    await eventually(  # the worker's pool processes beat with the champion loaded
        lambda: client.get("/readiness"),
        lambda r: r.json()["dependencies"]["model"]["status"] == "ok",
        timeout_s=STARTUP_BUDGET_S,
    )
    assert (await predict(client)).status_code == 200

    port = int(str(stack.redis_url).rsplit(":", 1)[1].split("/")[0])
    redis.Redis(port=port).shutdown(nosave=True)
    readiness = await eventually(
        lambda: client.get("/readiness"),
        lambda r: r.json()["dependencies"]["broker"]["status"] == "fail",
    )
    assert readiness.status_code == 200  # this process is fine: it stays in the Service
    down = await predict(client)
    assert down.status_code == 503
    assert down.headers["content-type"] == "application/problem+json"

    restarted = RedisServer(tmp_path, port)
    restarted.start()
    try:
        await eventually(
            lambda: client.get("/readiness"),
            lambda r: r.json()["dependencies"]["broker"]["status"] == "ok",
        )
        deadline = time.monotonic() + 30
        while (answer := await predict(client)).status_code != 200:
            assert time.monotonic() < deadline, answer.text
            await asyncio.sleep(0.5)
    finally:
        restarted.stop()
