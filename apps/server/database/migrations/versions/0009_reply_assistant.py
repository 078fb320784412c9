"""The reply assistant: knowledge-base articles with full-text search.

PostgreSQL searches a GIN expression index over the English text vector of title and body;
SQLite an FTS5 table with external content, filled and kept in step by triggers.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 08:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE kb_articles_fts USING fts5(title, body, content='kb_articles', "
    "content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER kb_articles_fts_insert AFTER INSERT ON kb_articles BEGIN "
    "INSERT INTO kb_articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER kb_articles_fts_delete AFTER DELETE ON kb_articles BEGIN "
    "INSERT INTO kb_articles_fts(kb_articles_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER kb_articles_fts_update AFTER UPDATE ON kb_articles BEGIN "
    "INSERT INTO kb_articles_fts(kb_articles_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO kb_articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)
POSTGRES_SEARCH = (
    "CREATE INDEX ix_kb_articles_search ON kb_articles "
    "USING gin (to_tsvector('english', title || ' ' || body))",
)


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_articles")),
        sa.UniqueConstraint("slug", name=op.f("uq_kb_articles_slug")),
    )
    op.create_index("ix_kb_articles_category", "kb_articles", ["category"])
    search = SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else POSTGRES_SEARCH
    for statement in search:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE kb_articles_fts")  # its triggers go with kb_articles
    else:
        op.execute("DROP INDEX ix_kb_articles_search")
    op.drop_index("ix_kb_articles_category", table_name="kb_articles")
    op.drop_table("kb_articles")
