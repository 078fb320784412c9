"""The serving stack of the benchmark: a fresh PostgreSQL database, Redis database 14
flushed, migrations, a trained champion, a Celery worker and the API, all local processes.

Every process is started in its own session, so that stopping it (SIGTERM, then SIGKILL of
that session) also reaches its children: uvicorn's workers, Celery's pool processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis
from sqlalchemy import make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from server.config import SERVER_DIR

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class StackConfig:
    postgres_admin_url: str  # postgresql+asyncpg://...; databases are created next to it
    redis_url: str  # redis://host:port/<db>: that database is flushed
    api_workers: int
    worker_concurrency: int
    worker_queues: str
    train_rows: int
    state_dir: Path
    extra_env: Mapping[str, str] = field(default_factory=dict)
    worker_env: Mapping[str, str] = field(default_factory=dict)
    """Variables of the worker alone (over `extra_env`)."""


@dataclass
class Stack:
    """What the running stack offers to the benchmark."""

    base_url: str
    worker_metrics_url: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]]
    logs: dict[str, Path]
    train_output: str = ""

    def pids(self) -> dict[str, int]:
        """Session ids of the long-running processes (the id of the process we started)."""
        return {name: process.pid for name, process in self.processes.items()}


class StackError(RuntimeError):
    """The stack did not come up; the message names the step and ends with its log tail."""


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


async def _admin(admin_url: str, statement: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new database `bench_<random>` next to `admin_url`'s; dropped on the way out."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    except (OSError, SQLAlchemyError) as exc:
        where = make_url(admin_url).render_as_string(hide_password=True)
        raise StackError(f"cannot create a database on {where}: {exc}") from exc
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def flushed_redis(url: str) -> Iterator[str]:
    """Redis database `url` names, empty before and after; other databases are untouched."""
    if not redis_db_number(url):
        raise StackError(f"refusing to flush Redis database 0; name another one in {url!r}")
    client = redis.Redis.from_url(url)
    try:
        try:
            client.flushdb()
        except redis.RedisError as exc:
            raise StackError(f"cannot flush Redis at {url}: {exc}") from exc
        yield url
    finally:
        with contextlib.suppress(redis.RedisError):
            client.flushdb()
        client.close()


def base_env() -> dict[str, str]:
    """This process's environment, with the server package importable."""
    return {**os.environ, "PYTHONPATH": str(SERVER_DIR.parent)}


def redis_db_number(url: str) -> int:
    """The database number of a redis:// URL (0 when it names none)."""
    path = url.rsplit("/", 1)[-1] if url.count("/") >= 3 else ""
    return int(path) if path.isdigit() else 0


