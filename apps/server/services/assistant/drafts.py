"""Reply drafts as a use case: start one (checks, prompt, redaction, a stored `running`
row), run it (streaming its events), store how it ended; read and judge stored ones.

A draft is started before anything streams, so that every refusal (assistant off, budget
spent) is a plain HTTP problem and nothing is stored for it. Once started it ends stored
as `completed` (cleaned answer, trace, tokens) or `failed` (its error, the trace and
tokens so far): never half-written, also when the client goes away mid-run.
"""

import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus

import anyio
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.llm.drafting import PromptSpec
from server.agents.llm.errors import LLMError
from server.agents.llm.pii import redact
from server.agents.llm.types import TextDelta
from server.core import genai_metrics
from server.core.errors import AppError, ConflictError, NotFoundError
from server.core.security.principal import Principal
from server.database import draft_repository as repo
from server.database.draft_models import Draft, DraftStatus
from server.database.session import Database
from server.schemas.drafts import DraftEdit, DraftFeedbackIn, DraftOut, DraftPage
from server.services.assistant.budget import tokens_left
from server.services.assistant.composer import (
    ComposedDraft,
    DraftComposer,
    StepFinished,
    StepStarted,
)
from server.services.assistant.gateway import ModelGateway
from server.services.assistant.presenting import draft_out
from server.services.assistant.prompt_source import PromptSource
from server.services.assistant.telemetry import DraftMeter, agent_span
from server.services.assistant.tools import DraftContext

log = structlog.get_logger(__name__)
ERROR_CHARS = 500


class DraftFailedError(AppError):
    """The model did not give a usable answer (after its repair, or within its tokens)."""

    status = HTTPStatus.BAD_GATEWAY
    slug = "draft-failed"


@dataclass
class StartedDraft:
    """A stored `running` draft and what its run needs."""

    draft_id: uuid.UUID
    label: str
    spec: PromptSpec
    context: DraftContext
    max_tokens: int


@dataclass(frozen=True)
class DraftDone:
    draft: DraftOut


DraftEvent = TextDelta | StepStarted | StepFinished | DraftDone


def _problem(exc: Exception, draft_id: uuid.UUID) -> AppError:
    """A failed run as a problem naming the stored draft."""
    if isinstance(exc, AppError):
        exc.extra.setdefault("draft_id", str(draft_id))
        return exc
    return DraftFailedError(f"The draft failed: {exc}", extra={"draft_id": str(draft_id)})


