"""Password hashing (argon2id via pwdlib) and the password policy.

Hashing is CPU-bound (tens of milliseconds by design): callers in async code run these
methods in a thread (argon2 releases the GIL), never on the event loop.
"""

import string

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from server.config import Settings

_CLASSES = (
    set(string.ascii_lowercase),
    set(string.ascii_uppercase),
    set(string.digits),
)


class Passwords:
    """Hash, verify (and upgrade) passwords with the parameters from Settings."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=settings.argon2_time_cost,
                    memory_cost=settings.argon2_memory_kib,
                    parallelism=settings.argon2_parallelism,
                ),
            )
        )
        # Verified against when the account does not exist, so that an unknown e-mail
        # costs as much time as a wrong password.
        self._dummy_hash = self._hasher.hash("not-a-real-password-only-for-timing")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password: str, password_hash: str | None) -> tuple[bool, str | None]:
        """(matches, new hash when the stored one uses outdated parameters)."""
        if password_hash is None:
            self._hasher.verify(password, self._dummy_hash)
            return False, None
        try:
            return self._hasher.verify_and_update(password, password_hash)
        except Exception:
            return False, None


def password_problems(password: str, settings: Settings) -> list[str]:
    """What the policy in Settings finds wrong with `password` (empty: acceptable)."""
    problems: list[str] = []
    if len(password) < settings.password_min_length:
        problems.append(f"at least {settings.password_min_length} characters")
    if len(password) > settings.password_max_length:
        problems.append(f"at most {settings.password_max_length} characters")
    chars = set(password)
    classes = sum(1 for group in _CLASSES if chars & group)
    classes += 1 if any(not c.isascii() or not c.isalnum() for c in chars) else 0
    if classes < settings.password_min_classes:
        problems.append(
            f"characters from at least {settings.password_min_classes} of: lower case, "
            "upper case, digits, other"
        )
    return problems
