"""The circuit breaker and the retry backoff of `agents/llm`, on a fake clock."""

import email.utils
import random
import time

import pytest
from pydantic import ValidationError

from server.agents.llm.backoff import backoff_s
from server.agents.llm.breaker import BreakerState, CircuitBreaker
from server.agents.llm.provider import retry_after_seconds, translate
from server.config.llm import LLMConfig, ProviderConfig


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def state(breaker: CircuitBreaker) -> BreakerState:
    """Read afresh each time (mypy would keep a property's narrowed value)."""
    return breaker.state


def test_the_breaker_opens_after_consecutive_failures_only() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, reset_s=10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # a success in between resets the count
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.allow()
    breaker.record_failure()
    assert state(breaker) is BreakerState.open
    assert not breaker.allow()


def test_a_half_open_breaker_lets_one_trial_through_and_a_failed_trial_reopens_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_s=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert state(breaker) is BreakerState.half_open
    assert breaker.allow()
    assert not breaker.allow()  # a second caller waits for the trial's outcome
    breaker.record_failure()
    assert state(breaker) is BreakerState.open
    clock.now += 10
    assert breaker.allow()
    breaker.record_success()
    assert state(breaker) is BreakerState.closed
    assert breaker.allow()


def test_backoff_is_jittered_below_an_exponential_ceiling_and_capped() -> None:
    rng = random.Random(7)
    waits = [
        backoff_s(attempt, base_s=0.5, cap_s=4, rng=rng) for attempt in range(8) for _ in range(50)
    ]
    assert all(0 <= wait <= 4 for wait in waits)
    assert len(set(waits)) > 300  # jittered, not lockstep
    first = [backoff_s(0, base_s=0.5, cap_s=4, rng=rng) for _ in range(100)]
    assert max(first) <= 0.5


def test_retry_after_is_a_floor_but_never_beyond_the_cap() -> None:
    rng = random.Random(1)
    assert backoff_s(0, base_s=0.1, cap_s=5, retry_after_s=2, rng=rng) >= 2
    assert backoff_s(0, base_s=0.1, cap_s=5, retry_after_s=600, rng=rng) == 5


def test_a_timeout_is_retryable() -> None:
    assert translate(TimeoutError()).retryable
    assert translate(TimeoutError()).kind == "timeout"


def test_provider_names_are_unique_and_urls_are_http() -> None:
    provider = ProviderConfig(name="a", base_url="http://x/v1", model="m")
    with pytest.raises(ValidationError, match="unique"):
        LLMConfig(providers=[provider, provider])
    with pytest.raises(ValidationError):
        ProviderConfig(name="a", base_url="file:///etc/passwd", model="m")


def test_providers_come_from_json_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.config import Settings  # noqa: PLC0415 - after the environment is set

    monkeypatch.setenv(
        "APP_LLM__PROVIDERS",
        '[{"name": "ollama", "base_url": "http://127.0.0.1:11434/v1", "model": "llama3.2"}]',
    )
    monkeypatch.setenv("APP_LLM__CALL_TIMEOUT_S", "12")
    settings = Settings()
    [provider] = settings.llm.providers
    assert (provider.name, provider.model, provider.api_key) == ("ollama", "llama3.2", None)
    assert settings.llm.call_timeout_s == 12


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert retry_after_seconds({"retry-after": "2.5"}) == 2.5
    assert 0 < (retry_after_seconds({"retry-after": soon}) or 0) <= 30
    assert retry_after_seconds({"retry-after": "next tuesday"}) is None
    assert retry_after_seconds({}) is None
