"""Training runs: start one (202 + Location), follow its progress and gates."""

import uuid

from fastapi import APIRouter, Request, Response, status

from server.routes import API_V1
from server.routes.deps import CeleryDep, DatabaseDep, ModelsReader, ModelsWriter, SettingsDep
from server.schemas.problem import problem_responses
from server.schemas.training import TrainingRunCreate, TrainingRunOut
from server.services import training

router = APIRouter(
    prefix=f"{API_V1}/training-runs", tags=["training"], responses=problem_responses(401, 403, 429)
)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a training run on the training queue",
    responses=problem_responses(422, 503),
)
async def start_training_run(
    *,
    body: TrainingRunCreate,
    request: Request,
    response: Response,
    settings: SettingsDep,
    database: DatabaseDep,
    celery: CeleryDep,
    principal: ModelsWriter,
) -> TrainingRunOut:
    run = await training.submit_run(
        database,
        settings,
        celery,
        body,
        requested_by=principal.user_id,
        request_id=request.state.request_id,
    )
    response.headers["Location"] = f"{router.prefix}/{run.id}"
    return run


@router.get(
    "/{run_id}",
    summary="A training run: status, progress, gate results",
    responses=problem_responses(404),
)
async def get_training_run(
    run_id: uuid.UUID, database: DatabaseDep, _: ModelsReader
) -> TrainingRunOut:
    return await training.run_out(database, run_id)
