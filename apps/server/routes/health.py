"""Probes: liveness touches nothing; readiness checks every dependency now."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server.core.errors import problem_response
from server.routes.deps import ServicesDep
from server.schemas.health import Liveness, Readiness
from server.schemas.problem import problem_responses
from server.services.health import check_readiness

router = APIRouter(tags=["probes"])


@router.get("/health", summary="Liveness: the process is up")
async def health() -> Liveness:
    return Liveness()


@router.get(
    "/readiness",
    summary="Readiness: dependencies reachable",
    response_model=Readiness,
    description="Checks the database, the broker, and that the champion model is loaded in at "
    "least one live worker: 200 with one result per check, or 503 problem details naming "
    "the failed ones.",
    responses=problem_responses(503),
)
async def readiness(request: Request, services: ServicesDep) -> Readiness | JSONResponse:
    report = await check_readiness(services.readiness, services.settings.readiness_timeout_s)
    if report.status == "ok":
        return report
    failed = [name for name, result in report.checks.items() if result.status != "ok"]
    return problem_response(
        request,
        503,
        f"failed checks: {', '.join(failed)}",
        slug="not-ready",
        extra={"checks": report.model_dump(mode="json")["checks"]},
    )
