"""Tampering is caught while serving: a worker re-checks the digests of the artifacts it has
loaded, unloads a modified one and refuses it with the reason, which predictions (503),
readiness, the monitoring overview and the worker's metrics carry.

Runs on the embedded broker of `make dev` always and on Redis when configured.
"""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.config import Settings
from server.tests.support.models import ModelCache
from server.tests.support.serving import (
    broker_backends,
    champion_stack,
)
from server.tests.support.waiting import eventually

TEXTS = ["I was charged twice for my subscription"]


@pytest.fixture(scope="module", params=broker_backends())
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    model_cache: ModelCache,
) -> Iterator[Settings]:
    tmp: Path = tmp_path_factory.mktemp(f"reverify-{request.param}")
    with champion_stack(request.param, tmp, "inference", model_cache) as settings:
        yield settings


def refused_gauge(settings: Settings, version: int) -> float | None:
    text = httpx.get(f"http://127.0.0.1:{settings.worker_metrics_port}/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "model_artifact_refused" and sample.labels == {
                "model": settings.model_name,
                "version": str(version),
            }:
                return sample.value
    return None


async def test_a_champion_tampered_while_serving_is_refused_within_the_interval(
    client: httpx.AsyncClient, stack: Settings
) -> None:
    async def predict() -> httpx.Response:
        return await client.post("/api/v1/predictions", json={"texts": TEXTS})

    served = await eventually(predict, lambda r: r.status_code == 200)
    assert served.json()["version"] == 1

    weights = stack.artifact_root / stack.model_name / "1" / "weights.npy"
    original = weights.read_bytes()
    tampered = bytearray(original)
    tampered[-1] ^= 0xFF  # one flipped byte, after the worker loaded and verified it
    weights.write_bytes(bytes(tampered))
    changed = time.monotonic()

    answer = await eventually(predict, lambda r: r.status_code == 503)
    caught_after = time.monotonic() - changed
    # Within the re-check interval plus one refresh tick (and slack for a loaded machine).
    assert caught_after < stack.artifact_verify_interval_s + stack.worker_model_refresh_s + 15
    detail = answer.json()["detail"]
    assert f"version 1 of '{stack.model_name}' is refused: artifact" in detail
    assert "weights.npy sha256" in detail
    assert answer.headers["retry-after"]

    # Each pool process re-checks (and loads) on its own clock: until all have, the model
    # may fail for another reason (one refused it, another has not loaded it yet); once all
    # have, every view agrees.
    readiness = await eventually(
        lambda: client.get("/readiness"),
        lambda r: "refused by the workers" in (r.json()["dependencies"]["model"]["error"] or ""),
    )
    assert readiness.status_code == 200
    error = readiness.json()["dependencies"]["model"]["error"]
    assert "champion version 1 is refused by the workers" in error
    assert "weights.npy sha256" in error

    overview = await client.get("/api/v1/monitoring/overview")
    assert overview.status_code == 200, overview.text
    (champion,) = [v for v in overview.json()["models"][0]["versions"] if v["role"] == "champion"]
    assert champion["loaded_by"] == 0
    assert any("weights.npy sha256" in reason for reason in champion["refused"])

    assert refused_gauge(stack, 1) == 1

    # The file restored, the worker loads the version again at its next refresh.
    weights.write_bytes(original)
    again = await eventually(predict, lambda r: r.status_code == 200)
    assert again.json()["version"] == 1
    await eventually(lambda: asyncio.to_thread(refused_gauge, stack, 1), lambda v: v == 0)
