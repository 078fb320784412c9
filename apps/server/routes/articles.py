"""Knowledge-base articles: read and search (drafts), manage (articles:write)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from server.core.text import FILLED_NO_NUL
from server.routes import API_V1
from server.routes.deps import ArticlesWriter, Drafter, PageDep, SessionDep, SettingsDep
from server.schemas.articles import (
    ArticleCreate,
    ArticleOut,
    ArticlePage,
    ArticleSearchResult,
    ArticleUpdate,
)
from server.schemas.problem import problem_responses
from server.services.assistant import articles

router = APIRouter(
    prefix=f"{API_V1}/articles", tags=["articles"], responses=problem_responses(401, 403, 429)
)

# Bounded like the column (a 32-bit integer), so a huge id is a 422, not a database error.
ArticleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The article's id.")]
CategoryFilter = Annotated[
    str | None, Query(max_length=64, pattern=FILLED_NO_NUL, description="Only this category.")
]


@router.get("", summary="A page of articles (drafts)")
async def list_articles(
    session: SessionDep, _: Drafter, page: PageDep, category: CategoryFilter = None
) -> ArticlePage:
    return await articles.articles_page(
        session, category=category, offset=page.offset, limit=page.limit
    )


@router.get("/search", summary="Full-text search, best match first (drafts)")
async def search_articles(
    session: SessionDep,
    _: Drafter,
    q: Annotated[
        str, Query(min_length=1, max_length=2000, pattern=FILLED_NO_NUL, description="Free text.")
    ],
    limit: Annotated[int, Query(ge=1, le=20, description="Most hits.")] = 5,
    category: CategoryFilter = None,
) -> ArticleSearchResult:
    return await articles.search_articles(session, q, limit=limit, category=category)


@router.get("/{article_id:int}", summary="One article (drafts)", responses=problem_responses(404))
async def get_article(article_id: ArticleId, session: SessionDep, _: Drafter) -> ArticleOut:
    return await articles.describe_article(session, article_id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add an article (articles:write)",
    responses=problem_responses(409, 422),
)
async def create_article(
    body: ArticleCreate, session: SessionDep, settings: SettingsDep, _: ArticlesWriter
) -> ArticleOut:
    return await articles.create_article(session, settings, body)


@router.patch(
    "/{article_id:int}",
    summary="Change an article (articles:write)",
    responses=problem_responses(404, 409, 422),
)
async def update_article(
    article_id: ArticleId,
    body: ArticleUpdate,
    session: SessionDep,
    settings: SettingsDep,
    _: ArticlesWriter,
) -> ArticleOut:
    return await articles.update_article(session, settings, article_id, body)


@router.delete(
    "/{article_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an article (articles:write)",
    responses=problem_responses(404),
)
async def delete_article(article_id: ArticleId, session: SessionDep, _: ArticlesWriter) -> Response:
    await articles.delete_article(session, article_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
