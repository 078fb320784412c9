"""Queries of knowledge-base articles, full-text search included.

Search takes free text (a ticket) and ranks articles by how well they match any of its
words: PostgreSQL with `ts_rank_cd` over the English text vector (the GIN index of the
migration serves the `@@` match), SQLite with FTS5's `bm25`. The words are reduced to
letters and digits first, so no text can reach either search syntax as an operator.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import String, bindparam, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.database.article_models import Article

MAX_TERMS = 32
# Function words that match nearly every article. PostgreSQL's English configuration drops
# them itself; FTS5 has no stop words, so without this list "the" in a ticket would rank
# every article that has it.
_STOP_WORDS = (
    "a an and are as at be been but by can do does for from had has have hi hello how "
    "i if in into is it its me my no not of on or our so than that the their them "
    "then there these they this to was we were what when where which who why will "
    "with would you your"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[^\W_]{2,}")


@dataclass(frozen=True)
class ArticleHit:
    article: Article
    score: float
    """Higher is better; comparable within one search only."""


def search_terms(query: str) -> list[str]:
    """The distinct words of `query` (letters and digits, two or more, no stop word),
    lower-cased, in order, at most `MAX_TERMS`: safe to join into either backend's query
    syntax."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        if word not in STOP_WORDS:
            seen.setdefault(word, None)
    return list(seen)[:MAX_TERMS]


async def add_article(session: AsyncSession, article: Article) -> Article:
    session.add(article)
    await session.flush()
    return article


async def get_article(session: AsyncSession, article_id: int) -> Article | None:
    return await session.get(Article, article_id)


async def get_article_by_slug(session: AsyncSession, slug: str) -> Article | None:
    return await session.scalar(select(Article).where(Article.slug == slug))


async def list_articles(
    session: AsyncSession, *, category: str | None, offset: int, limit: int
) -> tuple[Sequence[Article], int]:
    """A page of articles by id, and how many there are in all (of the category)."""
    query = select(Article)
    if category is not None:
        query = query.where(Article.category == category)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    page = await session.scalars(query.order_by(Article.id).offset(offset).limit(limit))
    return page.all(), total or 0


async def load_articles(session: AsyncSession, ids: Sequence[int]) -> list[Article]:
    """The articles with these ids, in the order given (missing ones left out)."""
    found = {a.id: a for a in await session.scalars(select(Article).where(Article.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


async def delete_article(session: AsyncSession, article_id: int) -> bool:
    """Remove an article; True when there was one."""
    result = await session.execute(
        delete(Article).where(Article.id == article_id).returning(Article.id)
    )
    return result.scalar_one_or_none() is not None


async def search_articles(
    session: AsyncSession, query: str, *, limit: int, category: str | None = None
) -> list[ArticleHit]:
    """The best `limit` articles for `query`, best first; none when it has no words."""
    terms = search_terms(query)
    if not terms:
        return []
    if session.get_bind().dialect.name == "sqlite":
        statement, match = _SQLITE_SEARCH, " OR ".join(f'"{term}"' for term in terms)
    else:
        statement, match = _POSTGRES_SEARCH, " | ".join(terms)
    ranked = await session.execute(
        statement, {"match": match, "limit": limit, "category": category}
    )
    scores = {row.id: float(row.score) for row in ranked}
    articles = await load_articles(session, list(scores))
    return [ArticleHit(article, scores[article.id]) for article in articles]


# Fixed statements: the words and the category are bound parameters. Each word is quoted
# for FTS5 (a string, never an operator); `bm25` is lower for a better match.
_SQLITE_SEARCH = text(
    "SELECT kb_articles.id AS id, -bm25(kb_articles_fts) AS score FROM kb_articles_fts "
    "JOIN kb_articles ON kb_articles.id = kb_articles_fts.rowid "
    "WHERE kb_articles_fts MATCH :match "
    "AND (:category IS NULL OR kb_articles.category = :category) "
    "ORDER BY score DESC, id LIMIT :limit"
).bindparams(bindparam("category", type_=String))
# It repeats the GIN index's expression, so that the index serves the match.
_POSTGRES_SEARCH = text(
    "SELECT kb_articles.id AS id, "
    "ts_rank_cd(to_tsvector('english', kb_articles.title || ' ' || kb_articles.body), query) "
    "AS score FROM kb_articles, to_tsquery('english', :match) AS query "
    "WHERE to_tsvector('english', kb_articles.title || ' ' || kb_articles.body) @@ query "
    "AND (:category IS NULL OR kb_articles.category = :category) "
    "ORDER BY score DESC, id LIMIT :limit"
).bindparams(bindparam("category", type_=String))
