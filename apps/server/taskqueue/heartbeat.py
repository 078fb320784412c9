"""Worker heartbeats: which worker processes are alive, what each has loaded or refused.

Each worker process writes a beat every `worker_heartbeat_s` (a cheap presence beat, apart
from the slower model refresh) and removes it when it exits cleanly, so a clean stop is
seen at once and a crash once its beat is older than `heartbeat_max_age` (three beats).
Beats live in Redis (a key per process, expiring with that age) in production and in files
under the embedded broker's folder in `make dev`; both are read the same way.

The API reads them through a `WorkerPresence`, a view cached for `readiness_cache_s`, so
readiness, metrics and every prediction can ask without a round trip each.
"""

import asyncio
import json
import os
import threading
import time
from pathlib import Path
from typing import Protocol

import redis
import redis.asyncio as aioredis
from pydantic import BaseModel, Field

from server.config import Settings
from server.taskqueue.names import INFERENCE, INFERENCE_GPU

SERVING_QUEUES = frozenset({INFERENCE, INFERENCE_GPU})


class Refusal(BaseModel):
    """A version a worker process will not serve, and why (e.g. a digest that differs)."""

    model: str
    version: int
    reason: str


class Heartbeat(BaseModel):
    hostname: str
    pid: int
    models: dict[str, list[int]]
    refused: list[Refusal] = Field(default_factory=list)
    queues: list[str] | None = None  # the queues it consumes; None: not known
    at: float  # epoch seconds

    @property
    def serves_predictions(self) -> bool:
        return self.queues is None or not SERVING_QUEUES.isdisjoint(self.queues)


class HeartbeatStore(Protocol):
    def write(self, beat: Heartbeat) -> None:
        """Record a beat (called from a worker process's heartbeat thread)."""

    def remove(self, hostname: str, pid: int) -> None:
        """Say goodbye: the process is leaving and must not count as alive any more."""

    async def read_fresh(self, max_age_s: float) -> list[Heartbeat]:
        """Every beat younger than `max_age_s`."""


class RedisHeartbeats:
    def __init__(self, url: str, prefix: str, ttl_s: float) -> None:
        self.url, self.prefix, self.ttl_s = url, f"{prefix}:heartbeat:", ttl_s
        self._client: redis.Redis | None = None
        self._lock = threading.Lock()

    def _sync_client(self) -> redis.Redis:
        # One connection pool per writer, kept: a beat every second must not connect anew.
        with self._lock:
            if self._client is None:
                self._client = redis.Redis.from_url(self.url, socket_timeout=2)
            return self._client

    def _key(self, hostname: str, pid: int) -> str:
        return f"{self.prefix}{hostname}:{pid}"

    def write(self, beat: Heartbeat) -> None:
        key = self._key(beat.hostname, beat.pid)
        self._sync_client().set(key, beat.model_dump_json(), px=max(int(self.ttl_s * 1000), 1))

    def remove(self, hostname: str, pid: int) -> None:
        self._sync_client().delete(self._key(hostname, pid))

    async def read_fresh(self, max_age_s: float) -> list[Heartbeat]:
        client = aioredis.Redis.from_url(self.url, socket_timeout=2)
        try:
            keys = [key async for key in client.scan_iter(match=f"{self.prefix}*", count=500)]
            values = await client.mget(keys) if keys else []
        finally:
            await client.aclose()
        beats = [Heartbeat.model_validate_json(v) for v in values if v]
        return [b for b in beats if time.time() - b.at <= max_age_s]


class FileHeartbeats:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, hostname: str, pid: int) -> Path:
        return self.directory / f"{hostname}-{pid}.json"

    def write(self, beat: Heartbeat) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self._path(beat.hostname, beat.pid)
        partial = target.with_suffix(".tmp")
        partial.write_text(beat.model_dump_json())
        os.replace(partial, target)  # readers never see half a beat

    def remove(self, hostname: str, pid: int) -> None:
        self._path(hostname, pid).unlink(missing_ok=True)

    def _read(self, max_age_s: float) -> list[Heartbeat]:
        beats = []
        for file in self.directory.glob("*.json"):
            try:
                beat = Heartbeat.model_validate(json.loads(file.read_text()))
            except (OSError, ValueError):
                continue  # removed or replaced while listing
            if time.time() - beat.at <= max_age_s:
                beats.append(beat)
        return beats

    async def read_fresh(self, max_age_s: float) -> list[Heartbeat]:
        return await asyncio.to_thread(self._read, max_age_s)


def heartbeat_max_age(settings: Settings) -> float:
    """A process that missed three beats in a row counts as gone."""
    return settings.worker_heartbeat_s * 3


def heartbeat_store(settings: Settings) -> HeartbeatStore:
    if settings.redis_url:
        return RedisHeartbeats(settings.redis_url, settings.app_name, heartbeat_max_age(settings))
    return FileHeartbeats(settings.embedded_broker_dir / "heartbeats")
