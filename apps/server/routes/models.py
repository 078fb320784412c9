"""The model registry: models, versions, aliases, rollback, audit log."""

from typing import Annotated, Any

from fastapi import APIRouter, Path

from server.routes import API_V1
from server.routes.deps import ModelsReader, ModelsWriter, PlanCacheDep, SessionDep
from server.schemas.models import (
    AliasMove,
    AliasName,
    AliasUpdate,
    AuditEvent,
    ModelSummary,
    Rollback,
    VersionDetail,
    VersionLineage,
    VersionSummary,
)
from server.schemas.problem import problem_responses
from server.services import registry, traffic

router = APIRouter(
    prefix=f"{API_V1}/models", tags=["models"], responses=problem_responses(401, 403, 429)
)

NamePath = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
VersionPath = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _aliases_of(version: int, aliases: dict[str, int]) -> list[str]:
    return sorted(name for name, number in aliases.items() if number == version)


def _summary(row: Any, aliases: dict[str, int]) -> VersionSummary:
    return VersionSummary.model_validate(row).model_copy(
        update={"aliases": _aliases_of(row.version, aliases)}
    )


@router.get("", summary="List models with their aliases")
async def list_models(session: SessionDep, _: ModelsReader) -> list[ModelSummary]:
    return [
        ModelSummary(
            name=model.name,
            description=model.description,
            aliases=aliases,
            latest_version=latest,
            created_at=model.created_at,
        )
        for model, aliases, latest in await registry.describe_models(session)
    ]


@router.get("/{name}/versions", summary="List a model's versions", responses=problem_responses(404))
async def list_versions(
    name: NamePath, session: SessionDep, _: ModelsReader
) -> list[VersionSummary]:
    rows, aliases = await registry.describe_versions(session, name)
    return [_summary(row, aliases) for row in rows]


@router.get(
    "/{name}/versions/{version}",
    summary="One version: metrics, manifest, bias report, lineage",
    responses=problem_responses(404),
)
async def get_version(
    name: NamePath, version: VersionPath, session: SessionDep, _: ModelsReader
) -> VersionDetail:
    row, aliases = await registry.describe_version(session, name, version)
    summary = _summary(row, aliases)
    return VersionDetail(
        **summary.model_dump(),
        artifact_uri=row.artifact_uri,
        sha256=row.sha256,
        manifest=row.manifest,
        bias_report=row.manifest.get("bias_report"),
        lineage=VersionLineage.from_manifest(row.manifest),
    )


@router.put(
    "/{name}/aliases/{alias}",
    summary="Point an alias at a version (promote)",
    responses=problem_responses(404, 409, 422),
)
async def set_alias(
    name: NamePath,
    alias: AliasName,
    body: AliasUpdate,
    *,
    session: SessionDep,
    principal: ModelsWriter,
    plans: PlanCacheDep,
) -> AliasMove:
    previous = await traffic.move_alias(
        session, plans, name, alias, body.version, actor=principal.user_id, reason=body.reason
    )
    return AliasMove(alias=alias, version=body.version, previous_version=previous)


@router.post(
    "/{name}/rollback",
    summary="Move an alias (champion by default) back to its previous version",
    responses=problem_responses(404, 409, 422),
)
async def rollback(
    name: NamePath,
    body: Rollback,
    session: SessionDep,
    principal: ModelsWriter,
    plans: PlanCacheDep,
) -> AliasMove:
    current, previous = await traffic.roll_back_alias(
        session, plans, name, body.alias, actor=principal.user_id, reason=body.reason
    )
    return AliasMove(alias=body.alias, version=previous, previous_version=current)


@router.get(
    "/{name}/audit",
    summary="Every alias move, oldest first",
    responses=problem_responses(404),
)
async def audit_log(name: NamePath, session: SessionDep, _: ModelsReader) -> list[AuditEvent]:
    return [AuditEvent.model_validate(e) for e in await registry.alias_audit_log(session, name)]
