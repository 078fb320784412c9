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

from server.core.security.revocation import EVERYTHING, RevocationBus
from server.database import refresh_token_repository, user_repository
from server.database.base import utcnow
from server.database.session import Database
from server.services.users import effective_scopes

_MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True, eq=False)
class UserState:
    """A user as credentials see it. Compared by identity: a new object means news."""

    generation: int
    scopes: frozenset[str]
    revoked_sessions: frozenset[str]


UNKNOWN = UserState(generation=-1, scopes=frozenset(), revoked_sessions=frozenset())
"""What `UserStates.cached` answers when it has nothing to trust."""


class UserStates:
    """user id -> `UserState` (None: no active user has that id), cached while trusted."""

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
        self._bus = bus
        self._ttl_s = ttl_s
        self._session_window = timedelta(seconds=session_window_s)
        self._clock = clock
        self._entries: dict[str, tuple[float, UserState | None]] = {}
        self._epoch = 0  # counts invalidations: a load that raced one is not cached

    def cached(self, user_id: str) -> UserState | None:
        """The cached state, or `UNKNOWN` when there is none to trust (no lookup is made)."""
        entry = self._entries.get(user_id)
        if entry is None or entry[0] <= self._clock() or not self._bus.listening:
            return UNKNOWN
        return entry[1]

    async def get(self, user_id: str) -> UserState | None:
        """The user's current state; None when no active user has this id.

        May raise `OSError` or `SQLAlchemyError` when the database cannot be reached.
        """
        cached = self.cached(user_id)
        if cached is not UNKNOWN:
            return cached
        epoch = self._epoch
        state = await self._load(user_id)
        if epoch == self._epoch and self._bus.listening:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[user_id] = (self._clock() + self._ttl_s, state)
        return state

    def invalidate(self, message: str) -> None:
        """Drop what `message` (a revocation bus message) makes stale."""
        self._epoch += 1
        kind, _, subject = message.partition(":")
        if message == EVERYTHING:
            self._entries.clear()
        elif kind == "user":
            self._entries.pop(subject, None)

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
