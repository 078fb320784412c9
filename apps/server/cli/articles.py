"""`python -m server seed-articles`: the generated knowledge-base articles, once (make dev)."""

import asyncio

from server.agents.data.articles import generate_articles
from server.config import Settings
from server.core.logging import configure_logging
from server.database.session import Database
from server.services.assistant.articles import seed_articles


async def _seed(settings: Settings) -> int:
    database = Database.from_settings(settings)
    try:
        async with database.session() as session:
            return await seed_articles(session, generate_articles())
    finally:
        await database.dispose()


def run_seed_articles(settings: Settings) -> int:
    configure_logging(settings)
    added = asyncio.run(_seed(settings))
    print(f"knowledge base: {added} generated articles added")  # noqa: T201 - CLI output
    return 0
