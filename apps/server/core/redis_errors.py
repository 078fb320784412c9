"""What a call to Redis raises when Redis is unreachable or went away during the call."""

from redis.exceptions import RedisError

REDIS_UNREACHABLE: tuple[type[Exception], ...] = (RedisError, OSError, RuntimeError)
"""Catch these around a Redis call, and only there.

`RuntimeError` is on the list because of uvloop (uvicorn's event loop): writing to a
connection that Redis has just closed raises `RuntimeError('unable to perform operation on
<TCPTransport closed=True ...>; the handler is closed')` instead of a `ConnectionError`, and
redis-py passes it on. Seen while Redis restarted under load: the rate limiter's first
command on a reconnecting pool surfaced as an HTTP 500 instead of a 503.
"""
