"""Where a draft's prompt comes from: a seam the prompt registry fills.

A `PromptSource` picks the prompt version a draft runs under, by a routing key (the
caller), so that a canary split can send some callers to a challenger. Until the registry
is wired in, every draft runs under the built-in prompt, labelled `builtin`.
"""

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.llm.drafting import BUILTIN_PROMPT, PromptSpec

BUILTIN_LABEL = "builtin"


class PromptSource(Protocol):
    async def pick(self, session: AsyncSession, routing_key: str) -> tuple[str, PromptSpec]:
        """The label stored with the draft (e.g. `v3`) and the prompt's content."""


class BuiltinPrompt:
    """Every draft runs under `BUILTIN_PROMPT`."""

    async def pick(self, session: AsyncSession, routing_key: str) -> tuple[str, PromptSpec]:
        del session, routing_key
        return BUILTIN_LABEL, BUILTIN_PROMPT
