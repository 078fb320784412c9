"""Which database failures mean "busy now, try again shortly" rather than a fault.

A busy database is no client's doing and no bug: the API answers 503 with Retry-After
(`errors.py` maps it in one place, on both backends) instead of 500. The failures:

- SQLite: another connection holds the write lock past the busy timeout (`SQLITE_BUSY`), or a
  table is locked (`SQLITE_LOCKED`).
- PostgreSQL: a lock wait or a statement timed out, a serialization failure or a
  deadlock (the transaction lost a race), too many connections or the server not accepting
  any yet.
- Either: every pooled connection is in use past the pool timeout.

Of these, a lost race (serialization failure, deadlock, a stale SQLite snapshot) is safe to
retry at once in a fresh transaction; the others already waited as long as configured.
"""

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

RETRY_AFTER_S = 1
"""What a busy answer tells the client to wait: locks and pools free up within moments."""

_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_SQLITE_BUSY_SNAPSHOT = 517
"""A write on a read snapshot another connection has since changed: retry afresh."""

_POSTGRES_BUSY = {
    "55P03": "a lock wait timed out",
    "57014": "a statement timed out",
    "40001": "a concurrent transaction conflicted",
    "40P01": "a deadlock was broken",
    "53300": "too many database connections",
    "57P03": "the database is not accepting connections yet",
}
_POSTGRES_RACES = {"40001", "40P01"}


def _codes(exc: DBAPIError) -> tuple[int | None, str | None]:
    """(SQLite's extended result code, PostgreSQL's SQLSTATE) of the driver's error."""
    orig = exc.orig
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    sqlstate = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
    return (
        sqlite_code if isinstance(sqlite_code, int) else None,
        sqlstate if isinstance(sqlstate, str) else None,
    )


def busy_reason(exc: BaseException) -> str | None:
    """Why the database could not do the work now, when `exc` means it is busy; else None."""
    if isinstance(exc, PoolTimeoutError):
        return "every database connection is in use"
    if not isinstance(exc, DBAPIError):
        return None
    sqlite_code, sqlstate = _codes(exc)
    if sqlite_code is not None and sqlite_code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return "the database is locked by another writer"
    if sqlstate is not None:
        return _POSTGRES_BUSY.get(sqlstate)
    return None


def lost_a_race(exc: BaseException) -> bool:
    """Whether `exc` ended a transaction that a fresh one may simply try again."""
    if not isinstance(exc, DBAPIError):
        return False
    sqlite_code, sqlstate = _codes(exc)
    return sqlite_code == _SQLITE_BUSY_SNAPSHOT or sqlstate in _POSTGRES_RACES
