"""Evaluation runs of prompts: start one on the queue (202 + Location), follow it, list them.

Promotion to champion gates on the reports these runs store (`routes/prompts.py`).
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from server.routes import API_V1
from server.routes.deps import CeleryDep, DatabaseDep, ModelsReader, ModelsWriter, SettingsDep
from server.routes.prompts import VersionPath
from server.schemas.problem import problem_responses
from server.schemas.prompts import PromptEvalRunOut
from server.services.assistant import prompt_eval_runs

router = APIRouter(
    prefix=f"{API_V1}/prompts", tags=["prompts"], responses=problem_responses(401, 403, 429)
)


class EvaluationStarter:
    """Starts an evaluation run for the caller and points `Location` at it (the dependency
    both POST routes share)."""

    def __init__(
        self,
        *,
        request: Request,
        response: Response,
        settings: SettingsDep,
        database: DatabaseDep,
        celery: CeleryDep,
        principal: ModelsWriter,
    ) -> None:
        self.request, self.response, self.principal = request, response, principal
        self.settings, self.database, self.celery = settings, database, celery

    async def start(self, version: int | None) -> PromptEvalRunOut:
        run = await prompt_eval_runs.submit_run(
            self.database,
            self.settings,
            self.celery,
            version,
            requested_by=self.principal.user_id,
            request_id=self.request.state.request_id,
        )
        self.response.headers["Location"] = f"{router.prefix}/evaluations/{run.id}"
        return PromptEvalRunOut.model_validate(run)


Starter = Annotated[EvaluationStarter, Depends()]


@router.post(
    "/versions/{version}/evaluations",
    summary="Evaluate a prompt version on the training queue",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(404, 503),
)
async def evaluate_version(version: VersionPath, starter: Starter) -> PromptEvalRunOut:
    return await starter.start(version)


@router.post(
    "/builtin/evaluations",
    summary="Evaluate the builtin prompt (the champion's stand-in) on the training queue",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(503),
)
async def evaluate_builtin(starter: Starter) -> PromptEvalRunOut:
    return await starter.start(None)


@router.get(
    "/evaluations/{run_id}",
    summary="An evaluation run: status, report or the reason it failed",
    responses=problem_responses(404),
)
async def get_evaluation(
    run_id: uuid.UUID, database: DatabaseDep, _: ModelsReader
) -> PromptEvalRunOut:
    return PromptEvalRunOut.model_validate(await prompt_eval_runs.get_run(database, run_id))


@router.get("/evaluations", summary="Evaluation runs, newest first")
async def list_evaluations(
    database: DatabaseDep,
    _: ModelsReader,
    version: Annotated[int | None, Query(ge=1, description="Only this version's runs.")] = None,
    builtin: Annotated[bool, Query(description="Only the builtin prompt's runs.")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[PromptEvalRunOut]:
    runs = await prompt_eval_runs.list_runs(database, version=version, builtin=builtin, limit=limit)
    return [PromptEvalRunOut.model_validate(run) for run in runs]
