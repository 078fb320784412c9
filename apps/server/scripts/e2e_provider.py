"""The LLM provider of `make e2e`: the tests' fake OpenAI-protocol server, scripted for the
console's draft.

The console's draft test then drafts for real, through the API, the queue and a worker:
the model asks for `classify_ticket` (scored by the worker) and `search_articles` (the
seeded knowledge base), then streams its JSON answer citing an article the search found.
The answer holds after its first pieces until the test releases it (`E2E_LLM_URL`), so the
test sees a half-written reply in the page, not only the finished draft.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from server.tests.support.drafting import answer_step, tool_step
from server.tests.support.fake_llm import fake_openai_server

PROVIDER = "e2e"
"""The provider's name: the path prefix at the fake server, and the spec's release URL."""
CITED = "refund-refund"
"""A seeded article (`python -m server seed-articles`) that a search for `refund` finds."""
REPLY = (
    "We are sorry that your order was charged twice. We have asked for a refund of the "
    "second payment; it reaches the original payment method within five working days, and "
    "you will receive an email as soon as it is on its way back to you."
)
"""Long enough that the first third of the streamed JSON answer stops inside it."""


def draft_conversation() -> list[dict[str, Any]]:
    """The model's turns for the console's one draft: both tools at once, then the answer,
    in six pieces, held after the second until the test releases it."""
    return [
        tool_step(("classify_ticket", {}), ("search_articles", {"query": "refund"})),
        answer_step(
            REPLY,
            cited=[CITED],
            category="refund",
            note="The refund article covers double charges.",
            chunks=6,
            # Events: the role, then the pieces; held with two pieces sent.
            hold_after=3,
            hold_s=120,
        ),
    ]


@dataclass(frozen=True)
class ScriptedProvider:
    """The variables that point the API (`api_env`) and the spec (`spec_env`) at it."""

    api_env: dict[str, str]
    spec_env: dict[str, str]


@contextmanager
def scripted_provider() -> Iterator[ScriptedProvider]:
    """Run the fake provider, scripted, until the context ends (also on failure)."""
    with fake_openai_server() as fake:
        fake.script(PROVIDER, *draft_conversation())
        provider = fake.provider(PROVIDER).model_dump(mode="json", exclude_none=True)
        yield ScriptedProvider(
            api_env={"APP_LLM__PROVIDERS": json.dumps([provider])},
            spec_env={"E2E_LLM_URL": fake.url, "E2E_LLM_PROVIDER": PROVIDER},
        )
