"""Batch jobs over HTTP."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from server.core.text import FilledText, PlainText
from server.schemas.base import RequestModel
from server.schemas.predictions import MAX_TEXT_CHARS_CEILING

MAX_ITEMS_CEILING = 100_000


class JobItemIn(RequestModel):
    text: Annotated[FilledText, Field(min_length=1, max_length=MAX_TEXT_CHARS_CEILING)]
    id: Annotated[PlainText, Field(max_length=200)] | None = Field(
        None, description="Your reference, returned with the item's result."
    )


class JobCreate(RequestModel):
    items: list[JobItemIn] = Field(
        min_length=1,
        max_length=MAX_ITEMS_CEILING,
        description="Tickets to triage (at most `APP_JOBS_MAX_ROWS`). Or upload a CSV/JSONL "
        "file to the same path as multipart form field `file`.",
    )


class JobOut(BaseModel):
    id: uuid.UUID
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: float = Field(ge=0, le=100, description="Percent of items scored.")
    total: int
    processed: int
    model: str
    version: int | None = Field(description="The version scoring the job, once it started.")
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobPage(BaseModel):
    items: list[JobOut]
    total: int = Field(description="Jobs visible to the caller in all pages.")
