"""Batch jobs: submit (JSON or a CSV/JSONL upload), follow, fetch results, cancel."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from server.core.errors import UnprocessableError, describe_validation_errors
from server.core.text import NO_NUL
from server.routes import API_V1
from server.routes.deps import (
    CeleryDep,
    DatabaseDep,
    JobsUser,
    PageDep,
    SessionDep,
    SettingsDep,
)
from server.schemas.jobs import JobCreate, JobOut, JobPage
from server.schemas.problem import problem_responses
from server.services import jobs
from server.services.job_inputs import JobItem, UnsupportedMediaTypeError, check_items, parse_upload

router = APIRouter(
    prefix=f"{API_V1}/jobs", tags=["jobs"], responses=problem_responses(401, 403, 429)
)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=NO_NUL,
        description="Same key and body: the same job. Same key, other body: 409.",
    ),
]


def _out(job: Any) -> JobOut:
    progress = round(100 * job.processed / job.total, 2) if job.total else 0.0
    return JobOut(
        id=job.id,
        status=job.status.value,
        progress=progress,
        total=job.total,
        processed=job.processed,
        model=job.model_name,
        version=job.version,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


async def _read_items(request: Request, settings: SettingsDep) -> list[JobItem]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limits = {"max_rows": settings.jobs_max_rows, "max_chars": settings.max_text_chars}
    if kind == "application/json":
        try:
            body = JobCreate.model_validate_json(await request.body())
        except ValidationError as exc:
            summary, items = describe_validation_errors(exc.errors())
            raise UnprocessableError(summary, extra={"errors": items}) from exc
        return check_items([JobItem(i.text, i.id) for i in body.items], **limits)
    if kind == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=1)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise UnprocessableError("body.file: attach the CSV or JSONL file as `file`.")
        data = await upload.read()
        return parse_upload(data, upload.filename or "", upload.content_type or "", **limits)
    raise UnsupportedMediaTypeError(
        'Send application/json ({"items": [...]}) or multipart/form-data with a `file`.'
    )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit a batch job (JSON items or a CSV/JSONL upload)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/JobCreate"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
            },
        }
    },
    responses={
        200: {
            "model": JobOut,
            "description": "This Idempotency-Key and body were accepted before: that job.",
        },
        **problem_responses(409, 413, 415, 422, 503),
    },
)
async def submit_job(
    *,
    request: Request,
    response: Response,
    settings: SettingsDep,
    database: DatabaseDep,
    celery: CeleryDep,
    principal: JobsUser,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    items = await _read_items(request, settings)
    job, created = await jobs.submit_job(
        database, celery, settings, items, owner=principal.user_id, idempotency_key=idempotency_key
    )
    response.headers["Location"] = f"{router.prefix}/{job.id}"
    if not created:
        response.status_code = status.HTTP_200_OK
    return _out(job)


@router.get("", summary="Your jobs, newest first (every job for users:admin)")
async def list_jobs(session: SessionDep, principal: JobsUser, page: PageDep) -> JobPage:
    rows, total = await jobs.list_jobs(
        session, principal.owner_filter, limit=page.limit, offset=page.offset
    )
    return JobPage(items=[_out(job) for job in rows], total=total)


@router.get(
    "/{job_id}", summary="A job: status, progress, counts", responses=problem_responses(404)
)
async def get_job(job_id: uuid.UUID, session: SessionDep, principal: JobsUser) -> JobOut:
    return _out(await jobs.get_job(session, job_id, principal.owner_filter))


@router.delete("/{job_id}", summary="Cancel a job", responses=problem_responses(404, 409))
async def cancel_job(job_id: uuid.UUID, session: SessionDep, principal: JobsUser) -> JobOut:
    return _out(await jobs.cancel_job(session, job_id, principal.owner_filter))


@router.get(
    "/{job_id}/results",
    summary="Stream a finished job's results as JSONL or CSV",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/jsonl": {}, "text/csv": {}}},
        **problem_responses(404, 409),
    },
)
async def job_results(
    job_id: uuid.UUID,
    database: DatabaseDep,
    principal: JobsUser,
    fmt: Annotated[str, Query(alias="format", pattern="^(jsonl|csv)$")] = "jsonl",
) -> StreamingResponse:
    lines = await jobs.stream_results(database, job_id, principal.owner_filter, fmt)
    media = "text/csv" if fmt == "csv" else "application/jsonl"
    return StreamingResponse(lines, media_type=media)
