"""Queries of the model registry. No business rules here: those live in services."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.registry_models import AliasEvent, MLModel, ModelAlias, ModelVersion


async def get_model(session: AsyncSession, name: str) -> MLModel | None:
    return await session.scalar(select(MLModel).where(MLModel.name == name))


async def get_or_create_model(session: AsyncSession, name: str) -> MLModel:
    model = await get_model(session, name)
    if model is None:
        model = MLModel(name=name, description="")
        session.add(model)
        await session.flush()
    return model


async def list_models(session: AsyncSession) -> Sequence[MLModel]:
    return (await session.scalars(select(MLModel).order_by(MLModel.name))).all()


async def list_versions(session: AsyncSession, model: MLModel) -> Sequence[ModelVersion]:
    query = select(ModelVersion).where(ModelVersion.model_id == model.id)
    return (await session.scalars(query.order_by(ModelVersion.version))).all()


async def get_version(session: AsyncSession, model: MLModel, version: int) -> ModelVersion | None:
    return await session.scalar(
        select(ModelVersion).where(
            ModelVersion.model_id == model.id, ModelVersion.version == version
        )
    )


async def load_version_by_id(session: AsyncSession, version_id: int) -> ModelVersion:
    """The version row an alias or a run points at (it must exist)."""
    return await session.get_one(ModelVersion, version_id)


def add_version(session: AsyncSession, version: ModelVersion) -> None:
    session.add(version)


async def next_version_number(session: AsyncSession, model: MLModel) -> int:
    latest = await session.scalar(
        select(func.max(ModelVersion.version)).where(ModelVersion.model_id == model.id)
    )
    return (latest or 0) + 1


async def list_aliases(session: AsyncSession, model: MLModel) -> dict[str, int]:
    """Alias name -> version number."""
    rows = await session.execute(
        select(ModelAlias.alias, ModelVersion.version)
        .join(ModelVersion, ModelAlias.version_id == ModelVersion.id)
        .where(ModelAlias.model_id == model.id)
    )
    return {alias: version for alias, version in rows.all()}  # noqa: C416 - rows, not pairs


async def get_alias_for_update(
    session: AsyncSession, model: MLModel, alias: str
) -> ModelAlias | None:
    # FOR UPDATE serializes concurrent moves of one alias on PostgreSQL; SQLite writes are
    # serialized anyway and ignores the clause.
    return await session.scalar(
        select(ModelAlias)
        .where(ModelAlias.model_id == model.id, ModelAlias.alias == alias)
        .with_for_update()
    )


def add_alias(session: AsyncSession, alias: ModelAlias) -> None:
    """Add an alias's first pointer to the transaction."""
    session.add(alias)


def add_alias_event(session: AsyncSession, event: AliasEvent) -> None:
    """Append one move of an alias to the audit log."""
    session.add(event)


async def alias_history(session: AsyncSession, model: MLModel, alias: str) -> Sequence[AliasEvent]:
    """Every move of one alias, oldest first."""
    query = select(AliasEvent).where(AliasEvent.model_id == model.id, AliasEvent.alias == alias)
    return (await session.scalars(query.order_by(AliasEvent.created_at, AliasEvent.id))).all()


async def audit_log(session: AsyncSession, model: MLModel) -> Sequence[AliasEvent]:
    query = select(AliasEvent).where(AliasEvent.model_id == model.id)
    return (await session.scalars(query.order_by(AliasEvent.id))).all()
