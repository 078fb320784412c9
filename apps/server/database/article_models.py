"""Knowledge-base articles: what the reply assistant searches and cites.

Full-text search lives outside the ORM model, in the migration: on PostgreSQL a GIN index
over `to_tsvector('english', title || ' ' || body)`, on SQLite an FTS5 table
(`kb_articles_fts`) kept in step by triggers. The integer primary key is SQLite's rowid,
which the FTS5 table points at (a rowid that is not an `INTEGER PRIMARY KEY` may change on
VACUUM).
"""

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.database.base import Base, TimestampMixin

FTS_TABLE = "kb_articles_fts"
"""SQLite's FTS5 table of the articles; it and its shadow tables (`kb_articles_fts_*`) are
the migration's, not the model's."""

SEARCH_INDEX = "ix_kb_articles_search"
"""PostgreSQL's GIN expression index of the articles' text vector (the migration's)."""


class Article(TimestampMixin, Base):
    __tablename__ = "kb_articles"
    __table_args__ = (Index("ix_kb_articles_category", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
