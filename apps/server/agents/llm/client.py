"""`LLMClient`: the configured providers behind one call, with fallbacks, retries, a time
budget and a circuit breaker per provider.

Every call has a deadline (`total_budget_s`). Providers are tried in their configured
order; each gets up to `max_attempts` attempts, each bounded by `call_timeout_s` and by
what is left of the budget. A retryable failure (429, 5xx, timeout, dropped connection,
malformed answer) waits a jittered backoff, never past the deadline; a final one (another
4xx) moves to the next provider at once. A provider whose circuit is open is skipped.

A stream can be retried only until it has handed on its first piece of text: after that a
failure raises `StreamInterruptedError`, since repeating would repeat text already shown.
"""

import asyncio
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import TypeVar

from server.agents.llm.backoff import backoff_s
from server.agents.llm.breaker import BreakerState, CircuitBreaker
from server.agents.llm.errors import (
    AttemptFailure,
    NotConfiguredError,
    ProviderCallError,
    ProvidersUnavailableError,
    StreamInterruptedError,
)
from server.agents.llm.observer import CallObserver, CallRecord, NoObserver
from server.agents.llm.provider import Provider
from server.agents.llm.types import ChatRequest, Completion, StreamEvent
from server.config.llm import LLMConfig

T = TypeVar("T")
Attempt = Callable[[Provider, float], Awaitable[T]]


class LLMClient:
    """Calls the configured providers; one per process, shared by concurrent requests."""

    def __init__(
        self,
        config: LLMConfig,
        observer: CallObserver | None = None,
        *,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._observer = observer or NoObserver()
        self._rng = rng or random.SystemRandom()
        self._sleep = sleep
        self._clock = clock
        self._providers = [Provider(provider) for provider in config.providers]
        self._breakers = {
            provider.name: CircuitBreaker(config.breaker_failures, config.breaker_reset_s, clock)
            for provider in config.providers
        }

    @property
    def configured(self) -> bool:
        return bool(self._providers)

    def breaker_state(self, provider: str) -> BreakerState:
        return self._breakers[provider].state

    async def complete(
        self, request: ChatRequest, observer: CallObserver | None = None
    ) -> Completion:
        """One whole answer from the first provider able to give it."""
        observe = observer or self._observer

        async def attempt(provider: Provider, timeout_s: float) -> Completion:
            started = self._clock()
            completion = await provider.complete(request, timeout_s)
            observe.record(
                CallRecord(
                    provider=provider.name,
                    model=completion.model,
                    streaming=False,
                    duration_s=self._clock() - started,
                    error_type=None,
                    input_tokens=completion.usage.input_tokens,
                    output_tokens=completion.usage.output_tokens,
                    cost=provider.cost(completion.usage),
                )
            )
            return completion

        return await self._first_answer(attempt, observe, streaming=False)

    async def stream(
        self, request: ChatRequest, observer: CallObserver | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Text pieces as they come, then the whole `Completion`."""
        observe = observer or self._observer
        opened: dict[str, float] = {}

        async def attempt(
            provider: Provider, timeout_s: float
        ) -> tuple[Provider, AsyncGenerator[StreamEvent, None], StreamEvent]:
            opened["at"] = self._clock()
            events = provider.stream(request, timeout_s)
            try:
                first = await anext(events)
            except BaseException:
                await events.aclose()
                raise
            opened["first"] = self._clock()
            return provider, events, first

        provider, events, first = await self._first_answer(attempt, observe, streaming=True)
        breaker = self._breakers[provider.name]
        started, first_at = opened["at"], opened["first"]
        event: StreamEvent = first
        try:
            while True:
                yield event
                if isinstance(event, Completion):
                    breaker.record_success()
                    observe.record(
                        CallRecord(
                            provider=provider.name,
                            model=event.model,
                            streaming=True,
                            duration_s=self._clock() - started,
                            error_type=None,
                            first_chunk_s=first_at - started,
                            input_tokens=event.usage.input_tokens,
                            output_tokens=event.usage.output_tokens,
                            cost=provider.cost(event.usage),
                        )
                    )
                    return
                try:
                    event = await anext(events)
                except ProviderCallError as exc:
                    breaker.record_failure()
                    observe.record(
                        CallRecord(
                            provider=provider.name,
                            model=provider.config.model,
                            streaming=True,
                            duration_s=self._clock() - started,
                            error_type=exc.kind,
                            first_chunk_s=first_at - started,
                        )
                    )
                    raise StreamInterruptedError(provider.name, exc.reason) from exc
        finally:
            await events.aclose()

    async def _first_answer(
        self, attempt: Attempt[T], observe: CallObserver, *, streaming: bool
    ) -> T:
        """Run `attempt` over the providers, with retries and fallbacks, until one answers."""
        if not self._providers:
            raise NotConfiguredError()
        deadline = self._clock() + self.config.total_budget_s
        failures: list[AttemptFailure] = []
        for provider in self._providers:
            breaker = self._breakers[provider.name]
            for number in range(self.config.max_attempts):
                remaining = deadline - self._clock()
                if remaining <= 0:
                    raise ProvidersUnavailableError(failures, budget_exhausted=True)
                if not breaker.allow():
                    failures.append(AttemptFailure(provider.name, "circuit open"))
                    observe.record(
                        CallRecord(
                            provider.name, provider.config.model, streaming, 0.0, "circuit_open"
                        )
                    )
                    break
                started = self._clock()
                try:
                    answer = await attempt(provider, min(self.config.call_timeout_s, remaining))
                except ProviderCallError as exc:
                    breaker.record_failure()
                    failures.append(AttemptFailure(provider.name, exc.reason))
                    observe.record(
                        CallRecord(
                            provider.name,
                            provider.config.model,
                            streaming,
                            self._clock() - started,
                            exc.kind,
                        )
                    )
                    if not exc.retryable or number + 1 == self.config.max_attempts:
                        break
                    wait = backoff_s(
                        number,
                        base_s=self.config.retry_base_s,
                        cap_s=self.config.retry_cap_s,
                        retry_after_s=exc.retry_after_s,
                        rng=self._rng,
                    )
                    if self._clock() + wait >= deadline:
                        raise ProvidersUnavailableError(failures, budget_exhausted=True) from exc
                    await self._sleep(wait)
                    continue
                if not streaming:
                    breaker.record_success()
                return answer
        # A last attempt that timed out may have spent the budget: say so.
        raise ProvidersUnavailableError(failures, budget_exhausted=self._clock() >= deadline)

    async def aclose(self) -> None:
        for provider in self._providers:
            await provider.aclose()
