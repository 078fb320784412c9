"""A real Celery worker process (`python -m server worker`) for integration tests."""

import asyncio
import os
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from server.config import Settings
from server.taskqueue.heartbeat import heartbeat_max_age, heartbeat_store
from server.tests.support.processes import answers, group_members, server_process, wait_for

REDIS_TEST_URL_ENV = "APP_TEST_REDIS_URL"


def xdist_worker_index() -> int:
    """0 outside pytest-xdist, N in its worker `gwN`."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name.removeprefix("gw"))


def redis_test_url() -> str | None:
    """The test Redis of this process: tests flush it, so each xdist worker has its own.

    Worker `gwN` (and a run without xdist, as `gw0`) uses database `D - N` (counting down,
    since Redis has databases 0-15 and CI names the last), where `D` is the database of
    `APP_TEST_REDIS_URL`: with `-n 2` and `/15`, databases 15 and 14.
    """
    url = os.environ.get(REDIS_TEST_URL_ENV) or None
    index = xdist_worker_index()
    if url is None or index == 0:
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) - index
    assert database >= 0, f"{url}: too few Redis databases below it for {index + 1} workers"
    return urlunsplit(parts._replace(path=f"/{database}"))


def beating(env: dict[str, str], leader: int) -> Callable[[], bool]:
    """Whether a process of the worker that `leader` leads has a fresh heartbeat."""
    fields = {
        key.removeprefix("APP_").lower(): value
        for key, value in env.items()
        if key.removeprefix("APP_").lower() in Settings.model_fields
    }
    settings = Settings.model_validate(fields)
    store, max_age = heartbeat_store(settings), heartbeat_max_age(settings)

    def check() -> bool:
        # In a thread of its own: the caller may be a test already running an event loop.
        with ThreadPoolExecutor(1) as thread:
            beats = thread.submit(asyncio.run, store.read_fresh(max_age)).result()
        members = set(group_members(leader))
        return any(beat.pid in members for beat in beats)

    return check


@contextmanager
def celery_worker(
    env: dict[str, str],
    queues: str,
    pool: str = "prefork",
    output: Path | None = None,
    wait: bool = True,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a worker with `APP_*` variables from `env`; stop it with a warm shutdown.

    With `APP_WORKER_METRICS_PORT` in `env`, it waits until the worker serves its metrics
    (its liveness probe, up once the worker has initialized) and one of its processes has
    announced itself (the API sends no prediction to a worker it has not heard of), so
    tests' own time budgets measure work, not start-up; `wait=False` returns at once (to
    start other processes meanwhile).
    """
    args = ["worker", "--queues", queues, "--pool", pool]
    with server_process(args, env, output=output) as process:
        port = env.get("APP_WORKER_METRICS_PORT")
        if port and wait:
            wait_for(answers(f"http://127.0.0.1:{port}/metrics"), process, f"worker {queues}")
            wait_for(beating(env, process.pid), process, f"worker {queues}'s heartbeat")
        yield process
