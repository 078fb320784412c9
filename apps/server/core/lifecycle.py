"""This API process's own lifecycle, as readiness reports it: started, draining.

Readiness must turn false the moment the process is asked to stop, while it still serves:
load balancers (a Kubernetes Service, an ingress, compose's proxy) take a pod out only after
they see it not ready, and uvicorn stops accepting connections as soon as it handles
SIGTERM. With a drain delay, SIGTERM first marks the process draining (readiness 503) and
hands the signal to the server's own handler only after the delay; uvicorn's graceful
shutdown (in-flight requests, `graceful_shutdown_s`) then runs as before. Further SIGTERMs
during the drain change nothing (with several workers the supervisor forwards the first one
and later sends its own); SIGINT, which is not delayed, stops at once.
"""

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType

import structlog

log = structlog.get_logger(__name__)


def _nothing() -> None:
    return None


class Lifecycle:
    """Whether this process finished starting and whether it is draining."""

    def __init__(self) -> None:
        self.started = False
        self.draining = False

    def problem(self) -> str | None:
        """Why this process should get no traffic now; None when it should."""
        if self.draining:
            return "draining: the process is shutting down"
        if not self.started:
            return "starting: the process has not finished starting"
        return None

    def drain_on_sigterm(self, delay_s: float) -> Callable[[], None]:
        """Delay the server's SIGTERM handling by `delay_s`, marking the process draining at
        once; returns what restores the server's handler.

        Only where a server installed a handler (uvicorn does, in its main thread): in a test
        client or with no delay, nothing changes.
        """
        if delay_s <= 0 or threading.current_thread() is not threading.main_thread():
            return _nothing
        server_handler = signal.getsignal(signal.SIGTERM)
        if not callable(server_handler):
            return _nothing
        loop = asyncio.get_running_loop()

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            if self.draining:  # already on its way out, on time
                return
            self.draining = True
            log.info("app.draining", delay_s=delay_s)
            loop.call_soon_threadsafe(loop.call_later, delay_s, server_handler, signum, None)

        signal.signal(signal.SIGTERM, on_sigterm)

        def restore() -> None:
            if signal.getsignal(signal.SIGTERM) is on_sigterm:
                signal.signal(signal.SIGTERM, server_handler)

        return restore
