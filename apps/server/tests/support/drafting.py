"""Scripting reply drafts against the fake provider: the model's steps, and reading back
the events of a streamed draft."""

import json
from typing import Any

from server.config import Settings
from server.config.llm import LLMConfig
from server.tests.support.fake_llm import FakeOpenAI

PROVIDER = "primary"
FAST: dict[str, Any] = {
    "retry_base_s": 0.01,
    "retry_cap_s": 0.05,
    "call_timeout_s": 5.0,
    "max_attempts": 1,
}


def with_provider(settings: Settings, fake: FakeOpenAI, **limits: Any) -> Settings:
    """`settings` with the fake provider as the only one."""
    llm = LLMConfig(
        providers=[fake.provider(PROVIDER, input_price_per_mtok=1.0, output_price_per_mtok=2.0)],
        **{**FAST, **limits},
    )
    return settings.model_copy(update={"llm": llm})


def tool_step(
    *calls: tuple[str, dict[str, Any]], usage: tuple[int, int] = (50, 5)
) -> dict[str, Any]:
    """A model turn asking for tools."""
    return {
        "tool_calls": [
            {"id": f"call_{index}", "name": name, "arguments": json.dumps(arguments)}
            for index, (name, arguments) in enumerate(calls)
        ],
        "usage": list(usage),
    }


def answer_step(
    reply: str = "Your parcel is on its way.",
    *,
    cited: list[str] | None = None,
    category: str = "shipping",
    note: str = "The tracking page says so.",
    usage: tuple[int, int] = (80, 20),
    **extra: Any,
) -> dict[str, Any]:
    """A model turn giving the final answer as the JSON object drafts expect."""
    content = json.dumps(
        {
            "reply": reply,
            "category": category,
            "cited_articles": cited or [],
            "confidence_note": note,
        }
    )
    return {"content": content, "usage": list(usage), **extra}


def sse_events(body: str) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a text/event-stream body."""
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events
