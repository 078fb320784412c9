"""A thread that runs while a `with` block does: the chaos load and the readiness probe."""

import threading
from types import TracebackType
from typing import Self


class Background:
    """Runs `_run` in a daemon thread from `__enter__` until `stop` (or the block's end);
    `_run` polls `self._stop` and returns once it is set."""

    join_timeout_s = 10.0

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Ask the thread to end and wait for it (bounded by `join_timeout_s`)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.join_timeout_s)

    def _run(self) -> None:
        raise NotImplementedError
