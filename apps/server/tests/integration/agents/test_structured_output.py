"""Validated answers with one repair, against the fake provider process."""

import json
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from server.agents.llm import ChatRequest, LLMClient
from server.agents.llm.structured import InvalidOutputError, complete_structured
from server.config.llm import LLMConfig
from server.tests.support.fake_llm import FakeOpenAI

REQUEST = ChatRequest(messages=[{"role": "user", "content": "Draft a reply."}])


class Draft(BaseModel):
    reply: str = Field(min_length=1)
    category: str
    confidence: Literal["high", "medium", "low"]


GOOD = {"reply": "We are on it.", "category": "shipping", "confidence": "high"}


async def ask(fake: FakeOpenAI, name: str) -> tuple[Draft, int]:
    client = LLMClient(LLMConfig(providers=[fake.provider(name)]))
    try:
        answer = await complete_structured(client, REQUEST, Draft)
    finally:
        await client.aclose()
    return answer.value, len(answer.completions)


async def test_a_fitting_answer_needs_one_call(fake_openai: FakeOpenAI) -> None:
    fake_openai.script("fits", {"content": "```json\n" + json.dumps(GOOD) + "\n```"})
    assert await ask(fake_openai, "fits") == (Draft(**GOOD), 1)


async def test_a_misfit_is_repaired_once_with_what_was_wrong(fake_openai: FakeOpenAI) -> None:
    misfit = {**GOOD, "confidence": "certain"}
    fake_openai.script("repairs", {"content": json.dumps(misfit)}, {"content": json.dumps(GOOD)})
    assert await ask(fake_openai, "repairs") == (Draft(**GOOD), 2)

    repair = fake_openai.received("repairs")[1]["messages"]
    assert repair[-2] == {"role": "assistant", "content": json.dumps(misfit)}
    assert "confidence" in repair[-1]["content"]
    assert "only the JSON object" in repair[-1]["content"]


async def test_two_misfits_are_an_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.script("hopeless", {"content": "Sure! Here is a reply."}, {"content": "{}"})
    with pytest.raises(InvalidOutputError, match="reply: Field required"):
        await ask(fake_openai, "hopeless")
    assert "Invalid JSON" in fake_openai.received("hopeless")[1]["messages"][-1]["content"]
