"""Feedback sent at once to another API process than the one that answered the prediction.

Two real API processes (uvicorn, as deployed) share PostgreSQL, Redis and a worker. Each
buffers its prediction records for 1.5 s, so feedback sent to the other process right after
a prediction arrives before the record does. Real processes, not two in-process apps: every
one is stopped by its context manager, and every request has a timeout, so the test cannot
hang.
"""

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.config import Settings
from server.services.predictions.records import new_prediction_id
from server.tests.support.auth import bearer_headers
from server.tests.support.databases import postgres_param, provision_database
from server.tests.support.live_server import live_server
from server.tests.support.models import ModelCache
from server.tests.support.serving import (
    broker_backends,
    install_version,
    stack_settings,
    worker_env,
)
from server.tests.support.waiting import WORK_BUDGET_S
from server.tests.support.worker import celery_worker

FLUSH_MS = 1500
"""Longer than the test takes to send feedback after its prediction, on a busy machine."""
REQUEST_TIMEOUT_S = 30.0
TEXT = "I was charged twice for my subscription"

pytestmark = pytest.mark.skipif(
    "redis" not in broker_backends(), reason="APP_TEST_REDIS_URL is not set"
)


@pytest.fixture(scope="module", params=[postgres_param()])
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    model_cache: ModelCache,
) -> Iterator[Settings]:
    tmp: Path = tmp_path_factory.mktemp("feedback-across")
    with provision_database(request.param, tmp) as database:
        settings = stack_settings("redis", database.settings.database_url, tmp)
        asyncio.run(install_version(settings, model_cache, alias="champion"))
        with celery_worker(worker_env(settings), queues="inference"):
            yield settings


def api_env(settings: Settings, name: str) -> dict[str, str]:
    env = worker_env(settings)
    del env["APP_WORKER_METRICS_PORT"]  # the worker's, not the API's
    env["APP_METRICS_MULTIPROC_DIR"] = str(Path(env["APP_METRICS_MULTIPROC_DIR"]) / name)
    env["APP_PREDICTION_LOG_FLUSH_MS"] = str(FLUSH_MS)
    return env


@pytest.fixture(scope="module")
def servers(stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    tmp = tmp_path_factory.mktemp("feedback-apis")
    with (
        live_server(api_env(stack, "a"), tmp / "a") as first,
        live_server(api_env(stack, "b"), tmp / "b") as second,
    ):
        yield [first.base_url, second.base_url]


def client(base_url: str, settings: Settings) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, headers=bearer_headers(settings), timeout=REQUEST_TIMEOUT_S
    )


def predict(http: httpx.Client) -> str:
    """The id of a fresh prediction, once the worker serves (it may still be starting)."""
    deadline = time.monotonic() + WORK_BUDGET_S
    while (answer := http.post("/api/v1/predictions", json={"texts": [TEXT]})).status_code != 200:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.5)
    prediction_id: str = answer.json()["predictions"][0]["id"]
    return prediction_id


@pytest.mark.parametrize(("asked", "told"), [(0, 1), (1, 0)])
def test_feedback_right_after_a_prediction_of_another_process_is_recorded(
    servers: list[str], stack: Settings, asked: int, told: int
) -> None:
    with client(servers[asked], stack) as first, client(servers[told], stack) as second:
        for _ in range(3):
            url = f"/api/v1/predictions/{predict(first)}/feedback"
            answer = second.post(url, json={"label": "billing"})
            assert answer.status_code == 200, answer.text
            assert answer.json()["correct"] is True
            # Recorded once: the same label again is accepted, another one conflicts.
            assert first.post(url, json={"label": "billing"}).status_code == 200
            assert first.post(url, json={"label": "refund"}).status_code == 409


def test_feedback_right_after_a_prediction_of_the_same_process_is_recorded(
    servers: list[str], stack: Settings
) -> None:
    with client(servers[0], stack) as http:
        for _ in range(3):
            answer = http.post(
                f"/api/v1/predictions/{predict(http)}/feedback", json={"label": "billing"}
            )
            assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("kind", "prediction_id", "longest_s"),
    [
        # Not an id of ours (a UUID of another version): no buffer can hold it, no wait.
        ("foreign", uuid.uuid4(), FLUSH_MS / 1000),
        # One of ours, never used: waited for as long as a buffer may hold a record (the
        # flush interval and `feedback_wait_ms`), and no longer (a margin for a busy box).
        ("fresh", None, FLUSH_MS / 1000 + 1.0 + 3.0),
    ],
)
def test_an_id_that_never_existed_is_404_within_a_bounded_wait(
    servers: list[str],
    stack: Settings,
    kind: str,
    prediction_id: uuid.UUID | None,
    longest_s: float,
) -> None:
    url = f"/api/v1/predictions/{prediction_id or new_prediction_id()}/feedback"
    with client(servers[1], stack) as http:
        started = time.monotonic()
        answer = http.post(url, json={"label": "billing"})
        took = time.monotonic() - started
    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert took < longest_s, f"{kind}: {took:.2f} s"
