"""The prompt registry API on PostgreSQL and SQLite, with the evaluation gate run by the
real agent loop against the fake OpenAI-compatible process (`support/agent_drafter.py`):
scopes, registration, promotion refused for a worse prompt, canary, rollback, audit."""

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from server.agents.llm.drafting import BUILTIN_PROMPT, PromptSpec
from server.agents.llm.evaluation import EvalSet, build_eval_set
from server.config import PromptEvalConfig
from server.database.registry_models import AliasAction
from server.services.assistant import prompts
from server.tests.support.agent_drafter import AgentDrafter, scripted_drafts
from server.tests.support.apps import build_app, client_for
from server.tests.support.auth import bearer_headers
from server.tests.support.databases import ProvisionedDatabase
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
async def api(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection, fake_openai: FakeOpenAI
) -> AsyncIterator[httpx.AsyncClient]:
    settings = test_database.settings.model_copy(update={"prompt_eval": EVAL})
    app = build_app(settings, db_connection)
    drafter = AgentDrafter(fake_openai, PROVIDERS)
    app.state.services = dataclasses.replace(app.state.services, eval_drafter=drafter)
    try:
        async with client_for(app) as client:
            yield client
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


def script_all(fake: FakeOpenAI, eval_set: EvalSet, *, worse_cites: str) -> None:
    for name in ("builtin", "good"):
        fake.script(name, *scripted_drafts(eval_set.examples))
    wrong = {example.expected_article: worse_cites for example in eval_set.examples}
    fake.script("worse", *scripted_drafts(eval_set.examples, cite=wrong))


async def test_a_worse_prompt_is_refused_by_the_gate_and_a_good_one_promoted(
    api: httpx.AsyncClient, fake_openai: FakeOpenAI, eval_set: EvalSet
) -> None:
    script_all(fake_openai, eval_set, worse_cites="shipping-delivery")
    worse, good = await register(api, WORSE), await register(api, GOOD)

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
    canary = (await api.get("/api/v1/prompts/traffic")).json()
    assert canary["champion"] is None

    # The real loop ran under the worse prompt: its system prompt reached the provider.
    received = fake_openai.received("worse")
    assert received[0]["messages"][0]["content"].startswith(WORSE.system_prompt)
    assert {tool["function"]["name"] for tool in received[0]["tools"]} >= {"search_articles"}

    fake_openai.script("good", *scripted_drafts(eval_set.examples))
    fake_openai.script("builtin", *scripted_drafts(eval_set.examples))
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


async def test_the_champion_s_stored_report_spares_evaluating_it_again(
    api: httpx.AsyncClient, fake_openai: FakeOpenAI, eval_set: EvalSet
) -> None:
    good = await register(api, GOOD)
    fake_openai.script("good", *scripted_drafts(eval_set.examples))
    fake_openai.script("builtin", *scripted_drafts(eval_set.examples))
    assert (await promote(api, good)).status_code == 200
    stored = (await api.get(f"/api/v1/prompts/versions/{good}")).json()["eval_report"]
    assert stored["eval_set_digest"] == eval_set.digest()

    # As good as the champion (the same answers): it passes, within no tolerance.
    same = await register(api, WORSE)
    fake_openai.script("worse", *scripted_drafts(eval_set.examples))
    fake_openai.script("good", *scripted_drafts(eval_set.examples))
    promoted = await promote(api, same)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["previous_version"] == good
    assert fake_openai.received("good") == []  # its stored report was used
    assert len(fake_openai.received("worse")) == 2 * len(eval_set.examples)


async def test_canary_rollback_and_audit_through_the_api(
    api: httpx.AsyncClient, fake_openai: FakeOpenAI, eval_set: EvalSet
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
    fake_openai.script("good", *scripted_drafts(eval_set.examples))
    fake_openai.script("builtin", *scripted_drafts(eval_set.examples))
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
    writes = [
        api.post("/api/v1/prompts/versions", json={"spec": {}}, headers=reader),
        api.put(
            "/api/v1/prompts/aliases/champion",
            json={"version": version, "reason": "r"},
            headers=reader,
        ),
        api.post("/api/v1/prompts/rollback", json={"reason": "r"}, headers=reader),
        api.put("/api/v1/prompts/traffic", json={"challenger_weight": 0}, headers=reader),
    ]
    for write in writes:
        assert (await write).status_code == 403
    nobody = {"Authorization": ""}
    assert (await api.get("/api/v1/prompts/versions", headers=nobody)).status_code == 401


async def test_without_a_provider_promotion_says_how_to_configure_one(
    client: httpx.AsyncClient,
) -> None:
    registered = await client.post(
        "/api/v1/prompts/versions", json={"spec": GOOD.model_dump(mode="json")}
    )
    refused = await promote(client, registered.json()["version"])
    assert refused.status_code == 503
    assert "APP_LLM__PROVIDERS" in refused.json()["detail"]
    assert (await client.get("/api/v1/prompts/traffic")).json()["champion"] is None


async def test_a_champion_without_a_report_on_this_set_is_evaluated_and_keeps_it(
    api: httpx.AsyncClient,
    db_session: AsyncSession,
    fake_openai: FakeOpenAI,
    eval_set: EvalSet,
) -> None:
    good, same = await register(api, GOOD), await register(api, WORSE)
    champion = await prompts.require_version(db_session, good)  # e.g. measured on an old set
    await prompts.move_alias(
        db_session, "champion", champion, action=AliasAction.set, actor="pytest", reason="seed"
    )
    fake_openai.script("good", *scripted_drafts(eval_set.examples))
    fake_openai.script("worse", *scripted_drafts(eval_set.examples))
    promoted = await promote(api, same)
    assert promoted.status_code == 200, promoted.text
    assert len(fake_openai.received("good")) == 2 * len(eval_set.examples)
    kept = (await api.get(f"/api/v1/prompts/versions/{good}")).json()["eval_report"]
    assert kept["eval_set_digest"] == eval_set.digest()
    assert kept["prompt_label"] == f"v{good}"
    assert "gate" not in kept  # measured as the champion, not gated
