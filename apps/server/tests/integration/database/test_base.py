"""Timestamps come back timezone-aware UTC on every backend; constraints have stable names."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.models import Base, MLModel


async def test_timestamps_round_trip_as_aware_utc(db_session: AsyncSession) -> None:
    later = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    db_session.add(MLModel(name="tz-check", created_at=later))
    await db_session.commit()
    db_session.expunge_all()
    stored = (await db_session.scalars(select(MLModel).where(MLModel.name == "tz-check"))).one()
    assert stored.created_at.tzinfo is not None
    assert stored.created_at == later
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.updated_at.tzinfo == UTC


async def test_a_naive_timestamp_is_refused(db_session: AsyncSession) -> None:
    db_session.add(MLModel(name="naive", created_at=datetime(2030, 1, 1)))  # noqa: DTZ001
    with pytest.raises(StatementError, match="naive datetime"):
        await db_session.flush()


async def test_unique_names_are_enforced(db_session: AsyncSession) -> None:
    db_session.add_all([MLModel(name="twin"), MLModel(name="twin")])
    with pytest.raises(IntegrityError):
        await db_session.flush()


def test_every_constraint_follows_the_naming_convention() -> None:
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            assert str(constraint.name).startswith(("pk_", "uq_", "fk_", "ck_")), constraint.name
        for index in table.indexes:
            assert str(index.name).startswith("ix_"), index.name
