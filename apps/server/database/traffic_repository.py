"""Queries of traffic policies. No business rules here: those live in services."""

from sqlalchemy.ext.asyncio import AsyncSession

from server.database.serving_models import TrafficPolicy


async def get_policy(session: AsyncSession, model_name: str) -> TrafficPolicy | None:
    """The model's stored policy, if one was ever set."""
    return await session.get(TrafficPolicy, model_name)


def add_policy(session: AsyncSession, policy: TrafficPolicy) -> None:
    """Add a model's first policy to the transaction."""
    session.add(policy)
