"""The tool-calling loop: ask the model, run the tools it asks for, give it their results,
until it answers in words, within a maximum of model calls and of tokens.

The loop streams: it yields the model's text as it comes, and an event before and after each
tool call, so that a caller can show the steps live or just collect the run (`run_agent`).
A tool is any object with a name, a description, a JSON Schema of its arguments and an async
call; its failures and a model's malformed or unknown tool calls go back to the model as
the tool's answer (it may correct itself), never up to the caller. The last call allowed
carries no tools, so the model must answer.
"""

import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from server.agents.llm.client import LLMClient
from server.agents.llm.errors import LLMError
from server.agents.llm.observer import CallObserver
from server.agents.llm.types import ChatRequest, Completion, TextDelta, ToolCall, Usage


class ToolError(Exception):
    """A tool refused its arguments or failed; the message goes back to the model."""


class Tool(Protocol):
    name: str
    description: str
    parameters: dict[str, Any]

    async def __call__(self, arguments: dict[str, Any]) -> Any:
        """The result, JSON-serializable; raise ToolError to tell the model why not."""


class TokenBudgetExceededError(LLMError):
    """The run spent its tokens before the model answered."""


@dataclass(frozen=True)
class AgentLimits:
    max_steps: int
    """Model calls in one run, the final answer's included."""
    max_tokens: int
    """Input and output tokens of all the run's calls together."""
    max_output_tokens: int | None = None
    temperature: float | None = None


@dataclass(frozen=True)
class ToolStarted:
    call: ToolCall


@dataclass(frozen=True)
class ToolFinished:
    call: ToolCall
    result: Any
    error: str | None
    duration_s: float


@dataclass
class AgentRun:
    """What a finished run produced: the answer, each tool step, the tokens it spent."""

    answer: Completion
    steps: list[ToolFinished] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model_calls: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    """The conversation up to the answer (not included), e.g. to ask for a repair."""


AgentEvent = TextDelta | ToolStarted | ToolFinished | AgentRun


def tool_spec(tool: Tool) -> dict[str, Any]:
    """A tool as the chat-completions protocol describes it."""
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }


async def _run_tool(tools: dict[str, Tool], call: ToolCall) -> ToolFinished:
    started = time.monotonic()
    result: Any = None
    error: str | None = None
    tool = tools.get(call.name)
    if tool is None:
        error = f"there is no tool named {call.name!r}; use one of {', '.join(sorted(tools))}"
    else:
        try:
            result = await tool(call.parsed_arguments())
        except ValueError as exc:  # the model's JSON (json.JSONDecodeError is a ValueError)
            error = f"the arguments are not a valid JSON object: {exc}"
        except ToolError as exc:
            error = str(exc)
    return ToolFinished(call, result, error, time.monotonic() - started)


def _tool_message(step: ToolFinished) -> dict[str, Any]:
    content = {"error": step.error} if step.error is not None else {"result": step.result}
    return {"role": "tool", "tool_call_id": step.call.id, "content": json.dumps(content)}


def _assistant_message(completion: Completion) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": completion.content or None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in completion.tool_calls
        ],
    }


async def stream_agent(
    client: LLMClient,
    messages: Sequence[dict[str, Any]],
    tools: Sequence[Tool],
    limits: AgentLimits,
    observer: CallObserver | None = None,
) -> AsyncIterator[AgentEvent]:
    """Run the loop; the last event is the `AgentRun`."""
    by_name = {tool.name: tool for tool in tools}
    specs = [tool_spec(tool) for tool in tools]
    history = list(messages)
    steps: list[ToolFinished] = []
    spent_in = spent_out = 0
    for number in range(limits.max_steps):
        remaining = limits.max_tokens - spent_in - spent_out
        if remaining <= 0:
            raise TokenBudgetExceededError(
                f"the draft spent its {limits.max_tokens} tokens before answering"
            )
        last = number + 1 == limits.max_steps
        output_cap = min(limits.max_output_tokens or remaining, remaining)
        request = ChatRequest(
            messages=history,
            tools=[] if last else specs,
            temperature=limits.temperature,
            max_tokens=output_cap,
        )
        completion: Completion | None = None
        async for event in client.stream(request, observer):
            if isinstance(event, Completion):
                completion = event
            else:
                yield event
        assert completion is not None  # noqa: S101 - a stream always ends with its Completion
        spent_in += completion.usage.input_tokens
        spent_out += completion.usage.output_tokens
        if not completion.tool_calls or last:
            yield AgentRun(
                answer=completion,
                steps=steps,
                usage=Usage(input_tokens=spent_in, output_tokens=spent_out),
                model_calls=number + 1,
                history=history,
            )
            return
        history.append(_assistant_message(completion))
        for call in completion.tool_calls:
            yield ToolStarted(call)
            step = await _run_tool(by_name, call)
            steps.append(step)
            history.append(_tool_message(step))
            yield step
    raise AssertionError("unreachable: the last step always answers")  # pragma: no cover


async def run_agent(
    client: LLMClient,
    messages: Sequence[dict[str, Any]],
    tools: Sequence[Tool],
    limits: AgentLimits,
    observer: CallObserver | None = None,
) -> AgentRun:
    """Run the loop to its end and return the run."""
    async for event in stream_agent(client, messages, tools, limits, observer):
        if isinstance(event, AgentRun):
            return event
    raise AssertionError("unreachable: a run always ends with its AgentRun")  # pragma: no cover
