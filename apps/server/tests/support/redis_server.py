"""A Redis server of the test's own, on a free port, that the test may kill and restart.

Tests that take Redis away (outages, the chaos suite) run their own `redis-server`, never the
shared one: killing it touches nothing else. It keeps no data on disk (no RDB, no AOF), so a
restart comes back empty, as a Redis pod without persistence does.
"""

import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from server.tests.support.live_server import free_port
from server.tests.support.processes import wait_for

REDIS_SERVER = shutil.which("redis-server")
"""The binary, or None where it is not installed (tests that need it skip or fail)."""

START_BUDGET_S = 30.0


class RedisServer:
    """`redis-server` on `port` (a free one by default), its working files in `directory`."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory, self.port = directory, port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - a fixed system binary
            [
                REDIS_SERVER,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self.answers, self.process, f"redis-server on port {self.port}", START_BUDGET_S)

    def answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye to its clients (a crashed or evicted pod)."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def _end(self, stop_signal: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(stop_signal)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def redis_server(directory: Path) -> Iterator[RedisServer]:
    """A started `RedisServer`; stopped on exit, however the test ended."""
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
