"""A draft's run beyond the HTTP answer: its spans and metrics, the end of a run whose
client went away, and the same run as the evaluations' `Drafter`."""

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from server.agents.llm.drafting import BUILTIN_PROMPT
from server.services.assistant import telemetry
from server.services.assistant.composer import StepStarted, drafter
from server.services.container import services_of
from server.tests.support.auth import ADMIN_ID
from server.tests.support.drafting import PROVIDER, answer_step, tool_step
from server.tests.support.fake_llm import FakeOpenAI

URL = "/api/v1/drafts"
TICKET = "My parcel never arrived."
SEARCH = ("search_articles", {"query": "parcel"})


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """The spans the assistant makes, kept in memory (an SDK as a deployment would set)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(telemetry, "tracer", provider.get_tracer("test"))
    yield exporter
    provider.shutdown()


def tool_calls(tool: str, outcome: str) -> float:
    labels = {"gen_ai_tool_name": tool, "outcome": outcome}
    return REGISTRY.get_sample_value("gen_ai_tool_calls_total", labels) or 0.0


async def test_a_draft_is_one_agent_span_holding_its_model_and_tool_calls(
    drafting: httpx.AsyncClient, fake_openai: FakeOpenAI, spans: InMemorySpanExporter
) -> None:
    before = tool_calls("search_articles", "ok")
    fake_openai.script(PROVIDER, tool_step(SEARCH, usage=(40, 4)), answer_step(usage=(60, 9)))
    response = await drafting.post(URL, json={"ticket": TICKET})
    assert response.status_code == 201, response.text

    finished = spans.get_finished_spans()
    by_name = {span.name: span for span in finished}
    agent = by_name["invoke_agent reply-assistant"]
    chats = [span for span in finished if span.name == f"chat {PROVIDER}-model"]
    tool = by_name["execute_tool search_articles"]
    assert len(chats) == 2
    for child in [*chats, tool]:
        assert child.parent is not None
        assert child.parent.span_id == agent.context.span_id
    assert chats[0].attributes is not None
    assert chats[0].attributes["gen_ai.provider.name"] == PROVIDER
    assert chats[0].attributes["gen_ai.request.model"] == f"{PROVIDER}-model"
    assert (
        chats[0].attributes["gen_ai.usage.input_tokens"],
        chats[0].attributes["gen_ai.usage.output_tokens"],
    ) == (40, 4)
    assert tool.attributes is not None
    assert tool.attributes["gen_ai.tool.name"] == "search_articles"
    assert tool_calls("search_articles", "ok") == before + 1


async def test_a_run_whose_client_went_away_is_stored_failed(
    drafting: httpx.AsyncClient, drafting_app: FastAPI, fake_openai: FakeOpenAI
) -> None:
    service = services_of(drafting_app).drafts
    fake_openai.script(PROVIDER, tool_step(SEARCH), answer_step())
    started = await service.start(ADMIN_ID, TICKET, None)
    run = service.run(started)
    assert isinstance(await anext(run), StepStarted)
    await run.aclose()  # what a server does to the stream of a client that disconnected

    stored = (await drafting.get(f"{URL}/{started.draft_id}")).json()
    assert stored["status"] == "failed"
    assert stored["error"] == "the draft was interrupted"
    assert stored["input_tokens"] == 50  # the call made before it was spent all the same


async def test_the_composer_drafts_for_the_evaluations_without_storing(
    drafting: httpx.AsyncClient, drafting_app: FastAPI, fake_openai: FakeOpenAI
) -> None:
    draft = drafter(services_of(drafting_app).drafts.composer)
    fake_openai.script(PROVIDER, tool_step(SEARCH), answer_step(category="shipping"))
    outcome = await draft("Where is my parcel? Mail me at a@example.com", BUILTIN_PROMPT)
    assert outcome.error is None
    assert outcome.reply is not None
    assert outcome.reply.category == "shipping"
    assert outcome.tools_called == ["search_articles"]
    assert "a@example.com" not in str(fake_openai.received(PROVIDER))

    fake_openai.script(PROVIDER, {"content": "no"}, {"content": "still no"})
    failed = await draft(TICKET, BUILTIN_PROMPT)
    assert failed.reply is None
    assert failed.error is not None
    assert "schema" in failed.error
    assert (await drafting.get(URL)).json()["total"] == 0
