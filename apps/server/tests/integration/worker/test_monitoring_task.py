"""The beat-scheduled monitoring task and the worker's metrics, in a real worker process.

Runs on the embedded broker always and on Redis when configured (queue depths are only
sampled there).
"""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from server.config import Settings
from server.database.models import DriftRecord, Prediction, QualityRecord
from server.taskqueue.payloads import MonitorPayload
from server.taskqueue.publisher import publish
from server.tests.integration.worker.test_predictions import eventually_ready
from server.tests.support.models import ModelCache
from server.tests.support.serving import (
    broker_backends,
    champion_stack,
)

TEXTS = ["I was charged twice for my subscription", "The app crashes when I log in zyxwv"]


@pytest.fixture(scope="module", params=broker_backends())
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    model_cache: ModelCache,
) -> Iterator[Settings]:
    tmp: Path = tmp_path_factory.mktemp(f"monitoring-{request.param}")
    with champion_stack(request.param, tmp, "inference,batch", model_cache) as settings:
        yield settings


def worker_samples(settings: Settings) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = httpx.get(f"http://127.0.0.1:{settings.worker_metrics_port}/metrics").text
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


async def test_scoring_records_oov_rates_and_counts_inference(
    client: httpx.AsyncClient, app: FastAPI, stack: Settings
) -> None:
    assert (await eventually_ready(client)).status_code == 200
    response = await client.post("/api/v1/predictions", json={"texts": TEXTS})
    assert response.status_code == 200, response.text
    await app.state.services.predictions.records.flush()
    async with app.state.services.database.session() as session:
        rows = (await session.scalars(select(Prediction))).all()
    rates = sorted(row.oov_rate for row in rows if row.oov_rate is not None)
    assert len(rates) == len(TEXTS)
    assert rates[-1] > 0  # the made-up word is out of vocabulary

    samples = worker_samples(stack)
    assert any(v > 0 for _, v in samples["inference_duration_seconds_count"])
    assert sum(v for _, v in samples["predictions_total"]) >= len(TEXTS)
    assert ({"model": "ticket-triage", "version": "1", "role": "champion"}, 1.0) in samples[
        "model_serving_info"
    ]
    assert samples["process_resident_memory_bytes"][0][1] > 0
    queues = {labels["queue"] for labels, _ in samples.get("queue_messages", [])}
    assert queues == (
        {"inference", "batch", "shadow", "training", "inference-gpu"} if stack.redis_url else set()
    )


async def test_the_monitoring_task_stores_reports_and_sets_gauges(
    app: FastAPI, stack: Settings
) -> None:
    await publish(app.state.services.celery, MonitorPayload())
    deadline = time.monotonic() + 30
    drift: list[DriftRecord] = []
    while not drift and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        async with app.state.services.database.session() as session:
            drift = list((await session.scalars(select(DriftRecord))).all())
            quality = (await session.scalars(select(QualityRecord))).all()
    assert [(r.version, r.role, r.severity) for r in drift] == [
        (1, "champion", "insufficient_data")
    ]
    assert [r.status for r in quality] == ["insufficient_data"]

    samples = worker_samples(stack)
    severities = {labels["feature"]: v for labels, v in samples["model_drift_severity"]}
    assert severities == dict.fromkeys(
        ["text_length", "oov_rate", "predicted_class", "confidence"], -1.0
    )
    gates = {labels["metric"]: v for labels, v in samples["model_quality_gate"]}
    assert gates["macro_auc"] == stack.gates.min_macro_auc