class DraftService:
    """Drafts for the API; one per process."""

    def __init__(
        self,
        database: Database,
        gateway: ModelGateway,
        composer: DraftComposer,
        prompts: PromptSource,
    ) -> None:
        self._database = database
        self._gateway = gateway
        # Public: the evaluations' `Drafter` is `composer.drafter(service.composer)`.
        self.composer = composer
        self.prompts = prompts

    async def start(self, owner: str, ticket: str, request_id: str | None) -> StartedDraft:
        """Refuse (503 assistant off, 429 budget spent) or store the draft as `running`."""
        self._gateway.require_configured()
        async with self._database.session() as session:
            left = await tokens_left(session, self.composer.config, owner)
            label, spec = await self.prompts.pick(session, owner)
            redacted, redaction = redact(ticket)
            draft = await repo.add_draft(
                session,
                Draft(
                    owner=owner,
                    status=DraftStatus.running,
                    ticket=redacted,
                    pii_values=dict(redaction.values),
                    cited_articles=[],
                    steps=[],
                    prompt_version=label,
                ),
            )
            await session.commit()
        log.info("draft.started", draft_id=str(draft.id), prompt_version=label)
        context = DraftContext(owner, redacted, draft_id=draft.id, request_id=request_id)
        max_tokens = min(left, self.composer.config.draft_max_tokens)
        return StartedDraft(draft.id, label, spec, context, max_tokens)

    async def run(self, started: StartedDraft) -> AsyncGenerator[DraftEvent, None]:
        """The run's events, then `DraftDone`; a failure is stored, then raised as a
        problem (`AppError`) naming the draft."""
        meter = DraftMeter(started.label, [])
        composed: ComposedDraft | None = None
        try:
            with agent_span(started.label):
                async for event in self.composer.compose(
                    started.spec, started.label, started.context, meter, started.max_tokens
                ):
                    if isinstance(event, ComposedDraft):
                        composed = event
                    else:
                        yield event
        except (AppError, LLMError) as exc:
            problem = _problem(exc, started.draft_id)
            await self._finish(started, meter, None, problem.detail)
            raise problem from exc
        except BaseException:
            # The client went away (the stream is cancelled) or a bug: still end the row.
            with anyio.CancelScope(shield=True):
                await self._finish(started, meter, None, "the draft was interrupted")
            raise
        assert composed is not None  # noqa: S101 - compose always ends with its draft
        yield DraftDone(await self._finish(started, meter, composed, None))

    async def create(self, started: StartedDraft) -> DraftOut:
        """Run a started draft to its end."""
        async for event in self.run(started):
            if isinstance(event, DraftDone):
                return event.draft
        raise AssertionError("unreachable: a run ends with its draft")  # pragma: no cover

    async def _finish(
        self,
        started: StartedDraft,
        meter: DraftMeter,
        composed: ComposedDraft | None,
        error: str | None,
    ) -> DraftOut:
        async with self._database.session() as session:
            draft = await _load(session, started.draft_id)
            draft.status = DraftStatus.failed if composed is None else DraftStatus.completed
            draft.provider, draft.model = meter.provider, meter.model
            draft.input_tokens, draft.output_tokens = meter.input_tokens, meter.output_tokens
            draft.cost = meter.cost
            draft.steps = meter.steps
            draft.completed_at = datetime.now(UTC)
            if composed is not None:
                draft.reply = composed.reply.reply
                draft.category = composed.reply.category
                draft.confidence_note = composed.reply.confidence_note
                draft.cited_articles = composed.cited
            else:
                draft.error = (error or "failed")[:ERROR_CHARS]
            await session.commit()
            genai_metrics.DRAFTS.labels(started.label, draft.status.value).inc()
            log.info(
                "draft.finished",
                draft_id=str(draft.id),
                status=draft.status.value,
                input_tokens=draft.input_tokens,
                output_tokens=draft.output_tokens,
            )
            return draft_out(draft, draft.owner)


async def _load(session: AsyncSession, draft_id: uuid.UUID) -> Draft:
    draft = await repo.get_draft(session, draft_id)
    if draft is None:
        raise NotFoundError(f"No draft {draft_id}.")
    return draft


async def _visible(session: AsyncSession, draft_id: uuid.UUID, principal: Principal) -> Draft:
    """The draft if `principal` may see it (its owner, an administrator); else 404."""
    draft = await repo.get_draft(session, draft_id)
    if draft is None or (not principal.is_admin and draft.owner != principal.user_id):
        raise NotFoundError(f"No draft {draft_id}.")
    return draft


async def get_draft(session: AsyncSession, draft_id: uuid.UUID, principal: Principal) -> DraftOut:
    return draft_out(await _visible(session, draft_id, principal), principal.user_id)


async def drafts_page(
    session: AsyncSession, principal: Principal, *, limit: int, offset: int
) -> DraftPage:
    """The caller's drafts, newest first (everyone's for an administrator)."""
    owner = principal.owner_filter
    total = await repo.count_drafts(session, owner)
    rows = await repo.list_drafts(session, owner, limit=limit, offset=offset)
    return DraftPage(items=[draft_out(row, principal.user_id) for row in rows], total=total)


async def give_feedback(
    session: AsyncSession, draft_id: uuid.UUID, principal: Principal, body: DraftFeedbackIn
) -> DraftOut:
    """Record the agent's verdict on a completed draft (a later verdict replaces it)."""
    draft = await _visible(session, draft_id, principal)
    if draft.status is not DraftStatus.completed:
        raise ConflictError(f"The draft is {draft.status.value}: only a completed one is judged.")
    draft.feedback_verdict = body.verdict
    draft.feedback_reply = body.edited_reply if isinstance(body, DraftEdit) else None
    draft.feedback_at = datetime.now(UTC)
    await session.commit()
    log.info("draft.feedback", draft_id=str(draft.id), verdict=body.verdict)
    return draft_out(draft, principal.user_id)
