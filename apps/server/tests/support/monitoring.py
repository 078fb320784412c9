"""A trained version registered with its manifest, and predictions of it, for monitoring tests."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.classifier import TicketClassifier
from server.agents.data.generator import GENERATED_LABELS, generate_tickets
from server.agents.data.shift import DriftSpec
from server.database.serving_models import Prediction
from server.services import registry
from server.services.predictions.records import record, scored_items
from server.taskqueue.payloads import ScoredBatch
from server.tests.support.models import MODEL, ModelCache
from server.worker.classifier_cache import scored_batch


@dataclass(frozen=True)
class TrainedVersion:
    classifier: TicketClassifier
    manifest: dict[str, Any]
    sha256: str


def trained_version(models: ModelCache, seed: int = 1) -> TrainedVersion:
    """The cache's small model (3000 generated tickets) with its manifest and digest."""
    artifact = models.artifact(seed)
    return TrainedVersion(
        classifier=TicketClassifier.from_artifact(artifact),
        manifest=artifact.manifest.model_dump(mode="json"),
        sha256=artifact.ref.manifest_sha256,
    )


async def register(
    session: AsyncSession, trained: TrainedVersion, version: int, alias: str | None
) -> None:
    await registry.register_version(
        session,
        model_name=MODEL,
        version=version,
        artifact_uri=f"file://{MODEL}/{version}",
        sha256=trained.sha256,
        metrics={},
        manifest=trained.manifest,
        created_by="test",
    )
    if alias:
        await registry.set_alias(session, MODEL, alias, version, actor="test", reason="test")


async def add_predictions(
    session: AsyncSession,
    trained: TrainedVersion,
    version: int,
    rows: int,
    *,
    drift: float = 0.0,
    seed: int = 50,
    shadow: bool = False,
    feedback: str | None = None,
) -> None:
    """Score generated tickets and record them; `feedback`: `truth` labels each with its
    generated label, `wrong` with another label (a model gone bad)."""
    data = generate_tickets(rows, seed, drift=DriftSpec(strength=drift))
    items = scored_batch(trained.classifier, data.texts).items
    scored_rows = scored_items(ScoredBatch(version=version, items=items))
    values = []
    for scored, text, label in zip(scored_rows, data.texts, data.labels, strict=True):
        row = record(
            scored,
            text,
            model_name=MODEL,
            latency_ms=1.0,
            requested_by="test",
            request_id=None,
            store_inputs=False,
            shadow=shadow,
        )
        if feedback == "truth":
            row["feedback_label"] = label
        elif feedback == "wrong":
            row["feedback_label"] = next(x for x in GENERATED_LABELS if x != scored.label)
        values.append(row)
    await session.execute(insert(Prediction), values)
    await session.commit()


class FakeCelery:
    """Records what would be published, so `auto` can be checked without a broker."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_task(self, name: str, **options: Any) -> Any:
        self.sent.append({"name": name, **options})
        return type("Result", (), {"id": str(uuid.uuid4())})()
