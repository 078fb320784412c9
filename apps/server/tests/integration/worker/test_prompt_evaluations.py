"""Prompt evaluations as jobs: the API records the run, a real worker on the `training`
queue drafts the evaluation set through the drafting service's own drafter (whose
`classify_ticket` tool is answered by a real worker on `inference`) against the fake
OpenAI-compatible process, and stores the report the promotion gate reads."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from server.agents.data.articles import generate_articles
from server.agents.llm.drafting import BUILTIN_PROMPT, CLASSIFY_TOOL, SEARCH_TOOL
from server.agents.llm.evaluation import EvalSet, build_eval_set
from server.config import PromptEvalConfig, Settings
from server.database.session import Database
from server.main import create_app
from server.services.assistant.articles import seed_articles
from server.tests.support.drafting import FAST, PROVIDER, with_provider
from server.tests.support.fake_llm import FakeOpenAI
from server.tests.support.live_server import free_port
from server.tests.support.models import ModelCache
from server.tests.support.serving import champion_stack, worker_env
from server.tests.support.waiting import eventually
from server.tests.support.worker import celery_worker

EVAL = PromptEvalConfig(examples_per_category=1, concurrency=1)
GOOD = BUILTIN_PROMPT.model_copy(update={"system_prompt": "Draft a helpful reply. Cite."})
RUN_BUDGET_S = 120.0  # a dozen drafts, each a classifier round trip, on a busy machine


TITLES = {article.slug: article.title for article in generate_articles()}


def scripted_drafts(eval_set: EvalSet) -> list[dict[str, Any]]:
    """The provider's steps for drafting `eval_set` in order: ask the classifier and search
    for the expected article's title, then answer citing it."""
    steps: list[dict[str, Any]] = []
    for example in eval_set.examples:
        answer = {
            "reply": "Thanks for writing; here is what to do.",
            "category": example.expected_category,
            "cited_articles": [example.expected_article],
            "confidence_note": "The article matches the ticket.",
        }
        query = TITLES[example.expected_article]
        calls = [
            {"name": CLASSIFY_TOOL, "arguments": json.dumps({"text": example.ticket})},
            {"name": SEARCH_TOOL, "arguments": json.dumps({"query": query})},
        ]
        steps += [{"tool_calls": calls}, {"content": json.dumps(answer)}]
    return steps


async def seed(settings: Settings) -> None:
    database = Database.from_settings(settings)
    try:
        async with database.session() as session:
            await seed_articles(session, generate_articles())
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, model_cache: ModelCache, fake_openai: FakeOpenAI
) -> Iterator[Settings]:
    """A champion classifier on an `inference` worker, and a `training` worker of its own
    that runs the evaluations with the fake provider (as deployed: apart, so an evaluation
    never waits on its own process for the classifier's answers)."""
    tmp: Path = tmp_path_factory.mktemp("prompt-evaluations")
    with champion_stack("embedded", tmp, "inference", model_cache) as settings:
        asyncio.run(seed(settings))
        provider = fake_openai.provider(PROVIDER)
        env = worker_env(settings) | {
            "APP_WORKER_METRICS_PORT": str(free_port()),
            "APP_LLM__PROVIDERS": json.dumps([provider.model_dump(mode="json")]),
            **{f"APP_LLM__{name.upper()}": str(value) for name, value in FAST.items()},
            "APP_PROMPT_EVAL__EXAMPLES_PER_CATEGORY": str(EVAL.examples_per_category),
            "APP_PROMPT_EVAL__CONCURRENCY": str(EVAL.concurrency),
        }
        with celery_worker(env, queues="training"):
            yield settings


@pytest.fixture
def app(stack: Settings, fake_openai: FakeOpenAI) -> FastAPI:
    return create_app(with_provider(stack, fake_openai).model_copy(update={"prompt_eval": EVAL}))


@pytest.fixture
def eval_set() -> EvalSet:
    return build_eval_set(EVAL)


async def finished(client: httpx.AsyncClient, location: str) -> Any:
    async def observe() -> Any:
        return (await client.get(location)).json()

    return await eventually(
        observe, lambda run: run["status"] in ("succeeded", "failed"), RUN_BUDGET_S
    )


async def register(client: httpx.AsyncClient) -> int:
    response = await client.post(
        "/api/v1/prompts/versions", json={"spec": GOOD.model_dump(mode="json")}
    )
    assert response.status_code in (200, 201), response.text
    version: int = response.json()["version"]
    return version


async def test_evaluations_run_on_the_worker_and_then_the_version_is_promoted(
    client: httpx.AsyncClient, fake_openai: FakeOpenAI, eval_set: EvalSet
) -> None:
    version = await register(client)
    fake_openai.script(PROVIDER, *scripted_drafts(eval_set))
    started = await client.post(f"/api/v1/prompts/versions/{version}/evaluations")
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued"

    run = await finished(client, started.headers["location"])
    assert run["status"] == "succeeded", run["error"]
    assert run["report"]["prompt_label"] == f"v{version}"
    assert run["report"]["eval_set_digest"] == eval_set.digest()
    assert run["report"]["scores"]["citation"] == 1.0
    assert run["started_at"] is not None
    assert run["finished_at"] is not None
    stored = (await client.get(f"/api/v1/prompts/versions/{version}")).json()
    assert stored["eval_report"]["scores"] == run["report"]["scores"]
    # The classifier tool was answered by the inference worker, and the model told so.
    tool_turn = fake_openai.received(PROVIDER)[1]["messages"][-2]
    assert tool_turn["role"] == "tool"
    assert '"model_version": 1' in tool_turn["content"]

    refused = await client.put(
        "/api/v1/prompts/aliases/champion", json={"version": version, "reason": "better"}
    )
    assert refused.status_code == 409
    assert [ask["prompt"] for ask in refused.json()["evaluations"]] == ["builtin"]

    fake_openai.script(PROVIDER, *scripted_drafts(eval_set))
    builtin = await client.post("/api/v1/prompts/builtin/evaluations")
    assert (await finished(client, builtin.headers["location"]))["status"] == "succeeded"
    promoted = await client.put(
        "/api/v1/prompts/aliases/champion", json={"version": version, "reason": "better"}
    )
    assert promoted.status_code == 200, promoted.text
    assert all(check["passed"] for check in promoted.json()["gate"])


async def test_a_provider_failure_mid_run_ends_the_run_failed_with_nothing_stored(
    client: httpx.AsyncClient, fake_openai: FakeOpenAI, eval_set: EvalSet
) -> None:
    version = await register(client)
    before = (await client.get(f"/api/v1/prompts/versions/{version}")).json()["eval_report"]
    # The first draft is answered, then the provider breaks down.
    first = scripted_drafts(eval_set)[:2]
    fake_openai.script(PROVIDER, *first, {"status": 500}, {"status": 500})
    started = await client.post(f"/api/v1/prompts/versions/{version}/evaluations")

    run = await finished(client, started.headers["location"])
    assert run["status"] == "failed"
    assert run["error"]["kind"] == "provider"
    assert "provider" in run["error"]["detail"]
    assert run["report"] is None
    after = (await client.get(f"/api/v1/prompts/versions/{version}")).json()["eval_report"]
    assert after == before  # the version keeps the report it had
    assert len(fake_openai.received(PROVIDER)) == len(first) + 1
