"""What credentials are worth right now: each user's state, cached per API process.

An access token is signed for 15 minutes, but its user may be disabled, deleted or signed
out before then. Every request therefore checks the token against its user's current state:
active or not, the token generation (bumped on disable, new password and sign-out
everywhere), the scopes the user still holds, and the sessions revoked lately (sign-out).
The state is read from the database and cached for `auth_state_cache_s`; the revocation bus
drops an entry the moment any process changes it, so the cache costs no staleness while
the bus is listening, and is bypassed while it is not.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from server.core.refreshing_cache import RefreshingCache
from server.core.security.revocation import EVERYTHING, RevocationBus
from server.database import refresh_token_repository, user_repository
from server.database.base import utcnow
from server.database.session import Database
from server.services.users import effective_scopes

_MAX_ENTRIES = 10_000
# A state used in the last quarter of its life is reloaded in the background.
REFRESH_AHEAD_SHARE = 0.25


@dataclass(frozen=True, slots=True, eq=False)
class UserState:
    """A user as credentials see it. Compared by identity: a new object means news."""

    generation: int
    scopes: frozenset[str]
    revoked_sessions: frozenset[str]


UNKNOWN = UserState(generation=-1, scopes=frozenset(), revoked_sessions=frozenset())
"""What `UserStates.cached` answers when it has nothing to trust."""


class UserStates:
    """user id -> `UserState` (None: no active user has that id), cached while trusted.

    Concurrent requests of one user share one lookup, and a user who keeps calling has
    the state reloaded in the background before it expires (`RefreshingCache`)."""

    def __init__(
        self,
        database: Database,
        bus: RevocationBus,
        *,
        ttl_s: float,
        session_window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._session_window = timedelta(seconds=session_window_s)
        self._cache: RefreshingCache[str, UserState | None] = RefreshingCache(
            self._load,
            ttl_s=ttl_s,
            refresh_ahead_s=ttl_s * REFRESH_AHEAD_SHARE,
            max_entries=_MAX_ENTRIES,
            trusted=lambda: bus.listening,
            clock=clock,
        )

    def cached(self, user_id: str) -> UserState | None:
        """The cached state, or `UNKNOWN` when there is none to trust (no lookup is made)."""
        found, state = self._cache.peek(user_id)
        return state if found else UNKNOWN

    async def get(self, user_id: str) -> UserState | None:
        """The user's current state; None when no active user has this id.

        May raise `OSError` or `SQLAlchemyError` when the database cannot be reached.
        """
        return await self._cache.get(user_id)

    def invalidate(self, message: str) -> None:
        """Drop what `message` (a revocation bus message) makes stale."""
        kind, _, subject = message.partition(":")
        if message == EVERYTHING:
            self._cache.invalidate()
        elif kind == "user":
            self._cache.invalidate(lambda user_id, _: user_id == subject)

    async def aclose(self) -> None:
        await self._cache.aclose()

    async def _load(self, user_id: str) -> UserState | None:
        try:
            key = uuid.UUID(user_id)
        except ValueError:
            return None  # a subject that cannot be a user id
        async with self._database.session() as session:
            user = await user_repository.get_user(session, key)
            if user is None or not user.is_active:
                return None
            revoked = await refresh_token_repository.families_revoked_since(
                session, key, utcnow() - self._session_window
            )
            return UserState(
                generation=user.token_generation,
                scopes=effective_scopes(user),
                revoked_sessions=frozenset(str(family) for family in revoked),
            )
