"""A model's traffic policy: challenger weight and shadow sample."""

from fastapi import APIRouter

from server.routes import API_V1
from server.routes.deps import ModelsReader, ModelsWriter, PlanCacheDep, SessionDep
from server.routes.models import NamePath
from server.schemas.predictions import TrafficPolicyIn, TrafficPolicyOut
from server.schemas.problem import problem_responses
from server.services import traffic

router = APIRouter(
    prefix=f"{API_V1}/models", tags=["models"], responses=problem_responses(401, 403, 429)
)


@router.get(
    "/{name}/traffic", summary="Champion/challenger split", responses=problem_responses(404)
)
async def get_traffic(name: NamePath, session: SessionDep, _: ModelsReader) -> TrafficPolicyOut:
    return await traffic.describe_policy(session, name)


@router.put(
    "/{name}/traffic",
    summary="Set the canary weight and shadow sample",
    responses=problem_responses(404, 422),
)
async def set_traffic(
    name: NamePath,
    body: TrafficPolicyIn,
    session: SessionDep,
    principal: ModelsWriter,
    plans: PlanCacheDep,
) -> TrafficPolicyOut:
    return await traffic.update_policy(session, plans, name, body, principal.user_id)
