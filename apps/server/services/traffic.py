"""Champion/challenger routing: sticky canary split and shadow sampling.

A routing key (the user id, or `X-Routing-Key`) is hashed into one of 100 buckets; buckets
below the challenger's weight go to the challenger. The same key therefore always meets
the same version while the policy stands, and raising the weight only moves more buckets.
"""

import asyncio
import hashlib
import time
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

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
    """Store the policy and apply it in this process now (others within the plan TTL)."""
    await set_policy(
        session,
        model_name,
        challenger_weight=body.challenger_weight,
        shadow_sample=body.shadow_sample,
        actor=actor,
    )
    plans.invalidate()
    return await describe_policy(session, model_name)


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
    one after `invalidate()`, is awaited.
    """

    def __init__(self, database: Database, model_name: str, ttl_s: float) -> None:
        self.database, self.model_name, self.ttl_s = database, model_name, ttl_s
        self._plan: ServingPlan | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None

    async def _reload(self) -> None:
        plan = await load_plan(self.database, self.model_name)
        self._plan, self._loaded_at = plan, time.monotonic()

    async def get(self) -> ServingPlan:
        if self._plan is None:
            async with self._lock:
                if self._plan is None:
                    await self._reload()
        elif time.monotonic() - self._loaded_at > self.ttl_s and self._refresh is None:
            self._refresh = asyncio.get_running_loop().create_task(self._background_reload())
        assert self._plan is not None  # noqa: S101 - loaded above
        return self._plan

    async def _background_reload(self) -> None:
        try:
            await self._reload()
        except Exception:  # keep serving the plan we have; the next request tries again
            log.warning("traffic.plan_reload_failed", exc_info=True)
        finally:
            self._refresh = None

    def invalidate(self) -> None:
        self._plan = None

    async def aclose(self) -> None:
        if self._refresh is not None:
            await self._refresh
