"""Champion/challenger routing: sticky canary split and shadow sampling.

A routing key (the user id, or `X-Routing-Key`) is hashed into one of 100 buckets; buckets
below the challenger's weight go to the challenger. The same key therefore always meets
the same version while the policy stands, and raising the weight only moves more buckets.

Each API process caches the serving plan (`PlanCache`). Every change to it (an alias moved
by a promotion or a rollback, a new traffic policy) is announced on the plan bus, a
`Broadcast` on Redis pub/sub: every API process drops its plan at once, and its next
prediction reads the new one. Without Redis (the embedded default, one API process) the bus
is in memory. The plan's time-to-live stays as the fallback for missed messages.
"""

import asyncio
import hashlib
import time
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Settings
from server.core.broadcast import EVERYTHING, Broadcast, build_broadcast
from server.core.errors import UnprocessableError
from server.database import traffic_repository as repo
from server.database.serving_models import TrafficPolicy
from server.database.session import Database
from server.schemas.predictions import TrafficPolicyIn, TrafficPolicyOut
from server.services import registry

BUCKETS = 100
log = structlog.get_logger(__name__)


def bucket_of(routing_key: str) -> int:
    digest = hashlib.sha256(routing_key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


@dataclass(frozen=True)
class ServedVersion:
    version: int
    sha256: str


@dataclass(frozen=True)
class ServingPlan:
    """What one model serves right now: the versions behind its aliases and the split."""

    model_name: str
    champion: ServedVersion | None
    challenger: ServedVersion | None
    challenger_weight: int
    shadow_sample: float

    def route(self, routing_key: str) -> ServedVersion | None:
        """The version that answers this key (None: nothing is promoted yet)."""
        if self.challenger is not None and bucket_of(routing_key) < self.challenger_weight:
            return self.challenger
        return self.champion

    def shadow_for(self, answered: ServedVersion, draw: float) -> ServedVersion | None:
        """The challenger, when champion traffic is sampled for shadow scoring."""
        if self.challenger is None or answered != self.champion:
            return None
        return self.challenger if draw < self.shadow_sample else None


async def get_policy(session: AsyncSession, model_name: str) -> TrafficPolicy:
    """The stored policy, or the default (everything to the champion, no shadow)."""
    policy = await repo.get_policy(session, model_name)
    return policy or TrafficPolicy(
        model_name=model_name, challenger_weight=0, shadow_sample=0.0, updated_by="default"
    )


async def set_policy(
    session: AsyncSession,
    model_name: str,
    *,
    challenger_weight: int,
    shadow_sample: float,
    actor: str,
) -> TrafficPolicy:
    await registry.require_model(session, model_name)
    served = await registry.served_versions(session, model_name)
    if (challenger_weight or shadow_sample) and "challenger" not in served:
        raise UnprocessableError(
            f"'{model_name}' has no challenger; point the alias at a version first."
        )
    policy = await repo.get_policy(session, model_name)
    if policy is None:
        policy = TrafficPolicy(model_name=model_name, updated_by=actor)
        repo.add_policy(session, policy)
    policy.challenger_weight, policy.shadow_sample = challenger_weight, shadow_sample
    policy.updated_by = actor
    await session.commit()
    return policy


async def describe_policy(session: AsyncSession, model_name: str) -> TrafficPolicyOut:
    """The model's policy with the versions it routes between; 404 for an unknown model."""
    await registry.require_model(session, model_name)
    policy = await get_policy(session, model_name)
    served = await registry.served_versions(session, model_name)
    return TrafficPolicyOut(
        model=model_name,
        champion=served[registry.CHAMPION][0] if registry.CHAMPION in served else None,
        challenger=served[registry.CHALLENGER][0] if registry.CHALLENGER in served else None,
        challenger_weight=policy.challenger_weight,
        shadow_sample=policy.shadow_sample,
        updated_by=policy.updated_by,
    )


async def update_policy(
    session: AsyncSession, plans: "PlanCache", model_name: str, body: TrafficPolicyIn, actor: str
) -> TrafficPolicyOut:
    """Store the policy and apply it in every API process now."""
    await set_policy(
        session,
        model_name,
        challenger_weight=body.challenger_weight,
        shadow_sample=body.shadow_sample,
        actor=actor,
    )
    await plans.announce_change(model_name)
    return await describe_policy(session, model_name)


async def move_alias(
    session: AsyncSession,
    plans: "PlanCache",
    model_name: str,
    alias: str,
    version: int,
    *,
    actor: str,
    reason: str,
) -> int | None:
    """Promote: point `alias` at `version`, served by every API process from its next
    prediction on; returns the version it pointed at before, if any."""
    previous = await registry.set_alias(
        session, model_name, alias, version, actor=actor, reason=reason
    )
    await plans.announce_change(model_name)
    return previous


async def roll_back_alias(
    session: AsyncSession,
    plans: "PlanCache",
    model_name: str,
    alias: str,
    *,
    actor: str,
    reason: str,
) -> tuple[int, int]:
    """Move `alias` back to its previous version in every API process now: (from, to)."""
    moved = await registry.rollback_alias(
        session, model_name, actor=actor, reason=reason, alias=alias
    )
    await plans.announce_change(model_name)
    return moved


def plan_channel(settings: Settings) -> str:
    """The pub/sub channel on which serving-plan changes are announced."""
    return f"{settings.app_name}:serving-plans"


def build_plan_bus(settings: Settings) -> Broadcast:
    """Redis pub/sub when Redis is configured (every API process hears it), else in memory."""
    return build_broadcast(settings.redis_url, plan_channel(settings))


async def announce_plan_change(settings: Settings, model_name: str) -> None:
    """Announce a change made outside an API process (a training run promoting its model)."""
    bus = build_plan_bus(settings)
    try:
        await bus.publish(model_name)
    finally:
        await bus.aclose()


async def load_plan(database: Database, model_name: str) -> ServingPlan:
    async with database.session() as session:
        served = await registry.served_versions(session, model_name)
        policy = await get_policy(session, model_name)
    champion, challenger = served.get("champion"), served.get("challenger")
    return ServingPlan(
        model_name=model_name,
        champion=ServedVersion(*champion) if champion else None,
        challenger=ServedVersion(*challenger) if challenger else None,
        challenger_weight=policy.challenger_weight,
        shadow_sample=policy.shadow_sample,
    )


class PlanCache:
    """The serving plan, reloaded at most every `ttl_s`: predictions do not query it each.

    One reload at a time, in the background, while requests keep the plan they have:
    without this, every request in flight when the TTL expires queried the database at
    once (measured: a latency spike every TTL under load). Only the very first load, or
    one after `invalidate()`, is awaited. A change announced on `bus` (by any process)
    invalidates the plan, so the TTL only bounds how long a missed message goes unnoticed.
    """

    def __init__(self, database: Database, model_name: str, ttl_s: float, bus: Broadcast) -> None:
        self.database, self.model_name, self.ttl_s, self.bus = database, model_name, ttl_s, bus
        self._plan: ServingPlan | None = None
        self._loaded_at = 0.0
        # Counts invalidations: a reload that began before one must not store its stale plan.
        self._generation = 0
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None
        bus.subscribe(self._on_change)

    async def announce_change(self, model_name: str) -> None:
        """Tell every API process (this one before returning) that the plan changed."""
        await self.bus.publish(model_name)

    def _on_change(self, message: str) -> None:
        if message in (EVERYTHING, self.model_name):
            self.invalidate()

    async def _reload(self) -> None:
        generation = self._generation
        plan = await load_plan(self.database, self.model_name)
        if generation == self._generation:
            self._plan, self._loaded_at = plan, time.monotonic()

    async def get(self) -> ServingPlan:
        while self._plan is None:  # again if invalidated while loading
            async with self._lock:
                if self._plan is None:
                    await self._reload()
        if time.monotonic() - self._loaded_at > self.ttl_s and self._refresh is None:
            self._refresh = asyncio.get_running_loop().create_task(self._background_reload())
        return self._plan

    async def _background_reload(self) -> None:
        try:
            await self._reload()
        except Exception:  # keep serving the plan we have; the next request tries again
            log.warning("traffic.plan_reload_failed", exc_info=True)
        finally:
            self._refresh = None

    def invalidate(self) -> None:
        self._plan, self._generation = None, self._generation + 1

    async def aclose(self) -> None:
        if self._refresh is not None:
            await self._refresh
