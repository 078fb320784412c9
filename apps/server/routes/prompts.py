"""The prompt registry: prompt versions of the reply assistant, aliases, canary, audit.

Shaped like the models API (same scopes, aliases, rollback and audit), with one addition:
pointing `champion` at a version passes the evaluation gate first, on the reports stored by
evaluation runs (`routes/prompt_evaluations.py`): a missing report is a 409 naming the
evaluation to run, a version that trails the champion a 409 naming the scores.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from server.routes import API_V1
from server.routes.deps import ModelsReader, ModelsWriter, SessionDep, SettingsDep
from server.schemas.models import AliasName, AliasUpdate, AuditEvent, Rollback
from server.schemas.problem import problem_responses
from server.schemas.prompts import (
    PromptAliasMove,
    PromptCanaryIn,
    PromptCanaryOut,
    PromptVersionDetail,
    PromptVersionIn,
    PromptVersionSummary,
)
from server.schemas.training import GateResultOut
from server.services.assistant import prompt_promotion, prompts
from server.services.registry import CHAMPION

router = APIRouter(
    prefix=f"{API_V1}/prompts", tags=["prompts"], responses=problem_responses(401, 403, 429)
)

VersionPath = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _summary(row: Any, aliases: dict[str, int]) -> PromptVersionSummary:
    return PromptVersionSummary(
        version=row.version,
        label=prompts.label_of(row.version),
        digest=row.digest,
        description=row.description,
        aliases=sorted(name for name, number in aliases.items() if number == row.version),
        scores=(row.eval_report or {}).get("scores"),
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _detail(row: Any, aliases: dict[str, int]) -> PromptVersionDetail:
    return PromptVersionDetail(
        **_summary(row, aliases).model_dump(), spec=row.spec, eval_report=row.eval_report
    )


@router.get("/versions", summary="List prompt versions")
async def list_versions(session: SessionDep, _: ModelsReader) -> list[PromptVersionSummary]:
    rows, aliases = await prompts.describe_versions(session)
    return [_summary(row, aliases) for row in rows]


@router.post(
    "/versions",
    summary="Register a prompt version (the same content answers its existing version)",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "This content was registered before: its version."},
        **problem_responses(409, 422),
    },
)
async def register_version(
    body: PromptVersionIn, response: Response, session: SessionDep, principal: ModelsWriter
) -> PromptVersionDetail:
    row, created = await prompts.register_version(
        session, body.spec, description=body.description, actor=principal.user_id
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    _, aliases = await prompts.describe_versions(session)
    return _detail(row, aliases)


@router.get(
    "/versions/{version}",
    summary="One prompt version: spec and latest evaluation report",
    responses=problem_responses(404),
)
async def get_version(
    version: VersionPath, session: SessionDep, _: ModelsReader
) -> PromptVersionDetail:
    row, aliases = await prompts.describe_version(session, version)
    return _detail(row, aliases)


@router.put(
    "/aliases/{alias}",
    summary="Point an alias at a version (champion: after the evaluation gate)",
    responses=problem_responses(404, 409, 422),
)
async def set_alias(
    alias: AliasName,
    body: AliasUpdate,
    *,
    session: SessionDep,
    principal: ModelsWriter,
    settings: SettingsDep,
) -> PromptAliasMove:
    checks: list[GateResultOut] = []
    if alias == CHAMPION:
        previous, verdict = await prompt_promotion.promote_champion(
            session,
            body.version,
            config=settings.prompt_eval,
            actor=principal.user_id,
            reason=body.reason,
        )
        if verdict is not None:
            checks = [GateResultOut(**result.model_dump()) for result in verdict.results]
    else:
        previous = await prompts.set_challenger(
            session, body.version, actor=principal.user_id, reason=body.reason
        )
    return PromptAliasMove(
        alias=alias, version=body.version, previous_version=previous, gate=checks
    )


@router.post(
    "/rollback",
    summary="Move an alias (champion by default) back to its previous version",
    responses=problem_responses(404, 409, 422),
)
async def rollback(body: Rollback, session: SessionDep, principal: ModelsWriter) -> PromptAliasMove:
    current, previous = await prompts.rollback_alias(
        session, body.alias, actor=principal.user_id, reason=body.reason
    )
    return PromptAliasMove(alias=body.alias, version=previous, previous_version=current)


@router.get("/audit", summary="Every prompt alias move, oldest first")
async def audit_log(session: SessionDep, _: ModelsReader) -> list[AuditEvent]:
    return [AuditEvent.model_validate(event) for event in await prompts.audit_log(session)]


@router.get("/traffic", summary="Champion/challenger split of drafts")
async def get_traffic(session: SessionDep, _: ModelsReader) -> PromptCanaryOut:
    return await prompts.describe_canary(session)


@router.put(
    "/traffic", summary="Set the challenger's canary share", responses=problem_responses(422)
)
async def set_traffic(
    body: PromptCanaryIn, session: SessionDep, principal: ModelsWriter
) -> PromptCanaryOut:
    await prompts.set_canary(session, body.challenger_weight, actor=principal.user_id)
    return await prompts.describe_canary(session)
