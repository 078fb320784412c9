"""Every ORM model, imported here so Alembic's autogenerate and `alembic check` see them."""

from server.database.base import Base

__all__ = ["Base"]
