"""Queries of training runs. No business rules here: those live in services.

`get_run` answers None for an unknown id; `load_run` is for a run that must exist (the one
a worker is executing) and raises `NoResultFound` otherwise.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from server.database.registry_models import TrainingRun


def add_run(session: AsyncSession, run: TrainingRun) -> None:
    session.add(run)


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> TrainingRun | None:
    return await session.get(TrainingRun, run_id)


async def load_run(session: AsyncSession, run_id: uuid.UUID) -> TrainingRun:
    return await session.get_one(TrainingRun, run_id)
