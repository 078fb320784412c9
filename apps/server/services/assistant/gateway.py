"""The API's access to the language models: one `LLMClient` per process, its calls metered,
its failures turned into answers a client understands.

Without a configured provider the assistant is off and says how to turn it on (503); the
rest of the service does not depend on it. A provider outage is a 503 with `Retry-After`, a
call that ran out of its time budget a 504.
"""

import math
from collections.abc import AsyncIterator, Sequence
from typing import Any

import structlog

from server.agents.llm import (
    CallRecord,
    ChatRequest,
    Completion,
    LLMClient,
    NotConfiguredError,
    ProvidersUnavailableError,
    StreamInterruptedError,
)
from server.agents.llm.agent import AgentEvent, AgentLimits, Tool, stream_agent
from server.agents.llm.observer import CallObserver
from server.agents.llm.types import StreamEvent
from server.config.llm import LLMConfig
from server.core import genai_metrics
from server.core.errors import AppError, GatewayTimeoutError, ServiceUnavailableError

OPERATION = "chat"

log = structlog.get_logger(__name__)


class AssistantNotConfiguredError(ServiceUnavailableError):
    slug = "assistant-not-configured"


class CallMetrics:
    """Records each attempt of one draft's model calls, labelled by its prompt version."""

    def __init__(self, prompt_version: str) -> None:
        self.prompt_version = prompt_version

    def record(self, call: CallRecord) -> None:
        if call.error_type == "circuit_open":
            genai_metrics.CIRCUIT_OPEN.labels(call.provider).inc()
            return
        labels = (OPERATION, call.provider, call.model, self.prompt_version)
        genai_metrics.OPERATION_DURATION.labels(*labels, call.error_type or "").observe(
            call.duration_s
        )
        if call.error_type is not None:
            return
        genai_metrics.TOKEN_USAGE.labels(*labels, "input").observe(call.input_tokens)
        genai_metrics.TOKEN_USAGE.labels(*labels, "output").observe(call.output_tokens)
        genai_metrics.COST.labels(*labels).inc(call.cost)
        if call.first_chunk_s is not None:
            genai_metrics.TIME_TO_FIRST_CHUNK.labels(*labels).observe(call.first_chunk_s)


class ModelGateway:
    """Calls the configured providers for the services; shared by an API process."""

    def __init__(self, config: LLMConfig, client: LLMClient | None = None) -> None:
        self.config = config
        self._client = client or LLMClient(config)

    @property
    def configured(self) -> bool:
        return self._client.configured

    def require_configured(self) -> None:
        """503 with how to configure a provider, before any work is done for nothing."""
        if not self._client.configured:
            raise self._not_configured()

    async def complete(
        self, request: ChatRequest, prompt_version: str, observer: CallObserver | None = None
    ) -> Completion:
        """One whole answer; `observer` replaces the default metrics (it should record
        them too, as the drafts' meter does)."""
        try:
            return await self._client.complete(request, observer or CallMetrics(prompt_version))
        except (NotConfiguredError, ProvidersUnavailableError) as exc:
            raise self._problem(exc) from exc

    async def run_agent(
        self,
        messages: Sequence[dict[str, Any]],
        tools: Sequence[Tool],
        limits: AgentLimits,
        observer: CallObserver,
    ) -> AsyncIterator[AgentEvent]:
        """The agent loop's events over the configured providers, its failures mapped
        like `stream`'s (a run out of tokens stays a `TokenBudgetExceededError`)."""
        try:
            async for event in stream_agent(self._client, messages, tools, limits, observer):
                yield event
        except (NotConfiguredError, ProvidersUnavailableError) as exc:
            raise self._problem(exc) from exc
        except StreamInterruptedError as exc:
            raise self._interrupted(exc) from exc

    async def stream(self, request: ChatRequest, prompt_version: str) -> AsyncIterator[StreamEvent]:
        """Text pieces, then the `Completion`. A failure before the first piece raises the
        same problems as `complete`; one after it, a 503 the caller must report in-stream
        (its partial text is not an answer)."""
        try:
            async for event in self._client.stream(request, CallMetrics(prompt_version)):
                yield event
        except (NotConfiguredError, ProvidersUnavailableError) as exc:
            raise self._problem(exc) from exc
        except StreamInterruptedError as exc:
            raise self._interrupted(exc) from exc

    def _interrupted(self, exc: StreamInterruptedError) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            f"The model provider {exc.provider} stopped mid-answer ({exc.reason}); retry."
        )

    def _not_configured(self) -> AssistantNotConfiguredError:
        return AssistantNotConfiguredError(
            f"The reply assistant is off: {NotConfiguredError()}. See the README's "
            "'Reply assistant' section.",
            extra={"setting": "APP_LLM__PROVIDERS"},
        )

    def _problem(self, exc: NotConfiguredError | ProvidersUnavailableError) -> AppError:
        if isinstance(exc, NotConfiguredError):
            return self._not_configured()
        if exc.budget_exhausted:
            return GatewayTimeoutError(
                f"The model providers did not answer within {self.config.total_budget_s:g} s."
            )
        # Which provider failed how is for the operators (log, metrics), not for clients.
        log.warning("assistant.providers_unavailable", failures=str(exc))
        retry_s = max(1, math.ceil(self.config.breaker_reset_s))
        return ServiceUnavailableError(
            "No model provider is answering now; retry later.",
            headers={"Retry-After": str(retry_s)},
        )

    async def aclose(self) -> None:
        await self._client.aclose()
