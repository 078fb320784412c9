"""Probes: liveness touches nothing; readiness says whether this process should get traffic."""

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
    summary="Readiness: this process should get traffic",
    response_model=Readiness,
    description="200 when this process has started, is not draining and its database pool "
    "answers; 503 problem details naming the failed check otherwise. Both carry `checks` and "
    "`dependencies`: the broker, the workers and the champion (loaded by a live worker, or "
    "why not, such as a refused artifact) are reported there, and as `dependency_up` "
    "metrics, but never make readiness fail.",
    responses=problem_responses(503),
)
async def readiness(request: Request, services: ServicesDep) -> Readiness | JSONResponse:
    report = await check_readiness(services.readiness, services.settings.readiness_timeout_s)
    if report.status == "ok":
        return report
    failed = [f"{name} ({r.error})" for name, r in report.checks.items() if r.status != "ok"]
    body = report.model_dump(mode="json")
    return problem_response(
        request,
        503,
        f"failed checks: {', '.join(failed)}",
        slug="not-ready",
        extra={"checks": body["checks"], "dependencies": body["dependencies"]},
    )
