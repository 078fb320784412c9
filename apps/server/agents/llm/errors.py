"""Why a model call failed, in terms a service can map to an answer."""

from dataclasses import dataclass


class LLMError(Exception):
    """Base of the failures of `agents/llm`."""


class NotConfiguredError(LLMError):
    """No provider is configured: the assistant is off, the rest of the service is not."""

    def __init__(self) -> None:
        super().__init__(
            "no LLM provider is configured; set APP_LLM__PROVIDERS to a JSON list such as "
            '[{"name": "ollama", "base_url": "http://127.0.0.1:11434/v1", "model": "llama3.2"}] '
            "(any OpenAI-compatible endpoint: OpenAI, vLLM, Ollama, a LiteLLM proxy)"
        )


@dataclass(frozen=True)
class AttemptFailure:
    """One failed attempt: which provider, and a short reason (no provider text)."""

    provider: str
    reason: str


class ProviderCallError(LLMError):
    """One attempt at one provider failed. `kind` is a short class for metrics
    (`rate_limited`, `server_error`, `timeout`, `connection`, `bad_response`,
    `client_error`); `retryable`: the same provider may answer a repeat (429, 5xx,
    timeout, dropped connection, broken stream); `retry_after_s`: how long it asked us to
    wait, if it said."""

    def __init__(
        self, kind: str, reason: str, *, retryable: bool, retry_after_s: float | None = None
    ) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.retryable = retryable
        self.retry_after_s = retry_after_s


class ProvidersUnavailableError(LLMError):
    """Every provider failed, was skipped by its open circuit, or the budget ran out."""

    def __init__(self, failures: list[AttemptFailure], *, budget_exhausted: bool) -> None:
        self.failures = failures
        self.budget_exhausted = budget_exhausted
        tried = "; ".join(f"{failure.provider}: {failure.reason}" for failure in failures)
        cause = "the time budget ran out" if budget_exhausted else "no provider answered"
        super().__init__(f"{cause} ({tried or 'none tried'})")


class StreamInterruptedError(LLMError):
    """A stream failed after part of its text was already handed on: it cannot be retried
    without repeating that text, so the caller must discard the partial answer."""

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason
