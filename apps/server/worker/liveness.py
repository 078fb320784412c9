"""A worker's liveness: is its consumer still taking work? If not, exit for a fresh one.

Celery stops a worker whose consumer hit an unrecoverable error ("Unrecoverable error:
...") with a warm shutdown, and that shutdown can hang (observed after a Redis restart: the
prefork pool waiting on a process cancelled at the connection loss), leaving a main
process that answers its metrics port and consumes nothing. `ConsumerGuard` watches the
worker from a thread of the main process: once the worker stops with a failure status
while no one asked it to stop (SIGTERM, SIGINT), liveness fails at once and, if the
process is still there `grace_s` later, it ends with status 1, so that its supervisor
(Kubernetes, compose's restart policy, `make dev`) starts a fresh one.

`GET /livez` on the worker's metrics port answers 200 while the consumer runs (also while
it reconnects to a broker that is down: a new process would not do better), 503 after.
"""

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import structlog

log = structlog.get_logger(__name__)

LIVENESS_PATH = "/livez"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ConsumerGuard:
    def __init__(
        self,
        grace_s: float,
        *,
        interval_s: float = 0.5,
        exit_process: Callable[[int], object] = os._exit,
    ) -> None:
        self.grace_s, self.interval_s = grace_s, interval_s
        self._exit = exit_process
        self._worker: Any = None
        self._shutdown_requested = False
        self._died_at: float | None = None

    @property
    def alive(self) -> bool:
        return self._died_at is None

    def attach(self, worker: Any) -> None:
        """Watch `worker` (Celery's WorkController) from a daemon thread."""
        self._worker = worker
        threading.Thread(target=self._watch, name="consumer-guard", daemon=True).start()

    def shutdown_requested(self) -> None:
        """A stop that was asked for is no death: let it take its time."""
        self._shutdown_requested = True

    def check(self) -> None:
        worker = self._worker
        if worker is None or self._shutdown_requested:
            return
        if self._died_at is None and worker.exitcode not in (None, 0):
            self._died_at = time.monotonic()
            log.error("worker.consumer_stopped", exitcode=worker.exitcode)
        if self._died_at is not None and time.monotonic() - self._died_at >= self.grace_s:
            log.critical("worker.exiting", reason="consumer stopped", after_s=self.grace_s)
            _kill_pool_processes(worker)
            self._exit(1)

    def _watch(self) -> None:
        while True:
            self.check()
            time.sleep(self.interval_s)


def _kill_pool_processes(worker: Any) -> None:
    """Take the prefork pool's processes along, since no shutdown will stop them now."""
    processes = getattr(getattr(getattr(worker, "pool", None), "_pool", None), "_pool", None)
    for process in processes or []:
        pid = getattr(process, "pid", None)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue  # already gone


def with_liveness(app: WSGIApp, alive: Callable[[], bool]) -> WSGIApp:
    """`app` (the metrics) plus `GET /livez`, answering whether the consumer is alive."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != LIVENESS_PATH:
            return app(environ, start_response)
        ok = alive()
        status = "200 OK" if ok else "503 Service Unavailable"
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [b"consumer running\n" if ok else b"consumer stopped\n"]

    return serve
