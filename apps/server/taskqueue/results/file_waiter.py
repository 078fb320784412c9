"""`FileResultWaiter`: results of Celery's `file://` backend, polled."""

import asyncio
from pathlib import Path

from server.core.errors import ServiceUnavailableError
from server.taskqueue.results.base import TASK_KEY_PREFIX, ResultWaiter, _stop, log


class FileResultWaiter(ResultWaiter):
    """Polls Celery's `file://` result folder (the embedded broker of `make dev`).

    One poller task, running only while something is awaited, tries each pending id's file
    every `poll_s`. Files are read on the event loop: a result is a few KiB in the page
    cache, read in microseconds, less than a hop to a thread would cost.
    """

    def __init__(self, results_dir: Path, *, poll_s: float, id_prefix: str = "") -> None:
        super().__init__(id_prefix)
        self._dir = results_dir
        self._poll_s = poll_s
        self._poller: asyncio.Task[None] | None = None

    def _path(self, task_id: str) -> Path:
        # Celery's FilesystemBackend joins the folder and the key with the OS separator.
        return self._dir / f"{TASK_KEY_PREFIX}{task_id}"

    def _start(self) -> None:
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="results-poller")

    async def _fetch(self, task_id: str) -> bytes | None:
        try:
            return self._path(task_id).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.error("results.unreadable", task_id=task_id, error=type(exc).__name__)
            raise ServiceUnavailableError("The result store is unreadable.") from exc

    def _forget(self, task_id: str) -> None:
        self._path(task_id).unlink(missing_ok=True)

    async def _poll(self) -> None:
        while self._pending:
            for task_id in list(self._pending):
                try:
                    raw = await self._fetch(task_id)
                except ServiceUnavailableError as exc:
                    self._fail_pending(exc)  # the folder itself is unreadable
                    break
                if raw is not None:
                    self._offer(task_id, raw)
            await asyncio.sleep(self._poll_s)

    async def aclose(self) -> None:
        """Stop polling; pending waits fail with ServiceUnavailableError."""
        await super().aclose()
        if self._poller is not None:
            await _stop(self._poller)
