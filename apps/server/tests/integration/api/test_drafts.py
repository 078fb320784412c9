"""Reply drafts end to end against the fake provider process, on each database: tools,
storage, streaming, ownership, feedback, the budget and the assistant switched off."""

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from server.services.container import services_of
from server.tests.support.apps import build_app, client_for
from server.tests.support.auth import ADMIN_ID
from server.tests.support.databases import ProvisionedDatabase
from server.tests.support.drafting import (
    PROVIDER,
    answer_step,
    sse_events,
    tool_step,
    with_provider,
)
from server.tests.support.fake_llm import FakeOpenAI
from server.tests.support.users import bearer_for, create_user

URL = "/api/v1/drafts"
PARCEL = {
    "slug": "track-parcel",
    "title": "Where is my parcel?",
    "body": "Track a parcel that has not arrived with its tracking number.",
    "category": "shipping",
}
TICKET = "My parcel never arrived, where is it?"
SEARCH = ("search_articles", {"query": "parcel not arrived"})
STREAM = {"Accept": "text/event-stream"}


@pytest.fixture
async def parcel_article(drafting: httpx.AsyncClient) -> None:
    """One article for the searches to find."""
    assert (await drafting.post("/api/v1/articles", json=PARCEL)).status_code == 201


async def two_users(client: httpx.AsyncClient) -> tuple[dict[str, str], dict[str, str]]:
    """Credentials of Ann and Bob, two users holding the drafts scope."""
    headers = []
    for email in ("ann@example.com", "bob@example.com"):
        await create_user(client, email)
        headers.append(await bearer_for(client, email))
    return headers[0], headers[1]


async def draft(client: httpx.AsyncClient, ticket: str = TICKET, **kwargs: Any) -> dict[str, Any]:
    response = await client.post(URL, json={"ticket": ticket}, **kwargs)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.usefixtures("parcel_article")
