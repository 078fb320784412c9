"""Knowledge-base articles: managed through the API, searched by the reply assistant."""

from collections.abc import Sequence

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.data.articles import GeneratedArticle
from server.config import Settings
from server.core.errors import ConflictError, NotFoundError, UnprocessableError
from server.database import article_repository as repo
from server.database.article_models import Article
from server.schemas.articles import (
    ArticleCreate,
    ArticleHitOut,
    ArticleOut,
    ArticlePage,
    ArticleSearchResult,
    ArticleUpdate,
)

log = structlog.get_logger(__name__)


def article_out(article: Article) -> ArticleOut:
    return ArticleOut.model_validate(article, from_attributes=True)


def _known_category(settings: Settings, category: str | None) -> None:
    if category is not None and category not in settings.model_labels:
        raise UnprocessableError(
            f"category: {category!r} is not one of {', '.join(settings.model_labels)}."
        )


async def _commit_unique(session: AsyncSession, slug: str) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:  # another writer took the slug meanwhile
        await session.rollback()
        raise ConflictError(f"An article named {slug!r} already exists.") from exc


async def _load(session: AsyncSession, article_id: int) -> Article:
    article = await repo.get_article(session, article_id)
    if article is None:
        raise NotFoundError(f"No article {article_id}.")
    return article


async def create_article(
    session: AsyncSession, settings: Settings, body: ArticleCreate
) -> ArticleOut:
    _known_category(settings, body.category)
    if await repo.get_article_by_slug(session, body.slug) is not None:
        raise ConflictError(f"An article named {body.slug!r} already exists.")
    article = await repo.add_article(session, Article(**body.model_dump()))
    await _commit_unique(session, body.slug)
    log.info("article.created", article_id=article.id, category=article.category)
    return article_out(article)


async def describe_article(session: AsyncSession, article_id: int) -> ArticleOut:
    return article_out(await _load(session, article_id))


async def articles_page(
    session: AsyncSession, *, category: str | None, offset: int, limit: int
) -> ArticlePage:
    items, total = await repo.list_articles(session, category=category, offset=offset, limit=limit)
    return ArticlePage(items=[article_out(a) for a in items], total=total)


async def update_article(
    session: AsyncSession, settings: Settings, article_id: int, body: ArticleUpdate
) -> ArticleOut:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    _known_category(settings, changes.get("category"))
    article = await _load(session, article_id)
    slug: str = changes.get("slug", article.slug)
    if slug != article.slug and await repo.get_article_by_slug(session, slug) is not None:
        raise ConflictError(f"An article named {slug!r} already exists.")
    for field, value in changes.items():
        setattr(article, field, value)
    await _commit_unique(session, article.slug)
    log.info("article.updated", article_id=article.id, fields=sorted(changes))
    return article_out(article)


async def delete_article(session: AsyncSession, article_id: int) -> None:
    if not await repo.delete_article(session, article_id):
        raise NotFoundError(f"No article {article_id}.")
    await session.commit()
    log.info("article.deleted", article_id=article_id)


async def search_articles(
    session: AsyncSession, query: str, *, limit: int, category: str | None
) -> ArticleSearchResult:
    """The articles that best match `query` (a ticket, a few words), best first."""
    hits = await repo.search_articles(session, query, limit=limit, category=category)
    return ArticleSearchResult(
        query=query,
        hits=[ArticleHitOut(article=article_out(hit.article), score=hit.score) for hit in hits],
    )


async def seed_articles(session: AsyncSession, generated: Sequence[GeneratedArticle]) -> int:
    """Add the generated articles whose slug is not taken yet; how many were added. Run
    twice, it adds nothing the second time, and it never changes an edited article."""
    added = 0
    for item in generated:
        if await repo.get_article_by_slug(session, item.slug) is None:
            article = Article(
                slug=item.slug, title=item.title, body=item.body, category=item.category
            )
            await repo.add_article(session, article)
            added += 1
    await session.commit()
    log.info("articles.seeded", added=added, offered=len(generated))
    return added
