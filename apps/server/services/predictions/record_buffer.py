"""Prediction records buffered in the API process and written in bulk.

Under load, one INSERT per request would cost a database round trip per prediction; the
buffer writes every `flush_s` (or sooner when `max_rows` wait) in one multi-row INSERT.
The price: records of the last moments are lost if the process is killed (a clean shutdown
flushes them), and a record reaches the database up to one interval after its prediction
was answered; feedback that arrives sooner asks the buffer to write at once (`write_now`),
or waits for another process's buffer (`feedback.py`).
"""

import asyncio
import contextlib
import uuid
from typing import Any

import structlog

from server.core.tracing import outside_any_trace
from server.database.session import Database
from server.services.predictions.records import write_records

log = structlog.get_logger(__name__)


class RecordBuffer:
    def __init__(self, database: Database, flush_s: float, max_rows: int) -> None:
        self.database, self.flush_s, self.max_rows = database, flush_s, max_rows
        self._rows: list[dict[str, Any]] = []
        self._unwritten: set[uuid.UUID] = set()
        """Ids of the records waiting here or being written now."""
        self._writing = asyncio.Lock()
        self._full = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.dropped = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        self._rows.extend(rows)
        self._unwritten.update(row["id"] for row in rows)
        if self._task is None:
            # Started by the first request: its flushes belong to no request's trace.
            self._task = asyncio.get_running_loop().create_task(outside_any_trace(self._run()))
        if len(self._rows) >= self.max_rows:
            self._full.set()

    async def _run(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), timeout=self.flush_s)
            await self.flush()

    def holds(self, prediction_id: uuid.UUID) -> bool:
        """Whether the record of `prediction_id` waits here or is being written now."""
        return prediction_id in self._unwritten

    async def write_now(self, prediction_id: uuid.UUID) -> None:
        """Once this returns, the record of `prediction_id` is written if it was held here."""
        if self.holds(prediction_id):
            await self.flush()  # after a write in progress, whose rows may hold the id

    async def flush(self) -> None:
        async with self._writing:  # one write at a time: `write_now` waits for the current
            rows, self._rows = self._rows, []
            self._full.clear()
            if not rows:
                return
            try:
                await write_records(self.database, rows)
            except Exception:  # keep serving; say loudly what was lost
                self.dropped += len(rows)
                log.exception("predictions.log_write_failed", rows=len(rows))
            finally:
                self._unwritten.difference_update(row["id"] for row in rows)

    async def aclose(self) -> None:
        """Write what is buffered and stop. The writer is woken, not cancelled: a write
        cancelled mid-transaction could leave its connection, and on SQLite the database's
        write lock, held after the pool is disposed."""
        self._closing = True
        self._full.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.flush()
