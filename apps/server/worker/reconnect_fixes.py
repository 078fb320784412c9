"""Work-arounds for Celery 5.7.0 + kombu 5.7.0 killing a worker around a broker reconnect.

Both end in "Unrecoverable error" and a worker that consumes nothing (issue 13, item 10);
both releases are the latest. The tests in tests/unit/worker/test_reconnect_fixes.py fail
once an upgrade fixes a fault: drop its patch then.

1. When the consumer reconnects (Redis restarted), the prefork pool registers its processes
with the event loop again (`AsynPool.register_with_event_loop` ->
`_track_child_process`). A process that exited meanwhile (one cancelled on the connection
loss, `worker_cancel_long_running_tasks_on_connection_loss`) was already untracked, its
sentinel set to None, but may not be reaped from the pool yet. Registering None used to
fail with an AttributeError that Celery's `iterate_file_descriptors_safely` ignores;
kombu 5.7.0's `fileno(None)` raises `ValueError('file descriptor is None')` instead, which
it does not catch (observed in one of two Redis-restart runs). An untracked process is
skipped here: the pool's `maintain_pool` timer reaps and replaces it.

2. On a connection loss the consumer first `collect()`s the connection, which detaches the
transport from it (`transport.client = None`), then closes it again. If a channel was left
open, closing it restores its unacknowledged messages through a new Redis client built
from `transport.client`: `AttributeError: 'NoneType' object has no attribute 'hostname'`,
which the close does not ignore (seen in the Redis-restart test). With no connection left,
that restore is skipped, as it fails anyway while Redis is down: Redis delivers those
messages again after the visibility timeout.
"""

from typing import Any

from celery.concurrency.asynpool import AsynPool
from kombu.transport import redis as redis_transport

_track_child_process = AsynPool._track_child_process  # type: ignore[attr-defined]


def _track_live_child_process(pool: AsynPool, proc: Any, hub: Any) -> None:
    if getattr(proc, "_sentinel_poll", 0) is None:  # exited and untracked: nothing to watch
        return
    _track_child_process(pool, proc, hub)


_restore_unacked = redis_transport.QoS.restore_unacked


def _restore_unacked_while_connected(qos: Any, client: Any = None) -> None:
    if client is None and getattr(qos.channel.connection, "client", None) is None:
        return  # the connection was collected: no client can be built to restore with
    _restore_unacked(qos, client)


def install() -> None:
    """Patch both (idempotent; the worker's main process calls it at import)."""
    AsynPool._track_child_process = _track_live_child_process  # type: ignore[attr-defined]
    redis_transport.QoS.restore_unacked = _restore_unacked_while_connected  # type: ignore[method-assign,assignment]
