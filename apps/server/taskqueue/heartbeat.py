"""Worker heartbeats: which model versions each worker process has loaded, and since when.

The API's readiness asks whether any live worker process has the champion loaded. Beats
live in Redis (a key per process, with a TTL) in production and in files under the
embedded broker's folder in `make dev`; both are read the same way.
"""

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Protocol

import redis
import redis.asyncio as aioredis
from pydantic import BaseModel

from server.config import Settings


class Heartbeat(BaseModel):
    hostname: str
    pid: int
    models: dict[str, list[int]]
    at: float  # epoch seconds


class HeartbeatStore(Protocol):
    def write(self, beat: Heartbeat) -> None:
        """Record a beat (called from a worker process's heartbeat thread)."""

    async def read_fresh(self, max_age_s: float) -> list[Heartbeat]:
        """Every beat younger than `max_age_s`."""


class RedisHeartbeats:
    def __init__(self, url: str, prefix: str, ttl_s: float) -> None:
        self.url, self.prefix, self.ttl_s = url, f"{prefix}:heartbeat:", ttl_s

    def write(self, beat: Heartbeat) -> None:
        client = redis.Redis.from_url(self.url, socket_timeout=2)
        try:
            key = f"{self.prefix}{beat.hostname}:{beat.pid}"
            client.set(key, beat.model_dump_json(), ex=max(int(self.ttl_s), 1))
        finally:
            client.close()

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

    def write(self, beat: Heartbeat) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{beat.hostname}-{beat.pid}.json"
        partial = target.with_suffix(".tmp")
        partial.write_text(beat.model_dump_json())
        os.replace(partial, target)  # readers never see half a beat

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


def heartbeat_store(settings: Settings) -> HeartbeatStore:
    ttl = settings.worker_heartbeat_s * 3
    if settings.redis_url:
        return RedisHeartbeats(settings.redis_url, settings.app_name, ttl)
    return FileHeartbeats(settings.embedded_broker_dir / "heartbeats")


def heartbeat_max_age(settings: Settings) -> float:
    """A process that missed two beats in a row counts as gone."""
    return settings.worker_heartbeat_s * 2.5
