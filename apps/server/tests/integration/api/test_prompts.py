"""The prompt registry API on PostgreSQL and SQLite: scopes, registration, evaluation runs
recorded through the API, promotion gated on stored reports (refused without them, refused
for a worse prompt, accepted for an equal or better one), canary, rollback, audit.

The reports are made by the evaluation runs service, run inline here with the real agent
loop against the fake OpenAI-compatible process (`support/agent_drafter.py`); the same run
on a real worker is `worker/test_prompt_evaluations.py`.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from server.agents.llm.drafting import BUILTIN_PROMPT, PromptSpec
from server.agents.llm.evaluation import EvalSet, build_eval_set
from server.config import PromptEvalConfig
from server.database.registry_models import AliasAction, RunStatus
from server.services.assistant import prompt_eval_runs, prompts
from server.services.container import services_of
from server.tests.support.agent_drafter import AgentDrafter, scripted_drafts
from server.tests.support.apps import build_app, client_for
from server.tests.support.auth import bearer_headers
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.drafting import with_provider
from server.tests.support.fake_llm import FakeOpenAI

# One ticket per category, drafted one at a time: the fake provider answers in script order.
EVAL = PromptEvalConfig(examples_per_category=1, concurrency=1)
GOOD = BUILTIN_PROMPT.model_copy(update={"system_prompt": "Draft a helpful reply. Cite."})
WORSE = BUILTIN_PROMPT.model_copy(update={"system_prompt": "Draft a reply. Cite anything."})
PROVIDERS = {BUILTIN_PROMPT.digest(): "builtin", GOOD.digest(): "good", WORSE.digest(): "worse"}


@pytest.fixture
def eval_set() -> EvalSet:
    return build_eval_set(EVAL)


@pytest.fixture
async def api_app(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection, fake_openai: FakeOpenAI
) -> FastAPI:
    settings = with_provider(test_database.settings, fake_openai)
    return build_app(settings.model_copy(update={"prompt_eval": EVAL}), db_connection)


@pytest.fixture
async def api(api_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(api_app) as client:
        yield client


@pytest.fixture
async def evaluate(
    api_app: FastAPI, fake_openai: FakeOpenAI, eval_set: EvalSet
) -> AsyncIterator[Any]:
    """`await evaluate(version, provider, cite=...)`: an evaluation run of `version` (None:
    the builtin prompt) executed inline, the fake `provider` answering its drafts."""
    drafter = AgentDrafter(fake_openai, PROVIDERS)
    services = services_of(api_app)

    async def run(version: int | None, provider: str, cite: dict[str, str] | None = None) -> Any:
        fake_openai.script(provider, *scripted_drafts(eval_set.examples, cite=cite))
        queued = await prompt_eval_runs.create_run(
            services.database, services.settings, version, requested_by="pytest"
        )
        done = await prompt_eval_runs.execute_run(
            services.database, services.settings, queued.id, drafter
        )
        assert done.status == RunStatus.succeeded, done.error
        return done

    try:
        yield run
    finally:
        await drafter.aclose()


async def register(client: httpx.AsyncClient, spec: PromptSpec) -> int:
    response = await client.post(
        "/api/v1/prompts/versions", json={"spec": spec.model_dump(mode="json")}
    )
    assert response.status_code == 201, response.text
    version: int = response.json()["version"]
    return version


async def promote(client: httpx.AsyncClient, version: int, alias: str = "champion") -> Any:
    return await client.put(
        f"/api/v1/prompts/aliases/{alias}", json={"version": version, "reason": "better replies"}
    )


def wrong_citations(eval_set: EvalSet) -> dict[str, str]:
    return {example.expected_article: "shipping-delivery" for example in eval_set.examples}


async def test_promotion_without_reports_names_the_evaluations_to_run(
    api: httpx.AsyncClient, evaluate: Any, fake_openai: FakeOpenAI
) -> None:
    good = await register(api, GOOD)
    fake_openai.script("good")  # forget what earlier tests had it draft
    refused = await promote(api, good)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("prompt-evaluation-missing")
    assert [(ask["prompt"], ask["path"]) for ask in problem["evaluations"]] == [
        (f"v{good}", f"/api/v1/prompts/versions/{good}/evaluations"),
        ("builtin", "/api/v1/prompts/builtin/evaluations"),
    ]
    assert f"/api/v1/prompts/versions/{good}/evaluations" in problem["detail"]
    assert fake_openai.received("good") == []  # nothing was drafted in the request

    await evaluate(good, "good")
    still = (await promote(api, good)).json()
    assert [ask["prompt"] for ask in still["evaluations"]] == ["builtin"]
    assert (await api.get("/api/v1/prompts/traffic")).json()["champion"] is None


async def test_a_worse_prompt_is_refused_by_the_gate_and_a_good_one_promoted(
    api: httpx.AsyncClient, evaluate: Any, fake_openai: FakeOpenAI, eval_set: EvalSet
) -> None:
    worse, good = await register(api, WORSE), await register(api, GOOD)
    await evaluate(None, "builtin")
    await evaluate(worse, "worse", cite=wrong_citations(eval_set))
    await evaluate(good, "good")

    refused = await promote(api, worse)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("prompt-gate-failed")
    assert problem["failed_scores"] == ["citation"]
    assert "citation" in problem["detail"]
    assert "builtin" in problem["detail"]  # measured against the prompt drafts run under now
    stored = (await api.get(f"/api/v1/prompts/versions/{worse}")).json()
    assert stored["eval_report"]["gate"]["passed"] is False
    assert stored["scores"]["citation"] < 1.0
    assert stored["aliases"] == []

    # The real loop ran under the worse prompt: its system prompt reached the provider.
    received = fake_openai.received("worse")
    assert received[0]["messages"][0]["content"].startswith(WORSE.system_prompt)
    assert {tool["function"]["name"] for tool in received[0]["tools"]} >= {"search_articles"}

    promoted = await promote(api, good)
    assert promoted.status_code == 200, promoted.text
    body = promoted.json()
    assert (body["version"], body["previous_version"]) == (good, None)
    assert {check["name"]: check["passed"] for check in body["gate"]} == {
        "tool_choice": True,
        "citation": True,
        "category": True,
        "schema_validity": True,
    }
    listed = {
        v["version"]: v["aliases"] for v in (await api.get("/api/v1/prompts/versions")).json()
    }
    assert listed == {worse: [], good: ["champion"]}
    assert (await promote(api, good)).json()["gate"] == []  # already champion: no gate


async def test_an_equal_prompt_passes_against_the_champion_s_stored_report(
    api: httpx.AsyncClient, evaluate: Any, eval_set: EvalSet
) -> None:
    good, same = await register(api, GOOD), await register(api, WORSE)
    await evaluate(None, "builtin")
    await evaluate(good, "good")
    assert (await promote(api, good)).status_code == 200
    stored = (await api.get(f"/api/v1/prompts/versions/{good}")).json()["eval_report"]
    assert stored["eval_set_digest"] == eval_set.digest()

    await evaluate(same, "worse")  # the same answers: as good as the champion
    promoted = await promote(api, same)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["previous_version"] == good


async def test_a_champion_without_a_report_on_this_set_must_be_evaluated_first(
    api: httpx.AsyncClient, db_session: AsyncSession, evaluate: Any
) -> None:
    good, same = await register(api, GOOD), await register(api, WORSE)
    champion = await prompts.require_version(db_session, good)  # e.g. measured on an old set
    await prompts.move_alias(
        db_session, "champion", champion, action=AliasAction.set, actor="pytest", reason="seed"
    )
    await evaluate(same, "worse")
    refused = await promote(api, same)
    assert refused.status_code == 409
    assert refused.json()["evaluations"] == [
        {
            "prompt": f"v{good}",
            "version": good,
            "method": "POST",
            "path": f"/api/v1/prompts/versions/{good}/evaluations",
        }
    ]
    await evaluate(good, "good")
    assert (await promote(api, same)).status_code == 200


async def test_an_evaluation_is_recorded_as_a_queued_run_with_its_location(
    api: httpx.AsyncClient, eval_set: EvalSet
) -> None:
    version = await register(api, GOOD)
    started = await api.post(f"/api/v1/prompts/versions/{version}/evaluations")
    assert started.status_code == 202, started.text
    run = started.json()
    assert started.headers["location"] == f"/api/v1/prompts/evaluations/{run['id']}"
    assert (run["status"], run["prompt_version"], run["report"]) == ("queued", version, None)
    assert run["eval_set_digest"] == eval_set.digest()
    builtin = (await api.post("/api/v1/prompts/builtin/evaluations")).json()
    assert builtin["prompt_version"] is None

    assert (await api.get(started.headers["location"])).json()["id"] == run["id"]
    listed = (await api.get("/api/v1/prompts/evaluations")).json()
    assert {r["id"] for r in listed} == {run["id"], builtin["id"]}
    only = (await api.get("/api/v1/prompts/evaluations", params={"builtin": True})).json()
    assert [r["id"] for r in only] == [builtin["id"]]
    assert (await api.post("/api/v1/prompts/versions/99/evaluations")).status_code == 404
    unknown = "/api/v1/prompts/evaluations/00000000-0000-0000-0000-000000000000"
    assert (await api.get(unknown)).status_code == 404


async def test_canary_rollback_and_audit_through_the_api(
    api: httpx.AsyncClient, evaluate: Any
) -> None:
    good, other = await register(api, GOOD), await register(api, WORSE)
    assert (
        await api.put("/api/v1/prompts/traffic", json={"challenger_weight": 10})
    ).status_code == 422
    challenger = await promote(api, other, alias="challenger")  # no gate for the canary
    assert challenger.status_code == 200, challenger.text
    assert challenger.json()["gate"] == []
    canary = await api.put("/api/v1/prompts/traffic", json={"challenger_weight": 25})
    assert canary.json() == {
        "champion": None,
        "challenger": other,
        "challenger_weight": 25,
        "updated_by": canary.json()["updated_by"],
    }
    await evaluate(None, "builtin")
    await evaluate(good, "good")
    assert (await promote(api, good)).status_code == 200
    rolled = await api.post(
        "/api/v1/prompts/rollback", json={"reason": "test", "alias": "challenger"}
    )
    assert rolled.status_code == 409  # the challenger held no version before
    audit = (await api.get("/api/v1/prompts/audit")).json()
    assert [(e["alias"], e["action"], e["to_version"]) for e in audit] == [
        ("challenger", "set", other),
        ("champion", "set", good),
    ]
    assert audit[1]["reason"] == "better replies"


async def test_registering_again_answers_the_version_and_a_bad_spec_is_a_problem(
    api: httpx.AsyncClient,
) -> None:
    version = await register(api, GOOD)
    again = await api.post("/api/v1/prompts/versions", json={"spec": GOOD.model_dump(mode="json")})
    assert again.status_code == 200
    assert again.json()["version"] == version
    assert again.json()["label"] == f"v{version}"
    bad = await api.post("/api/v1/prompts/versions", json={"spec": {"system_prompt": "hi"}})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert "tool_descriptions" in bad.json()["detail"]
    missing = await api.get("/api/v1/prompts/versions/99")
    assert missing.status_code == 404


async def test_reading_needs_models_read_and_changing_needs_models_write(
    api: httpx.AsyncClient, test_database: ProvisionedDatabase
) -> None:
    version = await register(api, GOOD)
    reader = bearer_headers(test_database.settings, scopes=["models:read"])
    assert (await api.get("/api/v1/prompts/versions", headers=reader)).status_code == 200
    assert (await api.get("/api/v1/prompts/audit", headers=reader)).status_code == 200
    assert (await api.get("/api/v1/prompts/evaluations", headers=reader)).status_code == 200
    writes = [
        api.post("/api/v1/prompts/versions", json={"spec": {}}, headers=reader),
        api.put(
            "/api/v1/prompts/aliases/champion",
            json={"version": version, "reason": "r"},
            headers=reader,
        ),
        api.post("/api/v1/prompts/rollback", json={"reason": "r"}, headers=reader),
        api.put("/api/v1/prompts/traffic", json={"challenger_weight": 0}, headers=reader),
        api.post(f"/api/v1/prompts/versions/{version}/evaluations", headers=reader),
        api.post("/api/v1/prompts/builtin/evaluations", headers=reader),
    ]
    for write in writes:
        assert (await write).status_code == 403
    assert (await api.get("/api/v1/prompts/evaluations")).json() == []
    nobody = {"Authorization": ""}
    assert (await api.get("/api/v1/prompts/versions", headers=nobody)).status_code == 401


async def test_without_a_provider_an_evaluation_says_how_to_configure_one(
    client: httpx.AsyncClient,
) -> None:
    registered = await client.post(
        "/api/v1/prompts/versions", json={"spec": GOOD.model_dump(mode="json")}
    )
    version = registered.json()["version"]
    refused = await client.post(f"/api/v1/prompts/versions/{version}/evaluations")
    assert refused.status_code == 503
    assert refused.json()["type"].endswith("evaluation-unavailable")
    assert "APP_LLM__PROVIDERS" in refused.json()["detail"]
    assert (await client.post("/api/v1/prompts/builtin/evaluations")).status_code == 503
    assert (await client.get("/api/v1/prompts/evaluations")).json() == []  # nothing stored
    assert (await promote(client, version)).status_code == 409  # no report to gate on
    assert (await client.get("/api/v1/prompts/traffic")).json()["champion"] is None
