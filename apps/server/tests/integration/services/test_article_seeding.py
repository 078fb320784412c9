"""Seeding the generated articles, and how well they answer generated tickets."""

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.data.articles import generate_articles
from server.agents.data.generator import generate_tickets
from server.database import article_repository
from server.services.assistant.articles import seed_articles

pytestmark = pytest.mark.usefixtures("db_session")


async def test_seeding_adds_what_is_missing_and_keeps_edits(db_session: AsyncSession) -> None:
    generated = generate_articles()
    assert await seed_articles(db_session, generated[:3]) == 3
    edited = await article_repository.get_article_by_slug(db_session, generated[0].slug)
    assert edited is not None
    edited.title = "Edited by support"
    await db_session.commit()

    assert await seed_articles(db_session, generated) == len(generated) - 3
    assert await seed_articles(db_session, generated) == 0
    again = await article_repository.get_article_by_slug(db_session, generated[0].slug)
    assert again is not None
    assert again.title == "Edited by support"


async def test_generated_tickets_find_an_article_of_their_category(
    db_session: AsyncSession,
) -> None:
    await seed_articles(db_session, generate_articles())
    tickets = generate_tickets(120, seed=7)
    found = 0
    for text, label in zip(tickets.texts, tickets.labels, strict=True):
        hits = await article_repository.search_articles(db_session, text, limit=3)
        found += any(hit.article.category == label for hit in hits)
    # The generator mislabels and blurs some tickets on purpose; most must still be served.
    assert found / len(tickets.texts) >= 0.7
