"""What goes to a model and what comes back, independent of any one provider."""

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChatRequest(BaseModel):
    """One chat-completions call: messages and tools in the protocol's own JSON shape."""

    model_config = ConfigDict(frozen=True)

    messages: list[dict[str, Any]] = Field(min_length=1)
    tools: list[dict[str, Any]] = Field(default_factory=list)
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)


class ToolCall(BaseModel):
    """A function the model asked for. `arguments` is the model's raw JSON text: a model
    may write malformed JSON, which `parsed_arguments` reports instead of trusting."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    arguments: str

    def parsed_arguments(self) -> dict[str, Any]:
        """The arguments as a JSON object; ValueError when they are not one."""
        value = json.loads(self.arguments or "{}")
        if not isinstance(value, dict):
            raise ValueError(f"the arguments of {self.name} are not a JSON object")
        return value


class Usage(BaseModel):
    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0


class Completion(BaseModel):
    """A whole answer: its text, the tools it calls, and which provider gave it."""

    model_config = ConfigDict(frozen=True)

    provider: str
    model: str
    content: str
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: str
    usage: Usage = Field(default_factory=Usage)


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer's text as it streams; a stream ends with its `Completion`."""

    text: str


StreamEvent = TextDelta | Completion
