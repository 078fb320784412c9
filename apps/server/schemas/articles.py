"""Knowledge-base article bodies: what the reply assistant searches and cites."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from server.core.text import FILLED_NO_NUL, SafeText
from server.schemas.base import RequestModel

Slug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9-]{0,119}$",
        description="Stable name in URLs and citations: lower-case letters, digits, `-`.",
    ),
]
Title = Annotated[SafeText, Field(min_length=1, max_length=200)]
Body = Annotated[SafeText, Field(min_length=1, max_length=20_000)]
Category = Annotated[
    str,
    Field(
        max_length=64,
        pattern=FILLED_NO_NUL,
        description="One of the classifier's labels (`/api/v1/meta`).",
    ),
]


class ArticleCreate(RequestModel):
    slug: Slug
    title: Title
    body: Body
    category: Category


class ArticleUpdate(RequestModel):
    """Only the fields given change; the search index follows at once."""

    slug: Slug | None = None
    title: Title | None = None
    body: Body | None = None
    category: Category | None = None


class ArticleOut(BaseModel):
    id: int
    slug: str
    title: str
    body: str
    category: str
    created_at: datetime
    updated_at: datetime


class ArticlePage(BaseModel):
    items: list[ArticleOut]
    total: int = Field(description="Articles (of the category, if one is given) in all pages.")


class ArticleHitOut(BaseModel):
    article: ArticleOut
    score: float = Field(description="Relevance; higher is better, comparable within a search.")


class ArticleSearchResult(BaseModel):
    query: str
    hits: list[ArticleHitOut]
