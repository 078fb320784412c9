"""Prometheus exposition."""

from fastapi import APIRouter
from fastapi.responses import Response

from server.core.metrics import render_metrics

router = APIRouter(tags=["probes"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Exposition format 0.0.4"}},
)
def metrics() -> Response:
    # A sync handler: collecting reads files in multiprocess mode, off the event loop.
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)
