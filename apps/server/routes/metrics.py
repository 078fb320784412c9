"""Prometheus exposition."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.core.metrics import render_metrics

router = APIRouter(tags=["probes"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {}, "application/openmetrics-text": {}},
            "description": "Exposition format 0.0.4, or OpenMetrics (with exemplars) when "
            "the `Accept` header asks for `application/openmetrics-text`",
        }
    },
)
def metrics(request: Request) -> Response:
    # A sync handler: collecting reads files in multiprocess mode, off the event loop.
    body, content_type = render_metrics(request.headers.get("accept"))
    return Response(body, media_type=content_type)
