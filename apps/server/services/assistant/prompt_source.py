"""Where a draft's prompt comes from: the seam between drafting and the prompt registry.

A `PromptSource` picks the prompt version a draft runs under, by a routing key (the
caller), so that a canary split can send some callers to a challenger. The registry
(`prompts.PromptRegistry`) is the one the service uses; tests may pass any other.
"""

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.llm.drafting import PromptSpec


class PromptSource(Protocol):
    async def pick(self, session: AsyncSession, routing_key: str) -> tuple[str, PromptSpec]:
        """The label stored with the draft (e.g. `v3`) and the prompt's content."""
