"""Reply drafts (drafts scope): draft a reply as JSON or as a stream of server-sent
events, read drafts with their trace, give feedback. Ownership as for jobs."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, status
from fastapi.responses import StreamingResponse

from server.core.errors import AppError, problem_body
from server.routes import API_V1
from server.routes.deps import Drafter, DraftServiceDep, PageDep, SessionDep
from server.schemas.drafts import DraftCreate, DraftFeedbackIn, DraftOut, DraftPage
from server.schemas.problem import problem_responses
from server.services.assistant import drafts
from server.services.assistant.composer import StepFinished, StepStarted
from server.services.assistant.drafts import DraftDone, DraftEvent, DraftService, StartedDraft

router = APIRouter(
    prefix=f"{API_V1}/drafts", tags=["drafts"], responses=problem_responses(401, 403, 429)
)
EVENT_STREAM = "text/event-stream"
STREAM_DOC = (
    "Events in order: `draft` (id, prompt_version), then `tool_started`, `tool_finished` "
    "and `token` as the run goes, then `done` (the stored draft) or `error` (a problem)."
)


def _wants_stream(accept: str | None) -> bool:
    return EVENT_STREAM in (accept or "").lower()


async def _events(
    service: DraftService, started: StartedDraft, request: Request
) -> AsyncIterator[bytes]:
    yield sse_event("draft", {"id": str(started.draft_id), "prompt_version": started.label})
    try:
        async for event in service.run(started):
            yield sse_event(*_payload(event))
    except AppError as exc:
        body = problem_body(
            exc.status,
            exc.detail,
            instance=request.url.path,
            request_id=getattr(request.state, "request_id", None),
            slug=exc.slug,
            extra=exc.extra,
        )
        yield sse_event("error", body)


def sse_event(name: str, data: Any) -> bytes:
    """One server-sent event: its name and one line of JSON."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def _payload(event: DraftEvent) -> tuple[str, Any]:
    """A run's event as the contract names and shapes it."""
    if isinstance(event, DraftDone):
        return "done", event.draft.model_dump(mode="json")
    if isinstance(event, StepStarted):
        try:
            arguments: Any = event.call.parsed_arguments()
        except ValueError:
            arguments = None
        return "tool_started", {"step": event.step, "name": event.call.name, "arguments": arguments}
    if isinstance(event, StepFinished):
        outcome = event.outcome
        return "tool_finished", {
            "step": event.step,
            "name": outcome.call.name,
            "ok": outcome.error is None,
            "result": outcome.result,
            "error": outcome.error,
        }
    return "token", {"text": event.text}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DraftOut,
    summary="Draft a reply to a ticket (drafts); JSON, or events with Accept: text/event-stream",
    responses={
        200: {"description": STREAM_DOC, "content": {EVENT_STREAM: {"schema": {"type": "string"}}}},
        **problem_responses(422, 502, 503, 504),
    },
)
async def create_draft(
    body: DraftCreate,
    request: Request,
    service: DraftServiceDep,
    principal: Drafter,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Any:
    started = await service.start(principal.user_id, body.ticket, request.state.request_id)
    if _wants_stream(accept):
        return StreamingResponse(
            _events(service, started, request),
            media_type=EVENT_STREAM,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return await service.create(started)


@router.get("", summary="The caller's drafts, newest first (drafts)")
async def list_drafts(session: SessionDep, principal: Drafter, page: PageDep) -> DraftPage:
    return await drafts.drafts_page(session, principal, limit=page.limit, offset=page.offset)


@router.get(
    "/{draft_id}", summary="One draft with its trace (drafts)", responses=problem_responses(404)
)
async def get_draft(draft_id: uuid.UUID, session: SessionDep, principal: Drafter) -> DraftOut:
    return await drafts.get_draft(session, draft_id, principal)


@router.post(
    "/{draft_id}/feedback",
    summary="Accept, edit or reject a completed draft (drafts)",
    responses=problem_responses(404, 409, 422),
)
async def give_feedback(
    draft_id: uuid.UUID, body: DraftFeedbackIn, session: SessionDep, principal: Drafter
) -> DraftOut:
    return await drafts.give_feedback(session, draft_id, principal, body)
