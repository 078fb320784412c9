"""Raw prediction inputs are kept only for the retention period."""

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.database.base import utcnow
from server.database.models import Prediction
from server.services.predictions.records import Scored, purge_inputs, record, write_records
from server.tests.support.databases import TransactionalDatabase


async def test_purge_forgets_old_texts_and_keeps_their_trace(
    db_connection: AsyncConnection,
) -> None:
    database = TransactionalDatabase(db_connection)
    rows = []
    for age_days, text in ((40, "old secret text"), (1, "recent text")):
        scored = Scored(
            id=uuid.uuid4(),
            label="billing",
            confidence=0.9,
            probabilities={"billing": 0.9},
            version=1,
        )
        row = record(
            scored,
            text,
            model_name="m",
            latency_ms=1.0,
            requested_by="u",
            request_id=None,
            store_inputs=True,
        )
        row["created_at"] = utcnow() - timedelta(days=age_days)
        rows.append(row)
    await write_records(database, rows)

    assert await purge_inputs(database, retention_days=30) == 1
    async with database.session() as session:
        stored = {p.input_length: p for p in (await session.scalars(select(Prediction))).all()}
    old, recent = stored[len("old secret text")], stored[len("recent text")]
    assert old.input_text is None
    assert old.input_sha256 == rows[0]["input_sha256"]
    assert recent.input_text == "recent text"
