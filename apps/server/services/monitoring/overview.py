"""The monitoring overview: each model's served versions with their latest stored drift and
quality checks, and the latest retraining trigger."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.database import monitoring_repository as repo
from server.database.monitoring_models import DriftRecord, QualityRecord, RetrainTrigger
from server.services import registry


@dataclass(frozen=True)
class VersionOverview:
    version: int
    role: str
    drift: DriftRecord | None
    quality: QualityRecord | None


@dataclass(frozen=True)
class ModelOverview:
    model: str
    versions: list[VersionOverview]
    last_trigger: RetrainTrigger | None


async def overview(session: AsyncSession) -> list[ModelOverview]:
    """Every registered model, its aliased versions (champion first) and their last checks."""
    models = []
    for model, aliases, _ in await registry.describe_models(session):
        versions = [
            VersionOverview(
                version=number,
                role=role,
                drift=await repo.latest_drift(session, model.name, number),
                quality=next(iter(await repo.recent_quality(session, model.name, number, 1)), None),
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