async def test_a_draft_calls_its_tools_cites_what_it_found_and_is_stored(
    drafting: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(
        PROVIDER,
        tool_step(SEARCH, ("earlier_tickets", {}), ("classify_ticket", {})),
        answer_step(
            "<b>Hello</b>\x07, track it here.\r\n\n\n\nThanks\u202e!",
            cited=["track-parcel", "invented-article", "track-parcel"],
        ),
    )
    created = await draft(drafting)

    assert created["status"] == "completed"
    assert created["reply"] == "Hello, track it here.\n\nThanks!"
    assert created["cited_articles"] == [{"slug": "track-parcel", "title": PARCEL["title"]}]
    assert (created["category"], created["prompt_version"]) == ("shipping", "builtin")
    assert (created["provider"], created["model"]) == (PROVIDER, f"{PROVIDER}-model")
    assert (created["input_tokens"], created["output_tokens"]) == (130, 25)
    assert created["cost"] == pytest.approx((130 * 1.0 + 25 * 2.0) / 1_000_000)
    steps = created["steps"]
    assert isinstance(steps, list)
    assert [(s["kind"], s["name"]) for s in steps] == [
        ("model", f"{PROVIDER}/{PROVIDER}-model"),
        ("tool", "search_articles"),
        ("tool", "earlier_tickets"),
        ("tool", "classify_ticket"),
        ("model", f"{PROVIDER}/{PROVIDER}-model"),
    ]
    assert [s["index"] for s in steps] == [0, 1, 2, 3, 4]
    assert steps[1]["result"][0]["slug"] == "track-parcel"
    assert steps[2]["result"] == []  # no earlier drafts yet
    assert "classifier is unavailable" in steps[3]["error"]  # no model is promoted here

    # The model saw the tools' answers, and the API keeps the draft for audit.
    received = fake_openai.received(PROVIDER)
    tool_messages = [m for m in received[1]["messages"] if m["role"] == "tool"]
    assert "track-parcel" in tool_messages[0]["content"]
    fetched = await drafting.get(f"{URL}/{created['id']}")
    assert fetched.json() == created
    page = (await drafting.get(URL)).json()
    assert (page["total"], [d["id"] for d in page["items"]]) == (1, [created["id"]])


async def test_earlier_tickets_are_the_callers_own(
    drafting: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    ann, bob = await two_users(drafting)
    fake_openai.script(PROVIDER, answer_step())
    await draft(drafting, "Ann's first ticket, write to ann@example.com", headers=ann)
    fake_openai.script(PROVIDER, tool_step(("earlier_tickets", {})), answer_step())
    second = await draft(drafting, "Bob's ticket", headers=bob)
    assert second["steps"][1]["result"] == []
    fake_openai.script(PROVIDER, tool_step(("earlier_tickets", {})), answer_step())
    third = await draft(drafting, "Ann again", headers=ann)
    history = third["steps"][1]["result"]
    assert len(history) == 1
    fenced = re.fullmatch(r"<ticket-([0-9a-f]{16})>\n(.*)\n</ticket-\1>", history[0]["ticket"])
    assert fenced is not None
    assert fenced.group(2) == "Ann's first ticket, write to [EMAIL]"


@pytest.mark.usefixtures("parcel_article")
async def test_the_stream_sends_the_draft_tools_tokens_and_the_stored_draft_in_order(
    drafting: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(PROVIDER, tool_step(SEARCH), answer_step(cited=["track-parcel"], chunks=4))
    response = await drafting.post(URL, json={"ticket": TICKET}, headers=STREAM)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[:3] == ["draft", "tool_started", "tool_finished"]
    assert set(names[3:-1]) == {"token"}
    assert len(names[3:-1]) >= 2
    assert names[-1] == "done"
    assert events[0][1]["prompt_version"] == "builtin"
    assert events[1][1] == {"step": 1, "name": "search_articles", "arguments": SEARCH[1]}
    finished = events[2][1]
    assert (finished["step"], finished["ok"], finished["error"]) == (1, True, None)
    assert finished["result"][0]["slug"] == "track-parcel"
    text = "".join(data["text"] for name, data in events if name == "token")
    assert '"reply": "Your parcel is on its way."' in text
    done = events[-1][1]
    assert done["id"] == events[0][1]["id"]
    assert (await drafting.get(f"{URL}/{done['id']}")).json() == done


async def test_a_stream_broken_mid_answer_ends_with_an_error_event_and_a_failed_draft(
    drafting: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(PROVIDER, answer_step(chunks=4, break_after=2))
    response = await drafting.post(URL, json={"ticket": TICKET}, headers=STREAM)
    events = sse_events(response.text)
    assert [name for name, _ in events] == ["draft", "token", "error"]
    problem = events[-1][1]
    assert problem["status"] == 503
    assert {"type", "title", "detail"} <= set(problem)
    assert problem["draft_id"] == events[0][1]["id"]
    stored = (await drafting.get(f"{URL}/{problem['draft_id']}")).json()
    assert stored["status"] == "failed"
    assert "stopped mid-answer" in stored["error"]
    assert (stored["reply"], stored["completed_at"] is not None) == (None, True)


async def test_a_malformed_answer_is_repaired_once(
    drafting: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(
        PROVIDER, {"content": "Sure! Here is a reply.", "usage": [10, 5]}, answer_step()
    )
    created = await draft(drafting)
    assert (created["status"], created["reply"]) == ("completed", "Your parcel is on its way.")
    repair = fake_openai.received(PROVIDER)[1]
    assert not repair.get("stream")
    assert "tools" not in repair
    assert "does not match the required JSON schema" in repair["messages"][-1]["content"]
    assert [s["kind"] for s in created["steps"]] == ["model", "model"]


async def test_an_answer_still_malformed_after_its_repair_is_stored_failed(
    drafting: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(PROVIDER, {"content": "not json"}, {"content": '{"reply": ""}'})
    response = await drafting.post(URL, json={"ticket": TICKET})
    assert response.status_code == 502
    problem = response.json()
    assert problem["type"].endswith(":draft-failed")
    stored = (await drafting.get(f"{URL}/{problem['draft_id']}")).json()
    assert stored["status"] == "failed"
    assert "did not fit the schema after a repair" in stored["error"]
    assert stored["reply"] is None


async def test_feedback_is_for_completed_drafts_and_an_edit_needs_its_text(
    drafting: httpx.AsyncClient, drafting_app: FastAPI, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(PROVIDER, answer_step())
    created = await draft(drafting)
    url = f"{URL}/{created['id']}/feedback"
    assert (await drafting.post(url, json={"verdict": "edited"})).status_code == 422
    refused = await drafting.post(url, json={"verdict": "accepted", "edited_reply": "x"})
    assert refused.status_code == 422
    edited = await drafting.post(url, json={"verdict": "edited", "edited_reply": "Better."})
    assert edited.status_code == 200, edited.text
    assert edited.json()["feedback"]["verdict"] == "edited"
    assert edited.json()["feedback"]["edited_reply"] == "Better."

    fake_openai.script(PROVIDER, {"content": "no"}, {"content": "still no"})
    failed = (await drafting.post(URL, json={"ticket": TICKET})).json()
    response = await drafting.post(
        f"{URL}/{failed['draft_id']}/feedback", json={"verdict": "rejected"}
    )
    assert response.status_code == 409

    # A draft still running (its run not started yet) takes no verdict either.
    running = await services_of(drafting_app).drafts.start(ADMIN_ID, TICKET, None)
    response = await drafting.post(
        f"{URL}/{running.draft_id}/feedback", json={"verdict": "accepted"}
    )
    assert response.status_code == 409
    assert "running" in response.json()["detail"]


async def test_a_draft_is_its_owners_and_an_administrators_only(
    drafting: httpx.AsyncClient, fake_openai: FakeOpenAI
) -> None:
    ann, bob = await two_users(drafting)
    fake_openai.script(PROVIDER, answer_step())
    mine = await draft(drafting, headers=ann)
    url = f"{URL}/{mine['id']}"

    assert (await drafting.get(url, headers=bob)).status_code == 404
    feedback = await drafting.post(f"{url}/feedback", json={"verdict": "accepted"}, headers=bob)
    assert feedback.status_code == 404
    assert (await drafting.get(URL, headers=bob)).json() == {"items": [], "total": 0}
    assert (await drafting.get(url, headers=ann)).status_code == 200
    assert (await drafting.get(url)).status_code == 200  # the administrator
    assert [d["id"] for d in (await drafting.get(URL)).json()["items"]] == [mine["id"]]


async def test_without_a_provider_drafts_answer_503_and_store_nothing(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(URL, json={"ticket": TICKET})
    assert response.status_code == 503
    problem = response.json()
    assert problem["type"].endswith(":assistant-not-configured")
    assert "APP_LLM__PROVIDERS" in problem["detail"]
    streamed = await client.post(URL, json={"ticket": TICKET}, headers=STREAM)
    assert streamed.status_code == 503
    assert (await client.get(URL)).json() == {"items": [], "total": 0}


async def test_a_spent_token_budget_answers_429_until_midnight(
    test_database: ProvisionedDatabase, db_connection: AsyncConnection, fake_openai: FakeOpenAI
) -> None:
    settings = with_provider(test_database.settings, fake_openai, user_tokens_per_day=100)
    async with client_for(build_app(settings, db_connection)) as client:
        fake_openai.script(PROVIDER, answer_step(usage=(90, 30)))
        await draft(client)
        response = await client.post(URL, json={"ticket": TICKET})
        assert response.status_code == 429
        assert response.json()["type"].endswith(":token-budget-spent")
        assert 1 <= int(response.headers["Retry-After"]) <= 86_400
        assert (await client.get(URL)).json()["total"] == 1
        assert len(fake_openai.received(PROVIDER)) == 1
