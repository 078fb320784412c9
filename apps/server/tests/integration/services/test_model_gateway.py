"""The API's model gateway against a fake provider process: metrics by provider, model and
prompt version, and provider failures as problems a client understands."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from server.agents.llm import ChatRequest, Completion, TextDelta
from server.config.llm import LLMConfig
from server.core.errors import GatewayTimeoutError, ServiceUnavailableError
from server.services.assistant.gateway import AssistantNotConfiguredError, ModelGateway
from server.tests.support.fake_llm import FakeOpenAI

REQUEST = ChatRequest(messages=[{"role": "user", "content": "My card was charged twice."}])
FAST: dict[str, Any] = {"retry_base_s": 0.01, "retry_cap_s": 0.05, "call_timeout_s": 1.0}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def call_labels(provider: str, version: str) -> dict[str, str]:
    return {
        "gen_ai_operation_name": "chat",
        "gen_ai_provider_name": provider,
        "gen_ai_request_model": f"{provider}-model",
        "prompt_version": version,
    }


@pytest.fixture
async def gateway_for(fake_openai: FakeOpenAI) -> AsyncIterator[Any]:
    gateways: list[ModelGateway] = []

    def build(*names: str, **limits: Any) -> ModelGateway:
        config = LLMConfig(
            providers=[
                fake_openai.provider(name, input_price_per_mtok=1.0, output_price_per_mtok=3.0)
                for name in names
            ],
            **{**FAST, **limits},
        )
        gateways.append(ModelGateway(config))
        return gateways[-1]

    yield build
    for gateway in gateways:
        await gateway.aclose()


async def test_without_a_provider_the_assistant_says_how_to_configure_one() -> None:
    gateway = ModelGateway(LLMConfig())
    assert not gateway.configured
    with pytest.raises(AssistantNotConfiguredError) as raised:
        gateway.require_configured()
    assert raised.value.status == 503
    assert "APP_LLM__PROVIDERS" in raised.value.detail
    assert raised.value.extra == {"setting": "APP_LLM__PROVIDERS"}
    with pytest.raises(AssistantNotConfiguredError):
        await gateway.complete(REQUEST, "v1")
    with pytest.raises(AssistantNotConfiguredError):
        [event async for event in gateway.stream(REQUEST, "v1")]


async def test_each_attempt_is_metered_by_provider_model_and_prompt_version(
    fake_openai: FakeOpenAI, gateway_for: Any
) -> None:
    fake_openai.script("metered", {"status": 500}, {"content": "refunded", "usage": [100, 20]})
    labels = call_labels("metered", "v7")
    duration = "gen_ai_client_operation_duration_seconds_count"
    before = {
        "failed": sample(duration, **labels, error_type="server_error"),
        "ok": sample(duration, **labels, error_type=""),
        "input": sample("gen_ai_client_token_usage_sum", **labels, gen_ai_token_type="input"),
        "output": sample("gen_ai_client_token_usage_sum", **labels, gen_ai_token_type="output"),
        "cost": sample("gen_ai_client_cost_total", **labels),
    }

    completion = await gateway_for("metered").complete(REQUEST, "v7")

    assert completion.content == "refunded"
    assert sample(duration, **labels, error_type="server_error") == before["failed"] + 1
    assert sample(duration, **labels, error_type="") == before["ok"] + 1
    input_sum = sample("gen_ai_client_token_usage_sum", **labels, gen_ai_token_type="input")
    output_sum = sample("gen_ai_client_token_usage_sum", **labels, gen_ai_token_type="output")
    assert (input_sum - before["input"], output_sum - before["output"]) == (100, 20)
    assert sample("gen_ai_client_cost_total", **labels) - before["cost"] == pytest.approx(
        (100 * 1.0 + 20 * 3.0) / 1_000_000
    )


async def test_a_stream_records_its_time_to_first_chunk(
    fake_openai: FakeOpenAI, gateway_for: Any
) -> None:
    fake_openai.script("ttfc", {"content": "Hello there", "usage": [5, 2]})
    name = "gen_ai_client_operation_time_to_first_chunk_seconds_count"
    before = sample(name, **call_labels("ttfc", "v1"))

    events = [event async for event in gateway_for("ttfc").stream(REQUEST, "v1")]

    assert isinstance(events[0], TextDelta)
    assert isinstance(events[-1], Completion)
    assert sample(name, **call_labels("ttfc", "v1")) == before + 1


async def test_an_outage_is_a_503_with_retry_after_naming_no_provider(
    fake_openai: FakeOpenAI, gateway_for: Any
) -> None:
    fake_openai.script("outage", *[{"status": 503}] * 2)
    with pytest.raises(ServiceUnavailableError) as raised:
        await gateway_for("outage", max_attempts=2, breaker_reset_s=12).complete(REQUEST, "v1")
    assert raised.value.headers == {"Retry-After": "12"}
    assert "outage" not in raised.value.detail


async def test_an_open_circuit_is_counted(fake_openai: FakeOpenAI, gateway_for: Any) -> None:
    fake_openai.script("tripped", {"status": 500})
    gateway = gateway_for("tripped", max_attempts=1, breaker_failures=1)
    before = sample("gen_ai_client_circuit_open_total", gen_ai_provider_name="tripped")
    for _ in range(2):
        with pytest.raises(ServiceUnavailableError):
            await gateway.complete(REQUEST, "v1")
    assert len(fake_openai.received("tripped")) == 1
    assert sample("gen_ai_client_circuit_open_total", gen_ai_provider_name="tripped") == before + 1


async def test_a_call_past_its_budget_is_a_504(fake_openai: FakeOpenAI, gateway_for: Any) -> None:
    fake_openai.script("sluggish", *[{"delay_s": 3, "content": "late"}] * 3)
    gateway = gateway_for("sluggish", call_timeout_s=0.5, total_budget_s=0.6, retry_base_s=0.5)
    with pytest.raises(GatewayTimeoutError):
        await gateway.complete(REQUEST, "v1")


async def test_a_stream_cut_mid_answer_is_a_503(fake_openai: FakeOpenAI, gateway_for: Any) -> None:
    fake_openai.script("cut", {"content": "the first half and", "break_after": 2})
    seen: list[Any] = []

    async def drain() -> None:
        async for event in gateway_for("cut").stream(REQUEST, "v1"):
            seen.append(event)

    with pytest.raises(ServiceUnavailableError, match="stopped mid-answer"):
        await drain()
    assert seen
