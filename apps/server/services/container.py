"""What an API process builds once at start-up, in one typed object.

`main.create_app` builds an `AppServices` and keeps it on `app.state.services`; the
dependencies in `routes/deps.py` hand its parts to handlers, typed. Nothing else reads
`app.state`. Tests build apps with their own settings or database and reach the same parts
through `services_of(app)`.
"""

from dataclasses import dataclass

from celery import Celery
from fastapi import FastAPI

from server.agents.llm.drafting import Drafter
from server.config import Settings
from server.core.broadcast import Broadcast
from server.core.lifecycle import Lifecycle
from server.core.rate_limit import Backoff, LoginGuard, RateLimiter, build_rate_limiter
from server.core.security.passwords import Passwords
from server.core.security.revocation import RevocationBus, build_revocation_bus
from server.core.security.tokens import TokenCodec
from server.database.session import Database
from server.services.assistant.composer import DraftComposer, drafter
from server.services.assistant.drafts import DraftService
from server.services.assistant.gateway import ModelGateway
from server.services.assistant.prompts import PromptRegistry
from server.services.authentication import Authenticator
from server.services.health import ReadinessChecks, readiness_checks
from server.services.predictions.service import PredictionService
from server.services.sessions import SessionService
from server.services.traffic import build_plan_bus
from server.taskqueue.celery_app import create_celery
from server.taskqueue.presence import WorkerPresence
from server.taskqueue.results import create_result_waiter


@dataclass(frozen=True, slots=True)
class AppServices:
    settings: Settings
    database: Database
    celery: Celery
    lifecycle: Lifecycle
    workers: WorkerPresence
    readiness: ReadinessChecks
    predictions: PredictionService
    passwords: Passwords
    rate_limiter: RateLimiter
    login_guard: LoginGuard
    revocations: RevocationBus
    plan_changes: Broadcast
    authenticator: Authenticator
    sessions: SessionService
    models: ModelGateway
    drafts: DraftService
    eval_drafter: Drafter | None = None
    """Drafts the evaluation set of a prompt evaluation run (on a worker, or inline from the
    command line); None: no provider."""

    @classmethod
    def build(cls, settings: Settings, database: Database | None = None) -> "AppServices":
        """Everything from `settings`. The engine and Redis connect lazily, so building costs
        nothing and an app that never starts (a test client, `openapi`) opens no connection.
        `database` replaces the one built from settings (tests pass one in a transaction)."""
        database = database or Database.from_settings(settings)
        celery = create_celery(settings)  # a client: sends tasks by name
        codec = TokenCodec(settings)
        passwords = Passwords(settings)
        rate_limiter = build_rate_limiter(settings.redis_url, prefix=f"{settings.app_name}:rl:")
        # Revocations reach every API process at once (Redis pub/sub), or this one (memory).
        revocations = build_revocation_bus(
            settings.redis_url, channel=f"{settings.app_name}:revocations"
        )
        # Promotions, rollbacks and traffic policies reach every API process's plan at once.
        plan_changes = build_plan_bus(settings)
        lifecycle = Lifecycle()
        workers = WorkerPresence.from_settings(settings)  # one cached view, shared
        predictions = PredictionService(
            settings,
            database,
            celery,
            create_result_waiter(settings, poll_s=settings.result_poll_s),
            plan_changes,
            workers=workers,
        )
        models = ModelGateway(settings.llm)
        composer = DraftComposer(settings.llm, models, database, predictions)
        return cls(
            settings=settings,
            database=database,
            celery=celery,
            lifecycle=lifecycle,
            workers=workers,
            readiness=readiness_checks(settings, database, lifecycle, workers),
            predictions=predictions,
            passwords=passwords,
            rate_limiter=rate_limiter,
            login_guard=LoginGuard(
                rate_limiter,
                Backoff(
                    base_s=settings.login_backoff_base_s,
                    max_s=settings.login_backoff_max_s,
                    decay_s=settings.login_failure_memory_s,
                ),
                free_per_account_address=settings.login_free_failures,
                free_per_address=settings.login_address_free_failures,
            ),
            revocations=revocations,
            plan_changes=plan_changes,
            authenticator=Authenticator(settings, database, codec, rate_limiter, revocations),
            sessions=SessionService(settings, database, passwords, codec, revocations),
            models=models,
            drafts=DraftService(database, models, composer, PromptRegistry()),
            eval_drafter=drafter(composer) if models.configured else None,
        )

    async def aclose(self) -> None:
        """Drain and close in dependency order: services first, the pool last."""
        await self.revocations.aclose()
        await self.plan_changes.aclose()
        await self.rate_limiter.aclose()
        await self.predictions.aclose()
        await self.authenticator.aclose()
        await self.models.aclose()
        await self.workers.aclose()
        await self.database.dispose()


def services_of(app: FastAPI) -> AppServices:
    """The container of an app built by `create_app`."""
    services: AppServices = app.state.services
    return services
