"""The tool-calling loop against the fake OpenAI-compatible provider process."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from server.agents.llm import LLMClient, TextDelta
from server.agents.llm.agent import (
    AgentLimits,
    AgentRun,
    TokenBudgetExceededError,
    ToolError,
    ToolFinished,
    ToolStarted,
    run_agent,
    stream_agent,
)
from server.config.llm import LLMConfig
from server.tests.support.fake_llm import FakeOpenAI

MESSAGES = [
    {"role": "system", "content": "You draft replies."},
    {"role": "user", "content": "My parcel never arrived."},
]
LIMITS = AgentLimits(max_steps=4, max_tokens=10_000, max_output_tokens=300)


class SearchArticles:
    name = "search_articles"
    description = "Search the knowledge base."

    def __init__(self) -> None:
        self.parameters: dict[str, Any] = {
            "type": "object",
            "properties": {"query": {"type": "string"}},
            "required": ["query"],
        }
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, arguments: dict[str, Any]) -> Any:
        self.calls.append(arguments)
        if not isinstance(arguments.get("query"), str):
            raise ToolError("query: a string is required")
        return [{"slug": "shipping-delivery", "title": "Help with delivery"}]


def search(query: Any, call_id: str = "c1") -> dict[str, Any]:
    return {"id": call_id, "name": "search_articles", "arguments": json.dumps({"query": query})}


@asynccontextmanager
async def agent_client(fake: FakeOpenAI, name: str) -> AsyncIterator[LLMClient]:
    client = LLMClient(LLMConfig(providers=[fake.provider(name)], retry_base_s=0.01))
    try:
        yield client
    finally:
        await client.aclose()


def tool_results(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(m["content"]) for m in request["messages"] if m["role"] == "tool"]


async def test_the_model_calls_a_tool_and_answers_with_its_result(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        "loop",
        {"tool_calls": [search("parcel not arrived")], "usage": [50, 10]},
        {"content": "Your parcel is being traced.", "usage": [80, 12]},
    )
    tool = SearchArticles()
    async with agent_client(fake_openai, "loop") as client:
        run = await run_agent(client, MESSAGES, [tool], LIMITS)

    assert run.answer.content == "Your parcel is being traced."
    assert tool.calls == [{"query": "parcel not arrived"}]
    [step] = run.steps
    assert (step.call.name, step.error) == ("search_articles", None)
    assert (run.usage.input_tokens, run.usage.output_tokens, run.model_calls) == (130, 22, 2)
    first, second = fake_openai.received("loop")
    assert [t["function"]["name"] for t in first["tools"]] == ["search_articles"]
    assert first["max_tokens"] == 300
    assert second["messages"][2]["tool_calls"][0]["id"] == "c1"
    assert tool_results(second) == [
        {"result": [{"slug": "shipping-delivery", "title": "Help with delivery"}]}
    ]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        ({"id": "c1", "name": "search_articles", "arguments": '{"query": '}, "not a valid JSON"),
        ({"id": "c1", "name": "delete_everything", "arguments": "{}"}, "no tool named"),
        (search(42), "query: a string is required"),
    ],
    ids=["malformed", "unknown", "refused"],
)
async def test_a_bad_tool_call_goes_back_to_the_model_as_an_error(
    fake_openai: FakeOpenAI, call: dict[str, Any], error: str
) -> None:
    fake_openai.script("faulty", {"tool_calls": [call]}, {"content": "Sorry, let me answer."})
    async with agent_client(fake_openai, "faulty") as client:
        run = await run_agent(client, MESSAGES, [SearchArticles()], LIMITS)

    assert run.answer.content == "Sorry, let me answer."
    [step] = run.steps
    assert step.error is not None
    assert error in step.error
    [result] = tool_results(fake_openai.received("faulty")[1])
    assert error in result["error"]


async def test_the_last_step_offers_no_tools_so_the_model_must_answer(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script(
        "eager",
        {"tool_calls": [search("one")]},
        {"content": "Final answer."},
    )
    async with agent_client(fake_openai, "eager") as client:
        run = await run_agent(client, MESSAGES, [SearchArticles()], AgentLimits(2, 10_000))

    assert (run.model_calls, run.answer.content) == (2, "Final answer.")
    first, second = fake_openai.received("eager")
    assert "tools" in first
    assert "tools" not in second


async def test_a_run_stops_when_its_tokens_are_spent(fake_openai: FakeOpenAI) -> None:
    fake_openai.script("costly", {"tool_calls": [search("x")], "usage": [400, 150]})
    async with agent_client(fake_openai, "costly") as client:
        with pytest.raises(TokenBudgetExceededError, match="500 tokens"):
            await run_agent(client, MESSAGES, [SearchArticles()], AgentLimits(4, 500))

    [request] = fake_openai.received("costly")
    assert request["max_tokens"] == 500  # never more output than the budget has left


async def test_the_stream_shows_tool_steps_then_the_answer_as_it_comes(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script(
        "live", {"tool_calls": [search("parcel")]}, {"content": "Traced today.", "chunks": 3}
    )
    async with agent_client(fake_openai, "live") as client:
        events = [e async for e in stream_agent(client, MESSAGES, [SearchArticles()], LIMITS)]

    kinds = [type(event).__name__ for event in events]
    assert kinds[:2] == ["ToolStarted", "ToolFinished"]
    assert kinds[-1] == "AgentRun"
    assert set(kinds[2:-1]) == {"TextDelta"}
    assert isinstance(events[0], ToolStarted)
    assert isinstance(events[1], ToolFinished)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    final = events[-1]
    assert isinstance(final, AgentRun)
    assert text == final.answer.content == "Traced today."
