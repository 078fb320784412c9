"""A work-around for Celery 5.7.0 + kombu 5.7.0 killing a worker after a broker reconnect.

When the consumer reconnects (Redis restarted), the prefork pool registers its processes
with the event loop again (`AsynPool.register_with_event_loop` ->
`_track_child_process`). A process that exited meanwhile (one cancelled on the connection
loss, `worker_cancel_long_running_tasks_on_connection_loss`) was already untracked, its
sentinel set to None, but may not be reaped from the pool yet. Registering None used to
fail with an AttributeError that Celery's `iterate_file_descriptors_safely` ignores;
kombu 5.7.0's `fileno(None)` raises `ValueError('file descriptor is None')` instead, which
it does not catch: the consumer dies with "Unrecoverable error" (observed in one of two
Redis-restart runs). Both are the latest releases; until Celery catches that error, an
untracked process is skipped here: the pool's `maintain_pool` timer reaps and replaces it.
"""

from typing import Any

from celery.concurrency.asynpool import AsynPool

_track_child_process = AsynPool._track_child_process  # type: ignore[attr-defined]


def _track_live_child_process(pool: AsynPool, proc: Any, hub: Any) -> None:
    if getattr(proc, "_sentinel_poll", 0) is None:  # exited and untracked: nothing to watch
        return
    _track_child_process(pool, proc, hub)


def install() -> None:
    """Patch the prefork pool (idempotent; the worker's main process calls it at import)."""
    AsynPool._track_child_process = _track_live_child_process  # type: ignore[attr-defined]
