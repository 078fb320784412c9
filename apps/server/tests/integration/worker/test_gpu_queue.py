"""The GPU lane on the CPU: APP_GPU_VERSIONS routes a version's predictions to the
`inference-gpu` queue, which a worker without a GPU still scores (CPU fallback), reporting
the device it scored on; the API knows which queue has a consumer. Runs on the embedded
broker always and on Redis when configured."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.config import Settings
from server.main import create_app
from server.tests.integration.worker.test_predictions import TEXTS, eventually_ready
from server.tests.support.apps import client_for
from server.tests.support.models import ModelCache
from server.tests.support.serving import broker_backends, champion_stack


@pytest.fixture(scope="module", params=broker_backends())
def stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    model_cache: ModelCache,
) -> Iterator[Settings]:
    """A champion and one worker consuming `inference-gpu` alone, as worker-gpu does."""
    tmp: Path = tmp_path_factory.mktemp(f"gpu-lane-{request.param}")
    with champion_stack(request.param, tmp, "inference-gpu", model_cache) as settings:
        yield settings


def scored_texts(settings: Settings) -> dict[tuple[str, str], float]:
    """The worker's `inference_scored_texts_total`, by (queue, device)."""
    text = httpx.get(f"http://127.0.0.1:{settings.worker_metrics_port}/metrics").text
    return {
        (s.labels["queue"], s.labels["device"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "inference_scored_texts_total"
    }


async def test_a_version_routed_to_the_gpu_queue_is_scored_there_on_the_cpu(
    stack: Settings,
) -> None:
    settings = stack.model_copy(update={"gpu_versions": ["1"]})
    before = scored_texts(stack).get(("inference-gpu", "cpu"), 0.0)
    async with client_for(create_app(settings)) as client:
        assert (await eventually_ready(client)).status_code == 200
        response = await client.post("/api/v1/predictions", json={"texts": TEXTS})
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 1
    assert len(response.json()["predictions"]) == len(TEXTS)
    after = scored_texts(stack)
    assert after[("inference-gpu", "cpu")] == before + len(TEXTS)
    assert ("inference", "cpu") not in after


async def test_without_the_setting_the_version_stays_on_the_cpu_queue(stack: Settings) -> None:
    # Nobody consumes `inference` here: the API says so at once instead of publishing there.
    settings = stack.model_copy(update={"gpu_versions": []})
    async with client_for(create_app(settings)) as client:
        assert (await eventually_ready(client)).status_code == 200
        response = await client.post("/api/v1/predictions", json={"texts": TEXTS})
    assert response.status_code == 503, response.json()
    assert "no worker consumes the inference queue" in response.json()["detail"]
    assert ("inference", "cpu") not in scored_texts(stack)
