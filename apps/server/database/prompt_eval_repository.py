"""Queries of prompt evaluation runs. No business rules here: those live in services.

`get_run` answers None for an unknown id; `load_run` is for a run that must exist (the one
a worker is executing) and raises `NoResultFound` otherwise.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.prompt_eval_models import PromptEvalRun
from server.database.registry_models import RunStatus


def add_run(session: AsyncSession, run: PromptEvalRun) -> None:
    session.add(run)


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> PromptEvalRun | None:
    return await session.get(PromptEvalRun, run_id)


async def load_run(session: AsyncSession, run_id: uuid.UUID) -> PromptEvalRun:
    return await session.get_one(PromptEvalRun, run_id)


async def list_runs(
    session: AsyncSession, *, prompt_version: int | None, builtin: bool, limit: int
) -> Sequence[PromptEvalRun]:
    """Newest first; only one version's (or only the builtin prompt's) when asked."""
    query = select(PromptEvalRun)
    if builtin:
        query = query.where(PromptEvalRun.prompt_version.is_(None))
    elif prompt_version is not None:
        query = query.where(PromptEvalRun.prompt_version == prompt_version)
    order = (PromptEvalRun.created_at.desc(), PromptEvalRun.id)
    return (await session.scalars(query.order_by(*order).limit(limit))).all()


async def latest_builtin_report(
    session: AsyncSession, eval_set_digest: str
) -> PromptEvalRun | None:
    """The builtin prompt's newest succeeded run on this evaluation set."""
    query = (
        select(PromptEvalRun)
        .where(
            PromptEvalRun.prompt_version.is_(None),
            PromptEvalRun.eval_set_digest == eval_set_digest,
            PromptEvalRun.status == RunStatus.succeeded,
        )
        .order_by(PromptEvalRun.finished_at.desc())
        .limit(1)
    )
    return await session.scalar(query)
