"""The reply assistant's access to language models over the OpenAI chat-completions protocol.

`LLMClient` is the one entry point: it sends a `ChatRequest` to the configured providers in
order (fallbacks), each call bounded by a per-attempt timeout inside a total budget, retried
with jittered backoff on 429, 5xx, timeouts and broken streams, and skipped while its circuit
breaker is open. Plain asyncio and the official `openai` client: no FastAPI, no database.
"""

from server.agents.llm.client import LLMClient
from server.agents.llm.errors import (
    LLMError,
    NotConfiguredError,
    ProvidersUnavailableError,
    StreamInterruptedError,
)
from server.agents.llm.observer import CallObserver, CallRecord
from server.agents.llm.types import ChatRequest, Completion, TextDelta, ToolCall, Usage

__all__ = [
    "CallObserver",
    "CallRecord",
    "ChatRequest",
    "Completion",
    "LLMClient",
    "LLMError",
    "NotConfiguredError",
    "ProvidersUnavailableError",
    "StreamInterruptedError",
    "TextDelta",
    "ToolCall",
    "Usage",
]
