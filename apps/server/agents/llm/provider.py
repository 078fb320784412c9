"""One OpenAI-compatible endpoint, called through the official async `openai` client.

The client's own retries are off (`max_retries=0`): `LLMClient` retries, so that every wait
counts against one total budget and a fallback provider gets the time that is left. Each
failure is translated into a `ProviderCallError` that says whether a repeat may help.
"""

import asyncio
import email.utils
import time
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import ValidationError

from server.agents.llm.errors import ProviderCallError
from server.agents.llm.types import ChatRequest, Completion, StreamEvent, TextDelta, ToolCall, Usage
from server.config.llm import ProviderConfig

# Statuses a repeat may cure (OpenAI's own client retries the same ones).
RETRYABLE_STATUSES = frozenset({408, 409, 429})
TRANSPORT_ERRORS = (openai.APIConnectionError, httpx2.TransportError)
NO_KEY = "unused"  # the protocol wants a bearer; local servers ignore it


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` as seconds (a number or an HTTP date), or None when absent or odd."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def translate(exc: BaseException) -> ProviderCallError:
    """A provider's failure as a `ProviderCallError`; its text is not passed on."""
    if isinstance(exc, TimeoutError | openai.APITimeoutError):
        return ProviderCallError("timeout", "timed out", retryable=True)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429:
            retry_after = retry_after_seconds(exc.response.headers)
            return ProviderCallError(
                "rate_limited", "HTTP 429", retryable=True, retry_after_s=retry_after
            )
        if status >= 500 or status in RETRYABLE_STATUSES:
            return ProviderCallError("server_error", f"HTTP {status}", retryable=True)
        return ProviderCallError("client_error", f"HTTP {status}", retryable=False)
    if isinstance(exc, TRANSPORT_ERRORS):
        return ProviderCallError("connection", "connection failed", retryable=True)
    return ProviderCallError("bad_response", "malformed response", retryable=True)


# What a call may raise that is the provider's doing, not a bug of ours.
PROVIDER_FAILURES = (
    TimeoutError,
    openai.OpenAIError,
    httpx2.HTTPError,
    ValidationError,
    ValueError,
    KeyError,
)


class Provider:
    """Calls one configured endpoint; holds its HTTP connection pool."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        key = config.api_key.get_secret_value() if config.api_key else NO_KEY
        self._client = openai.AsyncOpenAI(base_url=config.base_url, api_key=key, max_retries=0)

    @property
    def name(self) -> str:
        return self.config.name

    def cost(self, usage: Usage) -> float:
        """The call's price from the configured price table."""
        return (
            usage.input_tokens * self.config.input_price_per_mtok
            + usage.output_tokens * self.config.output_price_per_mtok
        ) / 1_000_000

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {"model": self.config.model, "messages": request.messages}
        if request.tools:
            arguments["tools"] = request.tools
        if request.temperature is not None:
            arguments["temperature"] = request.temperature
        if request.max_tokens is not None:
            arguments["max_tokens"] = request.max_tokens
        return arguments

    async def complete(self, request: ChatRequest, timeout_s: float) -> Completion:
        """One non-streaming call, answered within `timeout_s` or failed."""
        try:
            async with asyncio.timeout(timeout_s):
                response = await self._client.chat.completions.create(
                    **self._arguments(request), timeout=timeout_s
                )
            return self._completion(response)
        except PROVIDER_FAILURES as exc:
            raise translate(exc) from exc

    def _completion(self, response: ChatCompletion) -> Completion:
        if not response.choices:
            raise ValueError("no choices")
        choice = response.choices[0]
        calls = [
            ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments)
            for call in choice.message.tool_calls or []
            if call.type == "function"
        ]
        usage = response.usage
        return Completion(
            provider=self.name,
            model=self.config.model,
            content=choice.message.content or "",
            tool_calls=calls,
            finish_reason=choice.finish_reason or "stop",
            usage=Usage(
                input_tokens=usage.prompt_tokens if usage else 0,
                output_tokens=usage.completion_tokens if usage else 0,
            ),
        )

    async def stream(
        self, request: ChatRequest, idle_timeout_s: float
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream one call: text pieces as they come, then the whole `Completion`. Each
        chunk (the first included) must come within `idle_timeout_s` of the previous one; a
        stream that ends before its finish reason is broken, not complete."""
        assembly = _StreamAssembly()
        try:
            async with asyncio.timeout(idle_timeout_s):
                chunks = await self._client.chat.completions.create(
                    **self._arguments(request),
                    stream=True,
                    stream_options={"include_usage": True},
                    timeout=idle_timeout_s,
                )
            try:
                iterator = chunks.__aiter__()
                while True:
                    # The timeout wraps the wait only: a consumer slow between two chunks
                    # is not cancelled by it.
                    try:
                        async with asyncio.timeout(idle_timeout_s):
                            chunk = await anext(iterator)
                    except StopAsyncIteration:
                        break
                    text = assembly.add(chunk)
                    if text:
                        yield TextDelta(text)
            finally:
                await chunks.close()
            completion = assembly.completion(self.name, self.config.model)
        except PROVIDER_FAILURES as exc:
            raise translate(exc) from exc
        yield completion

    async def aclose(self) -> None:
        await self._client.close()


class _StreamAssembly:
    """Builds the `Completion` of a stream from its chunks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.calls: dict[int, dict[str, str]] = {}
        self.finish_reason: str | None = None
        self.usage = Usage()

    def add(self, chunk: ChatCompletionChunk) -> str:
        """Take one chunk in; return its text, if any."""
        if chunk.usage is not None:
            self.usage = Usage(
                input_tokens=chunk.usage.prompt_tokens,
                output_tokens=chunk.usage.completion_tokens,
            )
        text = ""
        for choice in chunk.choices[:1]:
            if choice.delta.content:
                text = choice.delta.content
                self.parts.append(text)
            for piece in choice.delta.tool_calls or []:
                call = self.calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
                if piece.id:
                    call["id"] = piece.id
                if piece.function is not None:
                    call["name"] += piece.function.name or ""
                    call["arguments"] += piece.function.arguments or ""
            if choice.finish_reason:
                self.finish_reason = choice.finish_reason
        return text

    def completion(self, provider: str, model: str) -> Completion:
        if self.finish_reason is None:
            raise ValueError("the stream ended before its finish reason")
        calls = []
        for index in sorted(self.calls):
            call = self.calls[index]
            if not call["name"]:
                raise ValueError("a streamed tool call has no name")
            calls.append(
                ToolCall(
                    id=call["id"] or f"call_{index}",
                    name=call["name"],
                    arguments=call["arguments"],
                )
            )
        return Completion(
            provider=provider,
            model=model,
            content="".join(self.parts),
            tool_calls=calls,
            finish_reason=self.finish_reason,
            usage=self.usage,
        )
