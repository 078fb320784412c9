"""Each user's daily token budget for reply drafts, counted from the stored drafts.

Counting stored drafts needs no other store and survives restarts; a failed draft counts
what its calls spent. Two drafts started at the same moment may both pass the check: each
is bounded by what was left, so a user overshoots by at most one draft's worth per
concurrent draft.
"""

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from server.config.llm import LLMConfig
from server.core.errors import TooManyRequestsError
from server.database.draft_repository import tokens_spent_since


class TokenBudgetSpentError(TooManyRequestsError):
    slug = "token-budget-spent"


def day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def tokens_left(
    session: AsyncSession, config: LLMConfig, owner: str, now: datetime | None = None
) -> int:
    """Tokens `owner` may still spend today; 429 with `Retry-After` (until midnight UTC)
    when none are left."""
    now = now or datetime.now(UTC)
    start = day_start(now)
    left = config.user_tokens_per_day - await tokens_spent_since(session, owner, start)
    if left <= 0:
        wait = math.ceil((start + timedelta(days=1) - now).total_seconds())
        raise TokenBudgetSpentError(
            f"Your reply drafts spent today's {config.user_tokens_per_day} tokens "
            "(APP_LLM__USER_TOKENS_PER_DAY); more are available at midnight UTC.",
            retry_after_s=max(wait, 1),
        )
    return left
