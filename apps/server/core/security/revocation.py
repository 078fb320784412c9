"""Telling every API process at once that credentials were revoked.

API processes cache what they learned about credentials (a user's token generation, an API
key's verdict). When a user is disabled, deleted or signed out, or a key is revoked, the
process that did it publishes a message on the revocation bus (a `Broadcast`, see
core/broadcast.py) and every process drops its cached entries at once:

    user:<uuid>   anything cached about this user (its state, its API keys' verdicts)
    key:<uuid>    the cached verdict of this API key
    *             everything (sent to this process's own handlers on (re)subscribing,
                  since messages published meanwhile were missed)

A process trusts its caches only while the bus is `listening`; otherwise it checks the
database on every request.
"""

from server.core.broadcast import EVERYTHING, Broadcast, build_broadcast

__all__ = ["EVERYTHING", "RevocationBus", "build_revocation_bus", "key_message", "user_message"]

RevocationBus = Broadcast


def user_message(user_id: object) -> str:
    return f"user:{user_id}"


def key_message(key_id: object) -> str:
    return f"key:{key_id}"


def build_revocation_bus(redis_url: str | None, channel: str) -> RevocationBus:
    """Redis pub/sub when a URL is given (every API process hears it), else in memory."""
    return build_broadcast(redis_url, channel)
