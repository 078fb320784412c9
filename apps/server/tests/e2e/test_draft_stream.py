"""A streamed draft through a real API process (uvicorn, as deployed): the events reach the
client while the run goes on, not when it ends, and a client that hangs up mid-run leaves
its draft stored as failed, not running forever."""

import json
from collections.abc import Iterator

import httpx
import pytest

from server.tests.support.auth import bearer_headers
from server.tests.support.databases import ProvisionedDatabase, provision_database
from server.tests.support.drafting import PROVIDER, answer_step
from server.tests.support.fake_llm import FakeOpenAI
from server.tests.support.live_server import live_server
from server.tests.support.waiting import WORK_BUDGET_S, eventually

STALL_S = 120
"""How long the provider takes to answer: far longer than the test needs to look."""


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProvisionedDatabase]:
    with provision_database("sqlite", tmp_path_factory.mktemp("draft-stream-db")) as provisioned:
        yield provisioned


@pytest.fixture(scope="module")
def api(
    database: ProvisionedDatabase,
    fake_openai: FakeOpenAI,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    provider = fake_openai.provider(PROVIDER).model_dump(mode="json", exclude_none=True)
    env = {
        "APP_DATABASE_URL": database.settings.database_url,
        "APP_LLM__PROVIDERS": json.dumps([provider]),
        "APP_LLM__CALL_TIMEOUT_S": str(STALL_S * 2),
        "APP_LLM__TOTAL_BUDGET_S": str(STALL_S * 2),
    }
    with live_server(env, tmp_path_factory.mktemp("draft-stream-api")) as server:
        yield server.base_url


async def test_events_arrive_while_the_run_goes_on_and_a_hang_up_fails_the_draft(
    api: str, database: ProvisionedDatabase, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(PROVIDER, answer_step(delay_s=STALL_S))
    headers = {**bearer_headers(database.settings), "Accept": "text/event-stream"}
    async with httpx.AsyncClient(base_url=api, headers=headers, timeout=WORK_BUDGET_S) as client:
        async with client.stream(
            "POST", "/api/v1/drafts", json={"ticket": "Late parcel"}
        ) as stream:
            assert stream.status_code == 200
            lines = stream.aiter_lines()
            assert await anext(lines) == "event: draft"
            draft = json.loads((await anext(lines)).removeprefix("data: "))
            # The provider has not answered yet: the draft is running, and we know of it.
            seen = (await client.get(f"/api/v1/drafts/{draft['id']}")).json()
            assert seen["status"] == "running"
        # Leaving the block hangs up on the stream mid-run.

        async def stored() -> dict[str, object]:
            found: dict[str, object] = (await client.get(f"/api/v1/drafts/{draft['id']}")).json()
            return found

        ended = await eventually(stored, lambda body: body["status"] != "running")
    assert ended["status"] == "failed"
    assert ended["error"] == "the draft was interrupted"
