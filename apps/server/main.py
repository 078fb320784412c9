"""The application factory: settings in, a wired FastAPI app out."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from server import __version__
from server.config import Environment, Settings
from server.core.errors import register_error_handlers
from server.core.logging import configure_logging
from server.core.metrics import mark_worker_dead
from server.core.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from server.database.session import Database
from server.routes import (
    API_V1,
    health,
    jobs,
    meta,
    metrics,
    models,
    predictions,
    traffic,
    training,
)
from server.schemas.problem import problem_responses
from server.services.health import readiness_checks
from server.services.predictions import PredictionService
from server.worker.celery_app import create_celery
from server.worker.results import create_result_waiter

log = structlog.get_logger("server")

OPENAPI_TAGS = [
    {"name": "probes", "description": "Liveness, readiness and Prometheus metrics."},
    {"name": "meta", "description": "What this service is."},
    {"name": "predictions", "description": "Triage tickets now, and say when it was wrong."},
    {"name": "jobs", "description": "Batch jobs: many tickets, scored in the background."},
    {"name": "models", "description": "Model registry: versions, aliases, rollback, audit."},
    {"name": "training", "description": "Training runs on the worker's training queue."},
]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    # Everything allocated at start-up lives for the process: move it out of the collector's
    # reach, and collect the young generation less often (measured: full collections of a
    # large heap were most of the p99 of predictions).
    if settings.env is not Environment.test:  # a test process starts hundreds of apps
        gc.collect()
        gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(settings.gc_young_threshold, middle, oldest)
    log.info("app.started", env=settings.env, version=__version__)
    try:
        yield
    finally:
        await app.state.predictions.aclose()
        await app.state.database.dispose()
        mark_worker_dead()
        log.info("app.stopped")


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the app. Everything it needs comes from `settings`; nothing is read later.

    `database` replaces the one built from settings (tests pass one bound to a transaction).
    """
    settings = settings or Settings()
    configure_logging(settings)
    app = FastAPI(
        title=settings.app_name,
        version=__version__,
        summary="Support-ticket triage: a text classifier served by Celery workers.",
        debug=settings.debug,
        lifespan=_lifespan,
        openapi_tags=OPENAPI_TAGS,
        responses=problem_responses(400, 413, 422, 500),
    )
    app.state.settings = settings
    # The engine connects lazily, so building it here costs nothing and keeps the app usable
    # by test clients that never run the lifespan.
    app.state.database = database or Database.from_settings(settings)
    app.state.celery = create_celery(settings)  # a client: sends tasks by name
    app.state.readiness = readiness_checks(settings, app.state.database)
    app.state.predictions = PredictionService(
        settings,
        app.state.database,
        app.state.celery,
        create_result_waiter(settings, poll_s=settings.result_poll_s),
    )

    register_error_handlers(app)
    # Added innermost first: the request context wraps everything, so even a 413 or a CORS
    # refusal carries a request id and is logged and counted.
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        overrides={f"{API_V1}/jobs": settings.jobs_max_upload_bytes},
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials="*" not in settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID", "Idempotency-Key"],
        expose_headers=["X-Request-ID", "Location", "Retry-After"],
    )
    app.add_middleware(RequestContextMiddleware)

    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(meta.router)
    app.include_router(predictions.router)
    app.include_router(jobs.router)
    app.include_router(models.router)
    app.include_router(traffic.router)
    app.include_router(training.router)
    return app
