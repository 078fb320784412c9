"""Stale work is dropped: an inference task whose caller already gave up (504) is not
scored by a worker that resumes later, nor is a shadow task older than its expiry.

With no worker alive, predictions answer 503 at once and queue nothing; the stale task
comes from a worker that is present (its pool processes beat) but stalled: its main
process, the one consuming the queue, is stopped (SIGSTOP) while the caller waits.

Runs on the embedded broker always and on Redis when configured.
"""

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.config import Settings
from server.main import create_app
from server.taskqueue.names import PREDICT_TASK, SHADOW_TASK
from server.tests.support.apps import client_for
from server.tests.support.databases import provision_database
from server.tests.support.models import ModelCache
from server.tests.support.serving import (
    broker_backends,
    install_version,
    stack_settings,
    worker_env,
)
from server.tests.support.waiting import WORK_BUDGET_S, eventually
from server.tests.support.worker import celery_worker

STALE = ["refund order 1", "refund order 2", "refund order 3", "refund order 4"]
FRESH = ["the app crashes when I log in"]


def worker_samples(settings: Settings) -> dict[tuple[str, tuple[str, ...]], float]:
    """The worker's metric samples summed by name and label values."""
    text = httpx.get(f"http://127.0.0.1:{settings.worker_metrics_port}/metrics").text
    sums: dict[tuple[str, tuple[str, ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in {"predictions_total", "worker_tasks_total"}:
                key = (sample.name, tuple(sorted(sample.labels.values())))
                sums[key] = sums.get(key, 0.0) + sample.value
    return sums


def dropped(task: str) -> tuple[str, tuple[str, ...]]:
    return ("worker_tasks_total", tuple(sorted((task, "expired"))))


async def predict(settings: Settings, texts: list[str]) -> httpx.Response:
    async with client_for(create_app(settings)) as client:
        return await client.post("/api/v1/predictions", json={"texts": texts})


async def workers_present(settings: Settings) -> bool:
    async with client_for(create_app(settings)) as client:
        body = (await client.get("/readiness")).json()
    return bool(body["dependencies"]["workers"]["status"] == "ok")


async def shadow_everything(settings: Settings, models: ModelCache) -> None:
    """A challenger that shadows every champion prediction."""
    await install_version(settings, models, alias="challenger", seed=2)
    async with client_for(create_app(settings)) as client:
        url = f"/api/v1/models/{settings.model_name}/traffic"
        assert (
            await client.put(url, json={"challenger_weight": 0, "shadow_sample": 1.0})
        ).status_code == 200


@pytest.mark.parametrize("backend", broker_backends())
def test_a_prediction_nobody_waits_for_is_not_scored_later(
    backend: str, tmp_path: Path, model_cache: ModelCache
) -> None:
    with provision_database("sqlite", tmp_path) as database:
        settings = stack_settings(
            backend, database.settings.database_url, tmp_path, predict_timeout_s=1.0
        )
        asyncio.run(install_version(settings, model_cache, alias="champion"))
        asyncio.run(shadow_everything(settings, model_cache))
        # One pool process: it receives the queue in order, the stale task first.
        env = worker_env(settings) | {"APP_WORKER_CONCURRENCY": "1"}
        with celery_worker(env, queues="inference,shadow") as worker:
            asyncio.run(eventually(lambda: workers_present(settings), bool))
            os.kill(worker.pid, signal.SIGSTOP)  # present, but consuming nothing
            try:
                # The caller gives up after `predict_timeout_s`; its task stays queued.
                assert asyncio.run(predict(settings, STALE)).status_code == 504
            finally:
                os.kill(worker.pid, signal.SIGCONT)
            # A caller that waits long enough for the worker to catch up, and whose shadow
            # tasks are stale as soon as they are sent.
            patient = settings.model_copy(
                update={"predict_timeout_s": WORK_BUDGET_S, "shadow_expires_s": 0.001}
            )
            fresh = asyncio.run(predict(patient, FRESH))
            assert fresh.status_code == 200, fresh.text

            async def observe() -> dict[tuple[str, tuple[str, ...]], float]:
                return worker_samples(settings)

            samples = asyncio.run(eventually(observe, lambda seen: dropped(SHADOW_TASK) in seen))
    scored = sum(v for (name, _), v in samples.items() if name == "predictions_total")
    assert scored == len(FRESH)  # neither the stale texts nor their shadow were scored
    assert samples.get(dropped(PREDICT_TASK)) == 1
    assert samples.get(dropped(SHADOW_TASK)) == 1
