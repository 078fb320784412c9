"""Feedback on a prediction whose record is still buffered, or being written, or never was."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from server.core.errors import NotFoundError
from server.database.serving_models import Prediction
from server.services.predictions.feedback import give_feedback, written_by
from server.services.predictions.record_buffer import RecordBuffer
from server.services.predictions.records import Scored, issued_at, new_prediction_id, record
from server.tests.support.databases import TransactionalDatabase

LABELS = ["billing", "refund", "technical"]
AN_HOUR_S = 3600.0
"""A flush interval no test waits for: only an on-demand write can help."""


def buffered_prediction(buffer: RecordBuffer) -> uuid.UUID:
    scored = Scored(
        id=new_prediction_id(),
        label="billing",
        confidence=0.9,
        probabilities={"billing": 0.9, "refund": 0.05, "technical": 0.05},
        version=1,
    )
    row = record(
        scored,
        "charged twice",
        model_name="m",
        latency_ms=1.0,
        requested_by="u",
        request_id=None,
        store_inputs=False,
    )
    buffer.add([row])
    return scored.id


async def test_feedback_writes_the_buffer_holding_its_prediction(
    db_connection: AsyncConnection,
) -> None:
    buffer = RecordBuffer(TransactionalDatabase(db_connection), AN_HOUR_S, max_rows=1000)
    prediction_id = buffered_prediction(buffer)
    try:
        prediction = await asyncio.wait_for(
            give_feedback(
                buffer.database, buffer, prediction_id, "billing", LABELS, owner="u", wait_s=0
            ),
            timeout=30,
        )
    finally:
        await buffer.aclose()
    assert prediction.id == prediction_id
    assert prediction.feedback_label == "billing"
    assert not buffer.holds(prediction_id)


async def test_feedback_waits_for_a_write_in_progress(db_connection: AsyncConnection) -> None:
    buffer = RecordBuffer(TransactionalDatabase(db_connection), AN_HOUR_S, max_rows=1000)
    prediction_id = buffered_prediction(buffer)
    writing = asyncio.get_running_loop().create_task(buffer.flush())
    await asyncio.sleep(0)  # the write has taken the rows and awaits the database
    assert buffer.holds(prediction_id)
    try:
        prediction = await asyncio.wait_for(
            give_feedback(
                buffer.database, buffer, prediction_id, "refund", LABELS, owner=None, wait_s=0
            ),
            timeout=30,
        )
    finally:
        await writing
        await buffer.aclose()
    assert prediction.feedback_label == "refund"


async def test_an_id_never_recorded_is_404_once_no_buffer_can_hold_it(
    db_connection: AsyncConnection,
) -> None:
    buffer = RecordBuffer(TransactionalDatabase(db_connection), 0.2, max_rows=1000)
    started = time.monotonic()
    with pytest.raises(NotFoundError):
        await give_feedback(
            buffer.database, buffer, new_prediction_id(), "billing", LABELS, owner=None, wait_s=0.3
        )
    took = time.monotonic() - started
    assert 0.4 <= took < 10, took  # looked again until 0.5 s after the id was issued
    started = time.monotonic()
    with pytest.raises(NotFoundError):  # not an id of ours: no buffer can hold it
        await give_feedback(
            buffer.database, buffer, uuid.uuid4(), "billing", LABELS, owner=None, wait_s=0.3
        )
    assert time.monotonic() - started < 0.4
    await buffer.aclose()


def test_prediction_ids_are_uuid7_and_tell_when_they_were_issued() -> None:
    before = time.time()
    ids = [new_prediction_id() for _ in range(100)]
    after = time.time()
    assert len(set(ids)) == 100
    for prediction_id in ids:
        assert prediction_id.version == 7
        assert prediction_id.variant == uuid.RFC_4122
        issued = issued_at(prediction_id)
        assert issued is not None
        assert before - 0.001 <= issued <= after + 0.001
    assert issued_at(uuid.uuid4()) is None


def test_the_wait_is_bounded_by_the_id_and_by_now() -> None:
    now = time.time()
    assert written_by(uuid.uuid4(), 2.0) <= time.time()  # foreign: no wait
    fresh = written_by(new_prediction_id(), 2.0)
    assert now + 1.9 <= fresh <= time.time() + 2.0
    old = uuid.UUID(int=(int((now - 60) * 1000) << 80) | (0x7 << 76) | (0x2 << 62))
    assert written_by(old, 2.0) < now  # issued a minute ago: written long since
    future = uuid.UUID(int=(int((now + 3600) * 1000) << 80) | (0x7 << 76) | (0x2 << 62))
    assert written_by(future, 2.0) <= time.time() + 2.0  # no longer than a fresh id


class SlowToWrite(TransactionalDatabase):
    """Sessions open only once `gate` is set: a write caught in the middle."""

    def __init__(self, connection: AsyncConnection, gate: asyncio.Event) -> None:
        super().__init__(connection)
        self.gate, self.entered = gate, asyncio.Event()

    @asynccontextmanager
    async def session(self, *, writes: bool = False) -> AsyncIterator[AsyncSession]:
        self.entered.set()
        await self.gate.wait()
        async with super().session(writes=writes) as session:
            yield session


async def test_closing_lets_a_write_in_progress_finish(db_connection: AsyncConnection) -> None:
    gate = asyncio.Event()
    database = SlowToWrite(db_connection, gate)
    buffer = RecordBuffer(database, AN_HOUR_S, max_rows=1)  # one row: written at once
    prediction_id = buffered_prediction(buffer)
    await asyncio.wait_for(database.entered.wait(), timeout=30)  # the writer is mid-write
    closing = asyncio.create_task(buffer.aclose())
    await asyncio.sleep(0.05)  # the close has begun while the write waits
    gate.set()
    await asyncio.wait_for(closing, timeout=30)
    assert buffer.dropped == 0
    async with TransactionalDatabase(db_connection).session() as session:
        assert await session.get(Prediction, prediction_id) is not None
