"""A promotion or a rollback made through one API process is served by every other at once
(issue 13, item 6): two real API processes on PostgreSQL and Redis and a real worker. Their
serving plans live for an hour, so only the change announced on Redis pub/sub can explain
a prediction from the new version.
"""

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from server.config import Settings
from server.tests.support.auth import bearer_headers
from server.tests.support.databases import postgres_admin_url, provision_database
from server.tests.support.live_server import LiveServer, live_server
from server.tests.support.models import ModelCache
from server.tests.support.serving import install_version, stack_settings, worker_env
from server.tests.support.waiting import eventually
from server.tests.support.worker import celery_worker, redis_test_url

pytestmark = pytest.mark.skipif(
    redis_test_url() is None or postgres_admin_url() is None,
    reason="needs APP_TEST_REDIS_URL and APP_TEST_DATABASE_URL",
)

PLAN_TTL_S = 3600


def api_env(settings: Settings) -> dict[str, str]:
    return {
        "APP_DATABASE_URL": settings.database_url,
        "APP_REDIS_URL": str(settings.redis_url),
        "APP_ARTIFACT_ROOT": str(settings.artifact_root),
        "APP_SERVING_PLAN_TTL_S": str(PLAN_TTL_S),
    }


@pytest.fixture(scope="module")
def two_apis(
    tmp_path_factory: pytest.TempPathFactory, model_cache: ModelCache
) -> Iterator[tuple[Settings, LiveServer, LiveServer]]:
    tmp: Path = tmp_path_factory.mktemp("promotion")
    with provision_database("postgres", tmp) as database, ExitStack() as stack:
        settings = stack_settings("redis", database.settings.database_url, tmp)
        asyncio.run(install_version(settings, model_cache, alias="champion", seed=1))
        asyncio.run(install_version(settings, model_cache, alias=None, seed=2))
        stack.enter_context(celery_worker(worker_env(settings), queues="inference"))
        first = stack.enter_context(live_server(api_env(settings), tmp / "a"))
        second = stack.enter_context(live_server(api_env(settings), tmp / "b"))
        yield settings, first, second


async def version_answering(client: httpx.AsyncClient) -> int:
    """The version behind the next successful prediction (retried while a worker starts)."""
    answer = await eventually(
        lambda: client.post("/api/v1/predictions", json={"texts": ["refund my order"]}),
        lambda response: response.status_code == 200,
        interval_s=0.5,
    )
    version: int = answer.json()["version"]
    return version


async def test_a_promotion_and_a_rollback_on_one_api_reach_the_other_at_once(
    two_apis: tuple[Settings, LiveServer, LiveServer],
) -> None:
    settings, first, second = two_apis
    headers = bearer_headers(settings)
    models = f"/api/v1/models/{settings.model_name}"
    async with (
        httpx.AsyncClient(base_url=first.base_url, headers=headers, timeout=60) as a,
        httpx.AsyncClient(base_url=second.base_url, headers=headers, timeout=60) as b,
    ):
        assert await version_answering(a) == 1
        assert await version_answering(b) == 1  # B now holds a plan for an hour

        promoted = await a.put(f"{models}/aliases/champion", json={"version": 2, "reason": "t"})
        assert promoted.status_code == 200, promoted.text
        assert await version_answering(b) == 2
        assert await version_answering(a) == 2

        rolled_back = await a.post(f"{models}/rollback", json={"reason": "t"})
        assert rolled_back.status_code == 200, rolled_back.text
        assert await version_answering(b) == 1
        assert await version_answering(a) == 1
