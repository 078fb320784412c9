"""The monitoring overview: each model's served versions with their latest stored drift and
quality checks, how many live workers have each loaded and why any refused it, and the latest
retraining trigger."""

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from server.database import monitoring_repository as repo
from server.database.monitoring_models import DriftRecord, QualityRecord, RetrainTrigger
from server.services import registry
from server.taskqueue.presence import WorkerView


@dataclass(frozen=True)
class VersionOverview:
    version: int
    role: str
    drift: DriftRecord | None
    quality: QualityRecord | None
    loaded_by: int | None = None  # live worker processes serving it; None: not known
    refused: list[str] = field(default_factory=list)  # why workers refused its artifact


@dataclass(frozen=True)
class ModelOverview:
    model: str
    versions: list[VersionOverview]
    last_trigger: RetrainTrigger | None


async def overview(session: AsyncSession, workers: WorkerView | None = None) -> list[ModelOverview]:
    """Every registered model, its aliased versions (champion first), their last checks and,
    with `workers`, what the live workers make of each."""
    models = []
    for model, aliases, _ in await registry.describe_models(session):
        versions = [
            VersionOverview(
                version=number,
                role=role,
                drift=await repo.latest_drift(session, model.name, number),
                quality=next(iter(await repo.recent_quality(session, model.name, number, 1)), None),
                loaded_by=workers.loaded_by(model.name, number) if workers else None,
                refused=workers.refusals(model.name, number) if workers else [],
            )
            for role, number in sorted(aliases.items(), key=lambda item: item[0] != "champion")
        ]
        models.append(
            ModelOverview(
                model=model.name,
                versions=versions,
                last_trigger=await repo.latest_trigger(session, model.name),
            )
        )
    return models
