"""A model's answer as a validated Pydantic object, with one chance to repair it.

The answer must be one JSON object (a Markdown code fence around it is tolerated). When it
does not parse or does not fit the schema, the model is shown what was wrong and asked once
more; a second failure is an `InvalidOutputError`, never a half-valid object.
"""

import json
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from server.agents.llm.client import LLMClient
from server.agents.llm.errors import LLMError
from server.agents.llm.observer import CallObserver
from server.agents.llm.types import ChatRequest, Completion

M = TypeVar("M", bound=BaseModel)
_FENCED = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
MAX_REPORTED_ERRORS = 5


class InvalidOutputError(LLMError):
    """The model's answer did not fit the schema, even after one repair."""


@dataclass(frozen=True)
class StructuredAnswer(Generic[M]):
    value: M
    completions: list[Completion]
    """Every call made: one, or two when the first answer needed a repair."""


def parse_answer(content: str, schema: type[M]) -> M:
    """The answer as `schema`; ValidationError when it is not (malformed JSON included)."""
    fenced = _FENCED.match(content)
    return schema.model_validate_json(fenced.group(1) if fenced else content.strip())


def _problems(error: ValidationError) -> str:
    """What was wrong, briefly: malformed JSON is reported as such by the validation too."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'answer'}: {item['msg']}"
        for item in error.errors()[:MAX_REPORTED_ERRORS]
    )


async def complete_structured(
    client: LLMClient,
    request: ChatRequest,
    schema: type[M],
    observer: CallObserver | None = None,
) -> StructuredAnswer[M]:
    """Ask, validate, and on a misfit ask once more with what was wrong."""
    first = await client.complete(request, observer)
    try:
        return StructuredAnswer(parse_answer(first.content, schema), [first])
    except ValidationError as error:
        repair = repair_messages(first.content, error, schema)
    second = await client.complete(
        request.model_copy(update={"messages": [*request.messages, *repair], "tools": []}),
        observer,
    )
    return StructuredAnswer(parse_repaired(second.content, schema), [first, second])


def repair_messages(
    answer: str, error: ValidationError, schema: type[BaseModel]
) -> list[dict[str, Any]]:
    """The turns that show the model its misfit `answer` and ask once more."""
    return [
        {"role": "assistant", "content": answer},
        {
            "role": "user",
            "content": "Your answer does not match the required JSON schema ("
            + _problems(error)
            + "). Answer again with only the JSON object, following this schema: "
            + json.dumps(schema.model_json_schema()),
        },
    ]


def parse_repaired(content: str, schema: type[M]) -> M:
    """The repaired answer as `schema`; `InvalidOutputError` when it still does not fit."""
    try:
        return parse_answer(content, schema)
    except ValidationError as error:
        raise InvalidOutputError(
            f"the model's answer did not fit the schema after a repair: {_problems(error)}"
        ) from error
