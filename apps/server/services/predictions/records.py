"""Turning scored batches into prediction records, and writing records in bulk."""

import hashlib
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from server.config import Settings
from server.database import prediction_repository as repo
from server.database.base import utcnow
from server.database.session import Database
from server.taskqueue.payloads import ScoredBatch, ShadowPayload


@dataclass(frozen=True)
class Scored:
    """One text's outcome, as the API returns it and the log stores it."""

    id: uuid.UUID
    label: str
    confidence: float
    probabilities: dict[str, float]
    version: int
    oov_rate: float | None = None
    """Share of the text's word tokens unknown to the model."""


def new_prediction_id() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): 48 bits of Unix time in ms, then random bits.

    The time it carries tells how long ago the prediction was made, so feedback knows
    whether its record may still wait in some API process's buffer (`feedback.py`); and
    ids that grow with time keep inserts at the end of the primary key's index.
    """
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # the RFC 9562 variant
    return uuid.UUID(int=value)


def issued_at(prediction_id: uuid.UUID) -> float | None:
    """When `new_prediction_id` made this id (Unix seconds); None for any other kind of id."""
    if prediction_id.version != 7:
        return None
    return (prediction_id.int >> 80) / 1000


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def scored_items(batch: ScoredBatch) -> list[Scored]:
    """A worker's answer, one `Scored` (with a fresh prediction id) per text."""
    return [
        Scored(
            id=new_prediction_id(),
            label=item.label,
            confidence=item.confidence,
            probabilities=item.probabilities,
            version=batch.version,
            oov_rate=item.oov_rate,
        )
        for item in batch.items
    ]


def record(
    scored: Scored,
    text: str,
    *,
    model_name: str,
    latency_ms: float,
    requested_by: str,
    request_id: str | None,
    store_inputs: bool,
    shadow: bool = False,
) -> dict[str, Any]:
    """The row of one prediction; the raw text only when `store_inputs` is on."""
    return {
        "id": scored.id,
        "created_at": utcnow(),
        "model_name": model_name,
        "version": scored.version,
        "label": scored.label,
        "confidence": scored.confidence,
        "probabilities": scored.probabilities,
        "latency_ms": round(latency_ms, 3),
        "input_length": len(text),
        "input_sha256": text_digest(text),
        "oov_rate": scored.oov_rate,
        "input_text": text if store_inputs else None,
        "shadow": shadow,
        "requested_by": requested_by,
        "request_id": request_id,
    }


async def write_records(database: Database, rows: Sequence[dict[str, Any]]) -> None:
    """One multi-row INSERT for the whole batch: one round trip, not one per text."""
    if not rows:
        return
    async with database.session() as session:
        await repo.insert_predictions(session, rows)
        await session.commit()


async def record_shadow_batch(
    database: Database,
    settings: Settings,
    payload: ShadowPayload,
    batch: ScoredBatch,
    *,
    latency_ms: float,
) -> None:
    """Log the challenger's answers to shadowed champion traffic (flagged `shadow`)."""
    rows = [
        record(
            scored,
            text,
            model_name=payload.model,
            latency_ms=latency_ms,
            requested_by=meta.requested_by,
            request_id=meta.request_id,
            store_inputs=settings.store_inputs,
            shadow=True,
        )
        for scored, text, meta in zip(scored_items(batch), payload.texts, payload.meta, strict=True)
    ]
    await write_records(database, rows)


async def purge_inputs(database: Database, retention_days: int) -> int:
    """Forget raw texts older than the retention period; keeps length and hash."""
    cutoff = utcnow() - timedelta(days=retention_days)
    async with database.session() as session:
        cleared = await repo.clear_inputs_before(session, cutoff)
        await session.commit()
    return cleared
