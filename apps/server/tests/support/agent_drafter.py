"""A `Drafter` for tests of prompt evaluation: the real agent loop (`run_agent`, then the
answer parsed by `structured.parse_answer`) against the fake OpenAI-compatible process,
with stand-in tools that answer fixed results.

Each prompt version gets a provider of its own on the fake process, so a test scripts what
"the model" answers under each prompt: e.g. a worse prompt whose answers cite the wrong
article. The tools are not under test here; the prompt and the loop are. On a worker the
drafting service's drafter takes this one's place (`AppServices.eval_drafter`).
"""

import json
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from server.agents.llm import LLMClient
from server.agents.llm.agent import AgentLimits, run_agent
from server.agents.llm.delimiting import DATA_RULE, fence
from server.agents.llm.drafting import (
    CLASSIFY_TOOL,
    HISTORY_TOOL,
    SEARCH_TOOL,
    DraftOutcome,
    DraftReply,
    PromptSpec,
)
from server.agents.llm.evaluation import EvalExample
from server.agents.llm.structured import parse_answer
from server.config.llm import LLMConfig
from server.tests.support.fake_llm import FakeOpenAI

MAX_TOKENS = 20_000


class _StubTool:
    def __init__(self, name: str, description: str, result: Any) -> None:
        self.name, self.description, self.result = name, description, result
        self.parameters = {"type": "object", "properties": {"text": {"type": "string"}}}

    async def __call__(self, arguments: dict[str, Any]) -> Any:
        del arguments
        return self.result


class AgentDrafter:
    """Drafts through `run_agent`; the provider is chosen by the prompt's digest."""

    def __init__(self, fake: FakeOpenAI, providers: dict[str, str]) -> None:
        """`providers`: prompt digest -> the fake provider name scripted for that prompt."""
        self._clients = {
            digest: LLMClient(
                LLMConfig(providers=[fake.provider(name)], max_attempts=1, call_timeout_s=10)
            )
            for digest, name in providers.items()
        }

    async def __call__(self, ticket: str, prompt: PromptSpec) -> DraftOutcome:
        client = self._clients[prompt.digest()]
        tools = [
            _StubTool(CLASSIFY_TOOL, prompt.tool_descriptions[CLASSIFY_TOOL], {"label": "?"}),
            _StubTool(SEARCH_TOOL, prompt.tool_descriptions[SEARCH_TOOL], []),
            _StubTool(HISTORY_TOOL, prompt.tool_descriptions[HISTORY_TOOL], []),
        ]
        messages = [
            {"role": "system", "content": f"{prompt.system_prompt}\n\n{DATA_RULE}"},
            {"role": "user", "content": fence(ticket)},
        ]
        limits = AgentLimits(
            max_steps=prompt.max_steps,
            max_tokens=MAX_TOKENS,
            max_output_tokens=prompt.max_output_tokens,
            temperature=prompt.temperature,
        )
        run = await run_agent(client, messages, tools, limits)
        called = [step.call.name for step in run.steps]
        try:
            reply = parse_answer(run.answer.content, DraftReply)
        except ValidationError as error:
            return DraftOutcome(reply=None, tools_called=called, error=str(error)[:200])
        return DraftOutcome(reply=reply, tools_called=called)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


def scripted_drafts(
    examples: Iterable[EvalExample], *, cite: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The fake provider's steps for drafting `examples` in order: call the classifier and
    the search, then answer citing the expected article (or `cite[expected]` instead)."""
    steps: list[dict[str, Any]] = []
    for example in examples:
        cited = (cite or {}).get(example.expected_article, example.expected_article)
        answer = {
            "reply": "Thanks for writing; here is what to do.",
            "category": example.expected_category,
            "cited_articles": [cited],
            "confidence_note": "The article matches the ticket.",
        }
        steps.append(
            {
                "tool_calls": [
                    {"name": CLASSIFY_TOOL, "arguments": json.dumps({"text": example.ticket})},
                    {"name": SEARCH_TOOL, "arguments": json.dumps({"text": "help"})},
                ],
                "usage": [50, 10],
            }
        )
        steps.append({"content": json.dumps(answer), "usage": [80, 30]})
    return steps