def run_step(name: str, args: list[str], env: dict[str, str], log: Path, timeout_s: float) -> str:
    """Run `python -m server <args>` to completion; its output, or StackError."""
    with log.open("wb") as out:
        try:
            done = subprocess.run(  # noqa: S603 - our interpreter, our module
                [sys.executable, "-m", "server", *args],
                env=env,
                cwd=SERVER_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise StackError(f"{name} took over {timeout_s:.0f} s\n{_tail(log)}") from exc
    if done.returncode != 0:
        raise StackError(f"{name} exited with {done.returncode}\n{_tail(log)}")
    return log.read_text("utf-8", "replace")


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m server <args>` in a session of its own."""
    return start_python(["-m", "server", *args], env, log)


def start_python(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Our interpreter with `args`, in its own session, output to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our interpreter, arguments we built
            [sys.executable, *args],
            env=env,
            cwd=SERVER_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    """SIGTERM (warm shutdown), then SIGKILL to the session of the process we started."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout_s)
    # Children left behind (a pool process, a uvicorn worker) share the session id.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def wait_ready(stack: Stack, timeout_s: float) -> None:
    """Until the API is ready with the champion loaded by a live worker; StackError if a
    process exits or the time runs out."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        for name, process in stack.processes.items():
            if process.poll() is not None:
                raise StackError(
                    f"{name} exited with {process.returncode}\n{_tail(stack.logs[name])}"
                )
        try:
            response = httpx.get(f"{stack.base_url}/readiness", timeout=5)
            # Ready to measure: the API is ready and a live worker has the champion loaded.
            model = response.json().get("dependencies", {}).get("model", {})
            if response.status_code == 200 and model.get("status") == "ok":
                return
            last = f"{response.status_code} {response.text[:300]}"
        except httpx.TransportError as exc:
            last = type(exc).__name__
        time.sleep(0.5)
    logs = "\n".join(f"--- {n}\n{_tail(p)}" for n, p in stack.logs.items())
    raise StackError(f"not ready with the model loaded in {timeout_s:.0f} s: {last}\n{logs}")


@contextlib.contextmanager
def serving_stack(config: StackConfig, ready_timeout_s: float = 120) -> Iterator[Stack]:
    """Database, Redis, migrations, a champion, the worker and the API; all gone after."""
    state = config.state_dir
    logs_dir = state / "logs"
    logs_dir.mkdir(parents=True, exist_ok=True)
    with fresh_database(config.postgres_admin_url) as database_url, flushed_redis(config.redis_url):
        port, metrics_port = free_port(), free_port()
        env = {
            **base_env(),
            # Production's settings and behaviour (its garbage collector tuning, HSTS, the
            # quota failing closed), with the edge settings production insists on.
            "APP_ENV": "production",
            "APP_TRUSTED_HOSTS": LOOPBACK,
            "APP_CORS_ORIGINS": "https://console.bench.invalid",
            # Warnings only: the access log line of every request is not measured.
            "APP_LOG_LEVEL": "WARNING",
            "APP_HOST": LOOPBACK,
            "APP_PORT": str(port),
            "APP_WORKERS": str(config.api_workers),
            "APP_WORKER_CONCURRENCY": str(config.worker_concurrency),
            "APP_DATABASE_URL": database_url,
            "APP_REDIS_URL": config.redis_url,
            "APP_ARTIFACT_ROOT": str(state / "artifacts"),
            "APP_METRICS_MULTIPROC_DIR": str(state / "metrics"),
            "APP_EMBEDDED_BROKER_DIR": str(state / "broker"),
            "APP_BEAT_SCHEDULE_PATH": str(state / "celerybeat-schedule"),
            "APP_WORKER_METRICS_PORT": str(metrics_port),
            # A fresh signing key per run; the load client gets a token signed with it. The
            # per-caller rate limiter stays on (its Redis round trip is part of the cost)
            # with a quota no benchmark reaches.
            "APP_JWT_SECRET": secrets.token_hex(32),
            "APP_RATE_LIMIT_REQUESTS": "1000000000",
            **config.extra_env,
        }
        run_step("migrate", ["migrate"], env, logs_dir / "migrate.log", 120)
        train_args = ["train", "--promote", "--rows", str(config.train_rows)]
        trained = run_step("train", train_args, env, logs_dir / "train.log", 900)
        stack = Stack(
            base_url=f"http://{LOOPBACK}:{port}",
            worker_metrics_url=f"http://{LOOPBACK}:{metrics_port}/metrics",
            env=env,
            processes={},
            logs={"worker": logs_dir / "worker.log", "api": logs_dir / "api.log"},
            train_output=trained,
        )
        try:
            worker_args = ["worker", "--queues", config.worker_queues]
            worker_args += ["--concurrency", str(config.worker_concurrency)]
            worker_env = {**env, **config.worker_env}
            stack.processes["worker"] = _start(worker_args, worker_env, stack.logs["worker"])
            stack.processes["api"] = _start(["api"], env, stack.logs["api"])
            wait_ready(stack, ready_timeout_s)
            yield stack
        finally:
            # The API first: nothing new is published while the worker drains.
            for name in ("api", "worker"):
                if name in stack.processes:
                    stop(stack.processes[name])


@contextlib.contextmanager
def floor_server(state_dir: Path, timeout_s: float = 60) -> Iterator[Stack]:
    """The bare FastAPI app (`floor_app.py`) under one uvicorn worker; stopped after."""
    port = free_port()
    log = state_dir / "floor.log"
    env = base_env()
    args = ["-m", "uvicorn", "server.scripts.bench.floor_app:app", "--host", LOOPBACK]
    args += ["--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"]
    process = start_python(args, env, log)
    floor = Stack(f"http://{LOOPBACK}:{port}", "", env, {"floor": process}, {"floor": log})
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise StackError(f"the floor app exited with {process.returncode}\n{_tail(log)}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(floor.base_url + "/", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise StackError(f"the floor app did not answer in {timeout_s:.0f} s")
            time.sleep(0.2)
        yield floor
    finally:
        stop(process)
