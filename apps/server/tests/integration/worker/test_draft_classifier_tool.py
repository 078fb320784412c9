"""The drafts' `classify_ticket` tool goes the way of predictions: through the micro-batcher
and the broker to a real worker process, which scores the (redacted) ticket."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from server.config import Settings
from server.main import create_app
from server.tests.support.drafting import PROVIDER, answer_step, tool_step, with_provider
from server.tests.support.fake_llm import FakeOpenAI
from server.tests.support.models import ModelCache
from server.tests.support.serving import champion_stack
from server.tests.support.waiting import eventually

TICKET = "I was charged twice for my subscription, mail me at jane@example.com"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, model_cache: ModelCache) -> Iterator[Settings]:
    tmp: Path = tmp_path_factory.mktemp("draft-classifier")
    with champion_stack("embedded", tmp, "inference", model_cache) as settings:
        yield settings


@pytest.fixture
def app(stack: Settings, fake_openai: FakeOpenAI) -> FastAPI:
    return create_app(with_provider(stack, fake_openai))


async def test_the_classifier_tool_is_answered_by_the_worker(
    client: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    async def model_status() -> object:
        body = (await client.get("/readiness")).json()
        return body.get("dependencies", {}).get("model", {}).get("status")

    await eventually(model_status, lambda status: status == "ok")  # a worker loaded it
    fake_openai.script(
        PROVIDER, tool_step(("classify_ticket", {})), answer_step(category="billing")
    )
    response = await client.post("/api/v1/drafts", json={"ticket": TICKET})
    assert response.status_code == 201, response.text
    step = response.json()["steps"][1]
    assert (step["name"], step["error"]) == ("classify_ticket", None)
    assert step["result"]["category"] == "billing"
    assert step["result"]["model_version"] == 1
    assert 0 < step["result"]["confidence"] <= 1
    # The model was told the worker's answer.
    tool_turn = fake_openai.received(PROVIDER)[1]["messages"][-1]
    assert tool_turn["role"] == "tool"
    assert '"category": "billing"' in tool_turn["content"]
