"""Aggregates of served predictions over time, computed in the database.

One GROUP BY returns, for each time step of a window, each version and each latency band,
how many predictions were answered: the rows are bounded by steps x versions x bands,
whatever the traffic, and no prediction row leaves the database. Latency percentiles are
estimated from the bands afterwards, as Prometheus does from histogram buckets.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from server.database.serving_models import Prediction


class _StepIndex(FunctionElement[int]):
    """floor((timestamp - start) / width), both in seconds: the window step a row falls in.

    SQLite has no epoch extraction, and a float-to-integer cast rounds on PostgreSQL but
    truncates on SQLite, so each dialect gets its own spelling (rows are never before the
    start, so truncating is flooring there)."""

    type = Integer()
    inherit_cache = True
    name = "step_index"


@compiles(_StepIndex)
def _step_index_postgresql(element: _StepIndex, compiler: Any, **kw: Any) -> str:
    column, start, width = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(FLOOR((EXTRACT(EPOCH FROM {column}) - {start}) / {width}) AS INTEGER)"


@compiles(_StepIndex, "sqlite")
def _step_index_sqlite(element: _StepIndex, compiler: Any, **kw: Any) -> str:
    column, start, width = (compiler.process(c, **kw) for c in element.clauses)
    # julianday() is days since noon, 4714 BC; 2440587.5 of them is 1970-01-01.
    return f"CAST(((julianday({column}) - 2440587.5) * 86400.0 - {start}) / {width} AS INTEGER)"


@dataclass(frozen=True)
class ServedCount:
    step: int
    version: int
    band: int  # index into the latency edges; len(edges) is "above the last edge"
    count: int


def _band(edges_ms: Sequence[float]) -> ColumnElement[int]:
    whens = [(Prediction.latency_ms <= edge, index) for index, edge in enumerate(edges_ms)]
    return case(*whens, else_=len(edges_ms))


async def served_counts(
    session: AsyncSession,
    model: str,
    *,
    start: datetime,
    end: datetime,
    step_s: int,
    latency_edges_ms: Sequence[float],
) -> list[ServedCount]:
    """Answered (not shadow) predictions of `model` in [start, end), by step, version and
    latency band."""
    step = _StepIndex(Prediction.created_at, start.timestamp(), float(step_s))
    band = _band(latency_edges_ms)
    query = (
        select(step, Prediction.version, band, func.count())
        .where(
            Prediction.model_name == model,
            Prediction.shadow.is_(False),
            Prediction.created_at >= start,
            Prediction.created_at < end,
        )
        .group_by(step, Prediction.version, band)
    )
    rows = (await session.execute(query)).all()
    return [ServedCount(int(s), int(v), int(b), int(c)) for s, v, b, c in rows]
