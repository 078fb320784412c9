"""A model's traffic policy: challenger weight and shadow sample."""

from fastapi import APIRouter

from server.routes import API_V1
from server.routes.deps import ModelsReader, ModelsWriter, PredictionServiceDep, SessionDep
from server.routes.models import NamePath
from server.schemas.predictions import TrafficPolicyIn, TrafficPolicyOut
from server.schemas.problem import problem_responses
from server.services import registry, traffic

router = APIRouter(
    prefix=f"{API_V1}/models", tags=["models"], responses=problem_responses(401, 403, 429)
)


async def _out(session: SessionDep, name: str) -> TrafficPolicyOut:
    await registry.require_model(session, name)
    policy = await traffic.get_policy(session, name)
    served = await registry.served_versions(session, name)
    return TrafficPolicyOut(
        model=name,
        champion=served["champion"][0] if "champion" in served else None,
        challenger=served["challenger"][0] if "challenger" in served else None,
        challenger_weight=policy.challenger_weight,
        shadow_sample=policy.shadow_sample,
        updated_by=policy.updated_by,
    )


@router.get(
    "/{name}/traffic", summary="Champion/challenger split", responses=problem_responses(404)
)
async def get_traffic(name: NamePath, session: SessionDep, _: ModelsReader) -> TrafficPolicyOut:
    return await _out(session, name)


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
    service: PredictionServiceDep,
) -> TrafficPolicyOut:
    await traffic.set_policy(
        session,
        name,
        challenger_weight=body.challenger_weight,
        shadow_sample=body.shadow_sample,
        actor=principal.user_id,
    )
    service.plans.invalidate()  # this process applies it now; others within the plan TTL
    return await _out(session, name)
