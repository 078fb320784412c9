"""What one draft's model and tool calls leave behind: metrics, OpenTelemetry spans named
after the GenAI semantic conventions, the draft's totals and its step-by-step trace.

Spans go through the OpenTelemetry API only: without an SDK configured they cost nothing;
with one, a draft is an `invoke_agent` span holding a `chat` span per provider attempt and an
`execute_tool` span per tool call.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from server.agents.llm.agent import Tool, ToolError
from server.agents.llm.observer import CallRecord
from server.core import genai_metrics
from server.services.assistant.gateway import OPERATION, CallMetrics

tracer = trace.get_tracer("server.assistant")
AGENT_NAME = "reply-assistant"
NS_PER_S = 1_000_000_000


class DraftMeter:
    """A `CallObserver` for one draft: metrics and a span per provider attempt, the tokens
    and cost it spent (failed runs included), and the model steps of its trace."""

    def __init__(self, prompt_version: str, steps: list[dict[str, Any]]) -> None:
        self._metrics = CallMetrics(prompt_version)
        self.steps = steps
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost = 0.0
        self.provider: str | None = None
        self.model: str | None = None

    def record(self, call: CallRecord) -> None:
        self._metrics.record(call)
        _call_span(call)
        if call.error_type == "circuit_open":
            return
        if call.error_type is None:
            self.input_tokens += call.input_tokens
            self.output_tokens += call.output_tokens
            self.cost += call.cost
            self.provider, self.model = call.provider, call.model
        self.steps.append(
            {
                "index": len(self.steps),
                "kind": "model",
                "name": f"{call.provider}/{call.model}",
                "arguments": None,
                "result": {"input_tokens": call.input_tokens, "output_tokens": call.output_tokens}
                if call.error_type is None
                else None,
                "error": call.error_type,
                "duration_ms": round(call.duration_s * 1000, 3),
            }
        )


def _call_span(call: CallRecord) -> None:
    """A span for an attempt already made: its start is placed `duration_s` back."""
    end = time.time_ns()
    span = tracer.start_span(
        f"{OPERATION} {call.model}",
        kind=SpanKind.CLIENT,
        start_time=end - int(call.duration_s * NS_PER_S),
        attributes={
            "gen_ai.operation.name": OPERATION,
            "gen_ai.provider.name": call.provider,
            "gen_ai.request.model": call.model,
            "gen_ai.usage.input_tokens": call.input_tokens,
            "gen_ai.usage.output_tokens": call.output_tokens,
        },
    )
    if call.error_type is not None:
        span.set_attribute("error.type", call.error_type)
        span.set_status(Status(StatusCode.ERROR))
    span.end(end_time=end)


@contextmanager
def agent_span(prompt_version: str) -> Iterator[Span]:
    """The span of one whole draft; the call and tool spans nest in it."""
    with tracer.start_as_current_span(
        f"invoke_agent {AGENT_NAME}",
        kind=SpanKind.INTERNAL,
        attributes={
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": AGENT_NAME,
            "prompt_version": prompt_version,
        },
    ) as span:
        yield span


class TracedTool:
    """A tool whose calls are counted, timed and traced (`execute_tool` spans), told to the
    model with the prompt version's own description of it."""

    def __init__(self, tool: Tool, description: str) -> None:
        self._tool = tool
        self.name = tool.name
        self.description = description
        self.parameters = tool.parameters

    async def __call__(self, arguments: dict[str, Any]) -> Any:
        started = time.perf_counter()
        outcome = "error"
        with tracer.start_as_current_span(
            f"execute_tool {self.name}",
            kind=SpanKind.INTERNAL,
            attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": self.name},
        ) as span:
            try:
                result = await self._tool(arguments)
                outcome = "ok"
                return result
            except ToolError:
                span.set_attribute("error.type", "tool_error")
                raise
            finally:
                genai_metrics.TOOL_CALLS.labels(self.name, outcome).inc()
                genai_metrics.TOOL_DURATION.labels(self.name).observe(time.perf_counter() - started)
