"""The application factory: settings in, a wired FastAPI app out."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel

from server import __version__
from server.config import Environment, Settings
from server.core.docs import add_docs
from server.core.errors import register_error_handlers
from server.core.logging import configure_logging
from server.core.metrics import mark_worker_dead
from server.core.middleware import (
    BodySizeLimitMiddleware,
    HeaderLimitMiddleware,
    RequestContextMiddleware,
)
from server.core.security.headers import SecurityHeadersMiddleware, TrustedHostMiddleware
from server.core.tracing import SERVICE_API, flush_tracing, setup_tracing
from server.database.schema import wait_for_schema
from server.database.session import Database
from server.routes import (
    API_V1,
    api_keys,
    articles,
    auth,
    drafts,
    health,
    jobs,
    meta,
    metrics,
    models,
    monitoring,
    predictions,
    prompt_evaluations,
    prompts,
    traffic,
    training,
    users,
)
from server.schemas.jobs import JobCreate
from server.schemas.problem import problem_responses
from server.services.container import AppServices, services_of
from server.services.users import ensure_first_superuser

log = structlog.get_logger("server")

OPENAPI_TAGS = [
    {"name": "probes", "description": "Liveness, readiness and Prometheus metrics."},
    {"name": "meta", "description": "What this service is."},
    {"name": "predictions", "description": "Triage tickets now, and say when it was wrong."},
    {"name": "jobs", "description": "Batch jobs: many tickets, scored in the background."},
    {"name": "models", "description": "Model registry: versions, aliases, rollback, audit."},
    {
        "name": "prompts",
        "description": "Prompt versions of the reply assistant: aliases, evaluation gate, canary.",
    },
    {"name": "training", "description": "Training runs on the worker's training queue."},
    {"name": "monitoring", "description": "Drift, quality and calibration of served versions."},
    {"name": "auth", "description": "Sign in (OAuth2 password flow), refresh, sign out."},
    {"name": "users", "description": "The signed-in user; user administration."},
    {"name": "api keys", "description": "Keys for machine clients, sent as `X-API-Key`."},
    {
        "name": "articles",
        "description": "Knowledge-base articles the reply assistant searches and cites.",
    },
    {
        "name": "drafts",
        "description": "Reply drafts by the assistant: JSON or streamed, traced, judged.",
    },
]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    services = services_of(app)
    settings = services.settings
    # Everything allocated at start-up lives for the process: move it out of the collector's
    # reach, and collect the young generation less often (measured: full collections of a
    # large heap were most of the p99 of predictions).
    if settings.env is not Environment.test:  # a test process starts hundreds of apps
        gc.collect()
        gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(settings.gc_young_threshold, middle, oldest)
    await services.revocations.start()
    await services.plan_changes.start()
    if settings.first_superuser_email:
        # Its check reads `users`: under a plain `kubectl apply -k` the API may start before
        # the migration Job has made it. Without one, nothing at start-up needs the schema.
        await wait_for_schema(services.database, settings.schema_wait_s)
    if await ensure_first_superuser(services.database, settings, services.passwords):
        log.info("app.superuser_created", email=settings.first_superuser_email)
    log.info("app.started", env=settings.env, version=__version__)
    services.lifecycle.started = True
    restore_sigterm = services.lifecycle.drain_on_sigterm(settings.shutdown_drain_s)
    try:
        yield
    finally:
        restore_sigterm()
        services.lifecycle.draining = True  # stopping: not ready, whatever the cause
        await services.aclose()
        mark_worker_dead()
        log.info("app.stopped")
        await asyncio.to_thread(flush_tracing)  # bounded; blocking on the exporter


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
        responses=problem_responses(400, 413, 422, 431, 500),
        # FastAPI's own pages load their assets from a CDN: ours are served from here.
        docs_url=None,
        redoc_url=None,
        # FastAPI's own OpenTelemetry, which switches itself on once a tracer provider is
        # set, is off: requests are traced by `tracing_instruments.instrument_app`, which
        # skips the requests the ratio does not pick; metrics and logs are the service's.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    add_docs(app)
    app.state.services = AppServices.build(settings, database)
    register_error_handlers(app)
    # Added innermost first: the request context wraps everything, so even a 413 or a CORS
    # refusal carries a request id and is logged and counted.
    app.add_middleware(
        HeaderLimitMiddleware, max_bytes=settings.max_header_bytes, max_count=settings.max_headers
    )
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
        allow_headers=[
            "Authorization",
            "Content-Type",
            "X-API-Key",
            "X-Request-ID",
            "X-Routing-Key",
            "Idempotency-Key",
            "X-CSRF-Token",  # the refresh cookie's CSRF proof (routes/auth_cookies.py)
            "X-Refresh-Token-Transport",
        ],
        expose_headers=["X-Request-ID", "Location", "Retry-After"],
    )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts)
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts_max_age_s=settings.hsts_max_age_s if settings.env is Environment.production else None,
    )
    app.add_middleware(RequestContextMiddleware)
    tracer_provider = setup_tracing(settings, SERVICE_API)
    if tracer_provider is not None:  # tracing off: nothing is patched, nothing is measured
        # Imported only then: the instrumentations take 0.3 s to import.
        from server.core.tracing_instruments import (  # noqa: PLC0415
            instrument_app,
            instrument_clients,
            instrument_engine,
        )

        instrument_app(app, tracer_provider)  # added last: the outermost middleware
        instrument_engine(app.state.services.database.engine, tracer_provider)
        instrument_clients(tracer_provider)

    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(meta.router)
    app.include_router(predictions.router)
    app.include_router(jobs.router)
    app.include_router(models.router)
    app.include_router(traffic.router)
    app.include_router(training.router)
    app.include_router(monitoring.router)
    app.include_router(auth.router)
    app.include_router(users.router)
    app.include_router(api_keys.router)
    app.include_router(articles.router)
    app.include_router(prompts.router)
    app.include_router(prompt_evaluations.router)
    app.include_router(drafts.router)
    _document_schemas(app, JobCreate)
    return app


def _document_schemas(app: FastAPI, *models: type[BaseModel]) -> None:
    """Add body models that routes read by hand (JSON or upload) to the OpenAPI components,
    so the `$ref`s of their `openapi_extra` resolve."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            document = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(document.pop("$defs", {}))
            components[model.__name__] = document
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
