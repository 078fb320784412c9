"""The LLM providers of the reply assistant and how calls to them are bounded.

`LLMConfig` is the agents' own configuration object: `agents/llm/` takes it as it is,
`Settings` nests it as `llm` (variables `APP_LLM__*`), and tests build it directly.
"""

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class ProviderConfig(BaseModel):
    """One endpoint that speaks the OpenAI chat-completions protocol (OpenAI, vLLM, Ollama,
    a LiteLLM proxy...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$",
        description="Short name, used as a metric label and in the draft's trace.",
    )
    base_url: str = Field(
        pattern=r"^https?://", description="Base URL up to `/v1`, e.g. `http://ollama:11434/v1`."
    )
    model: str = Field(min_length=1, max_length=200, description="Model name at that endpoint.")
    api_key: SecretStr | None = Field(
        None, description="Bearer key; local servers (Ollama, vLLM) usually need none."
    )
    input_price_per_mtok: float = Field(
        0.0, ge=0, description="Price of one million input tokens, for the cost metric."
    )
    output_price_per_mtok: float = Field(
        0.0, ge=0, description="Price of one million output tokens, for the cost metric."
    )


class LLMConfig(BaseModel):
    """Providers (the first is the primary, the rest are fallbacks in order) and the limits
    of every call: a timeout per attempt inside a total budget, retries with jitter on 429
    and 5xx, and a circuit breaker per provider."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    providers: list[ProviderConfig] = Field(
        default_factory=list,
        description='JSON list of providers, e.g. `[{"name": "ollama", "base_url": '
        '"http://127.0.0.1:11434/v1", "model": "llama3.2"}]`; empty: the reply assistant '
        "answers 503 and everything else works.",
    )
    call_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Seconds one attempt may take to answer (streaming: to its first chunk, "
        "and between two chunks).",
    )
    total_budget_s: float = Field(
        90.0,
        gt=0,
        description="Seconds one model call may take in all: attempts, waits between "
        "retries and fallbacks.",
    )
    max_attempts: int = Field(
        3, ge=1, le=10, description="Attempts per provider on 429, 5xx, timeouts and drops."
    )
    retry_base_s: float = Field(
        0.5, gt=0, description="First retry waits up to this; each later one up to twice more."
    )
    retry_cap_s: float = Field(
        8.0, gt=0, description="Longest wait between two attempts (also caps Retry-After)."
    )
    breaker_failures: int = Field(
        5,
        ge=1,
        description="Consecutive failed attempts after which a provider is skipped (its "
        "circuit opens).",
    )
    breaker_reset_s: float = Field(
        30.0, gt=0, description="Seconds an open circuit waits before one trial call."
    )

    draft_max_tokens: int = Field(
        16_000,
        ge=256,
        description="Input and output tokens one reply draft may spend over all its model "
        "calls; a run that reaches it fails.",
    )
    user_tokens_per_day: int = Field(
        500_000,
        ge=1,
        description="Tokens each user's reply drafts may spend per UTC day (counted from the "
        "stored drafts, failed ones included); past it, drafts answer 429 until midnight UTC.",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [provider.name for provider in self.providers]
        if len(names) != len(set(names)):
            raise ValueError("provider names must be unique")
        return self
