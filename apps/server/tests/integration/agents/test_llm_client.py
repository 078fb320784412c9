"""`LLMClient` against a real HTTP server that speaks the OpenAI protocol (scripted replies).

Each test names its own providers, so the scripts of one test never reach another.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from pydantic import SecretStr

from server.agents.llm import (
    CallRecord,
    ChatRequest,
    Completion,
    LLMClient,
    NotConfiguredError,
    ProvidersUnavailableError,
    StreamInterruptedError,
    TextDelta,
)
from server.agents.llm.breaker import BreakerState
from server.config.llm import LLMConfig
from server.tests.support.fake_llm import FakeOpenAI

REQUEST = ChatRequest(messages=[{"role": "user", "content": "Where is my parcel?"}])
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search_articles",
            "description": "Search the knowledge base.",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
    }
]
# Fast limits: retries wait little, a slow reply is one that takes a second.
FAST: dict[str, Any] = {"retry_base_s": 0.01, "retry_cap_s": 0.05, "call_timeout_s": 1.0}


class Records:
    """An observer that keeps what it is told."""

    def __init__(self) -> None:
        self.calls: list[CallRecord] = []

    def record(self, call: CallRecord) -> None:
        self.calls.append(call)

    def errors(self) -> list[tuple[str, str | None]]:
        return [(call.provider, call.error_type) for call in self.calls]


@asynccontextmanager
async def llm_client(
    fake: FakeOpenAI, *names: str, clock: Callable[[], float] = time.monotonic, **limits: Any
) -> AsyncIterator[tuple[LLMClient, Records]]:
    config = LLMConfig(providers=[fake.provider(name) for name in names], **{**FAST, **limits})
    records = Records()
    client = LLMClient(config, records, clock=clock)
    try:
        yield client, records
    finally:
        await client.aclose()


async def collect(client: LLMClient, request: ChatRequest = REQUEST) -> list[Any]:
    return [event async for event in client.stream(request)]


async def drain(client: LLMClient, seen: list[Any]) -> None:
    """Keep each streamed event in `seen` until the stream ends or fails."""
    async for event in client.stream(REQUEST):
        seen.append(event)


async def test_an_answer_comes_back_with_its_usage_and_cost(fake_openai: FakeOpenAI) -> None:
    fake_openai.script("plain", {"content": "It ships tomorrow.", "usage": [12, 5]})
    config = LLMConfig(
        providers=[
            fake_openai.provider(
                "plain",
                api_key=SecretStr("sk-test"),
                input_price_per_mtok=2.0,
                output_price_per_mtok=10.0,
            )
        ]
    )
    records = Records()
    client = LLMClient(config, records)
    try:
        request = ChatRequest(
            messages=REQUEST.messages, tools=TOOLS, temperature=0.2, max_tokens=50
        )
        completion = await client.complete(request)
    finally:
        await client.aclose()

    assert completion.content == "It ships tomorrow."
    assert (completion.provider, completion.model) == ("plain", "plain-model")
    assert (completion.usage.input_tokens, completion.usage.output_tokens) == (12, 5)
    [sent] = fake_openai.received("plain")
    assert sent["model"] == "plain-model"
    assert sent["messages"] == REQUEST.messages
    assert sent["tools"] == TOOLS
    assert (sent["temperature"], sent["max_tokens"]) == (0.2, 50)
    assert sent["authorization"] == "Bearer sk-test"
    [record] = records.calls
    assert record.error_type is None
    assert record.cost == pytest.approx((12 * 2.0 + 5 * 10.0) / 1_000_000)


async def test_tool_calls_come_back_and_malformed_arguments_are_reported(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script(
        "tools",
        {
            "tool_calls": [
                {"name": "search_articles", "arguments": json.dumps({"query": "refund"})},
                {"name": "search_articles", "arguments": '{"query": '},
            ]
        },
    )
    async with llm_client(fake_openai, "tools") as (client, _):
        completion = await client.complete(REQUEST)

    good, broken = completion.tool_calls
    assert completion.finish_reason == "tool_calls"
    assert good.name == "search_articles"
    assert good.parsed_arguments() == {"query": "refund"}
    with pytest.raises(ValueError, match=r"Expecting value|Expecting"):
        broken.parsed_arguments()


async def test_a_429_storm_is_retried_honouring_retry_after(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        "storm",
        {"status": 429, "retry_after": "0.03"},
        {"status": 503},
        {"content": "done"},
    )
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    config = LLMConfig(providers=[fake_openai.provider("storm")], **FAST)
    records = Records()
    client = LLMClient(config, records, sleep=sleep)
    try:
        completion = await client.complete(REQUEST)
    finally:
        await client.aclose()

    assert completion.content == "done"
    assert len(fake_openai.received("storm")) == 3
    assert records.errors() == [
        ("storm", "rate_limited"),
        ("storm", "server_error"),
        ("storm", None),
    ]
    assert waits[0] >= 0.03  # the provider's Retry-After is a floor
    assert all(wait <= FAST["retry_cap_s"] for wait in waits)


async def test_a_provider_that_keeps_failing_falls_back_to_the_next(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script("down", {"status": 429}, {"status": 500}, {"status": 502})
    fake_openai.script("spare", {"content": "from the spare"})
    async with llm_client(fake_openai, "down", "spare") as (client, records):
        completion = await client.complete(REQUEST)

    assert (completion.provider, completion.content) == ("spare", "from the spare")
    assert len(fake_openai.received("down")) == 3  # max_attempts
    assert records.errors()[-1] == ("spare", None)


async def test_a_client_error_is_not_retried_but_falls_back(fake_openai: FakeOpenAI) -> None:
    fake_openai.script("refuses", {"status": 401})
    fake_openai.script("accepts", {"content": "ok"})
    async with llm_client(fake_openai, "refuses", "accepts") as (client, records):
        completion = await client.complete(REQUEST)

    assert completion.provider == "accepts"
    assert len(fake_openai.received("refuses")) == 1
    assert records.errors() == [("refuses", "client_error"), ("accepts", None)]


async def test_a_slow_reply_times_out_and_is_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.script("slow", {"delay_s": 3, "content": "late"}, {"content": "prompt"})
    async with llm_client(fake_openai, "slow", call_timeout_s=0.5) as (client, records):
        completion = await client.complete(REQUEST)

    assert completion.content == "prompt"
    assert records.errors() == [("slow", "timeout"), ("slow", None)]


async def test_the_total_budget_bounds_every_attempt_and_fallback(fake_openai: FakeOpenAI) -> None:
    fake_openai.script("tardy", *[{"delay_s": 3, "content": "late"}] * 3)
    fake_openai.script("unreached", {"content": "never asked"})
    async with llm_client(
        fake_openai, "tardy", "unreached", call_timeout_s=0.6, total_budget_s=1.0
    ) as (client, _):
        with pytest.raises(ProvidersUnavailableError) as raised:
            await client.complete(REQUEST)

    assert raised.value.budget_exhausted
    assert fake_openai.received("unreached") == []
    assert {failure.reason for failure in raised.value.failures} == {"timed out"}


async def test_a_malformed_body_is_a_bad_response_and_is_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.script("garbled", {"raw": "{not json"}, {"content": "clean"})
    async with llm_client(fake_openai, "garbled") as (client, records):
        completion = await client.complete(REQUEST)

    assert completion.content == "clean"
    assert records.errors() == [("garbled", "bad_response"), ("garbled", None)]


async def test_an_open_circuit_skips_the_provider_until_its_reset(fake_openai: FakeOpenAI) -> None:
    now = [time.monotonic()]
    fake_openai.script("flaky", {"status": 500}, {"status": 500})
    fake_openai.script("steady", {"content": "one"}, {"content": "two"})
    async with llm_client(
        fake_openai,
        "flaky",
        "steady",
        clock=lambda: now[0],
        max_attempts=2,
        breaker_failures=2,
        breaker_reset_s=30,
    ) as (client, records):
        assert (await client.complete(REQUEST)).content == "one"
        assert client.breaker_state("flaky") is BreakerState.open

        assert (await client.complete(REQUEST)).content == "two"
        assert len(fake_openai.received("flaky")) == 2  # skipped, not called
        assert ("flaky", "circuit_open") in records.errors()

        now[0] += 31  # the reset period passes: one trial call goes out and heals it
        fake_openai.script("flaky", {"content": "healed"})
        assert (await client.complete(REQUEST)).content == "healed"
        assert client.breaker_state("flaky") is BreakerState.closed


async def test_without_providers_a_call_says_how_to_configure_one() -> None:
    client = LLMClient(LLMConfig())
    assert not client.configured
    with pytest.raises(NotConfiguredError, match="APP_LLM__PROVIDERS"):
        await client.complete(REQUEST)
    with pytest.raises(NotConfiguredError):
        await collect(client)


async def test_a_stream_yields_text_then_the_whole_completion(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        "streamer", {"content": "Your refund is on its way.", "usage": [9, 7], "chunks": 4}
    )
    async with llm_client(fake_openai, "streamer") as (client, records):
        events = await collect(client)

    *deltas, final = events
    assert len(deltas) == 4
    assert all(isinstance(delta, TextDelta) for delta in deltas)
    assert isinstance(final, Completion)
    assert "".join(delta.text for delta in deltas) == final.content == "Your refund is on its way."
    assert (final.usage.input_tokens, final.usage.output_tokens) == (9, 7)
    assert fake_openai.received("streamer")[0]["stream"] is True
    [record] = records.calls
    assert record.streaming
    assert record.first_chunk_s is not None
    assert record.first_chunk_s <= record.duration_s


async def test_a_streamed_tool_call_is_assembled_from_its_pieces(fake_openai: FakeOpenAI) -> None:
    arguments = json.dumps({"query": "parcel lost in transit"})
    fake_openai.script(
        "streamtools",
        {"tool_calls": [{"id": "c1", "name": "search_articles", "arguments": arguments}]},
    )
    async with llm_client(fake_openai, "streamtools") as (client, _):
        [final] = await collect(client)

    assert isinstance(final, Completion)
    [call] = final.tool_calls
    assert (call.id, call.name, call.arguments) == ("c1", "search_articles", arguments)


async def test_a_held_stream_goes_on_when_released(fake_openai: FakeOpenAI) -> None:
    # Held (600 s) far longer than the client waits for a chunk (30 s): only the release
    # lets it finish in time.
    step = {"content": "Your refund is on its way.", "chunks": 3, "hold_after": 2, "hold_s": 600}
    fake_openai.script("holder", step)
    async with llm_client(fake_openai, "holder", call_timeout_s=30) as (client, _):
        events = client.stream(REQUEST)
        first = await anext(events)
        assert isinstance(first, TextDelta)
        fake_openai.release("holder")
        *rest, final = [event async for event in events]

    assert isinstance(final, Completion)
    assert all(isinstance(delta, TextDelta) for delta in rest)
    assert first.text + "".join(delta.text for delta in rest if isinstance(delta, TextDelta)) == (
        final.content
    )
    assert final.content == "Your refund is on its way."


async def test_a_stream_broken_before_any_text_is_retried(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        "brittle", {"content": "first try", "break_after": 1}, {"content": "second try"}
    )
    async with llm_client(fake_openai, "brittle") as (client, records):
        events = await collect(client)

    assert events[-1].content == "second try"
    assert records.errors() == [("brittle", "bad_response"), ("brittle", None)]


@pytest.mark.parametrize(
    "fault",
    [
        {"break_after": 2},  # the connection closes after the first piece of text
        {"stall_after": 2, "stall_s": 3},  # the provider stops sending mid-answer
    ],
    ids=["broken", "stalled"],
)
async def test_a_stream_failing_after_text_is_interrupted_not_retried(
    fake_openai: FakeOpenAI, fault: dict[str, Any]
) -> None:
    fake_openai.script("midway", {"content": "partial answer here", **fault}, {"content": "unused"})
    async with llm_client(fake_openai, "midway", call_timeout_s=0.5) as (client, records):
        seen: list[Any] = []
        with pytest.raises(StreamInterruptedError):
            await drain(client, seen)

    assert seen
    assert all(isinstance(event, TextDelta) for event in seen)
    assert len(fake_openai.received("midway")) == 1
    assert records.calls[-1].error_type in {"bad_response", "timeout", "connection"}


async def test_concurrent_calls_share_one_client(fake_openai: FakeOpenAI) -> None:
    fake_openai.script("shared", *[{"content": f"answer {n}"} for n in range(5)])
    async with llm_client(fake_openai, "shared") as (client, _):
        answers = await asyncio.gather(*(client.complete(REQUEST) for _ in range(5)))

    assert sorted(answer.content for answer in answers) == [f"answer {n}" for n in range(5)]
