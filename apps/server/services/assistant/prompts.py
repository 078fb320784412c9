"""Prompt versions of the reply assistant, registered and moved like classifier versions.

A version is a validated `PromptSpec` (system prompt, tool descriptions, model parameters),
numbered in order of registration and identified by its digest: registering the same
content again answers the version that has it. The `champion` alias is what drafts run
under, the `challenger` gets the canary share of routing keys; every alias move is audited,
and rollback moves an alias back to the version it held before (the classifier registry's
rules, `registry.alias_holders`). Promotion to champion passes the evaluation gate first
(`prompt_promotion`).
"""

from collections.abc import Sequence
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.llm.drafting import BUILTIN_PROMPT, TOOL_NAMES, PromptSpec
from server.core.errors import (
    ConflictError,
    NotFoundError,
    UnprocessableError,
    describe_validation_errors,
)
from server.database import prompt_repository as repo
from server.database.prompt_models import (
    PromptAlias,
    PromptAliasEvent,
    PromptTraffic,
    PromptVersion,
)
from server.database.registry_models import AliasAction
from server.schemas.prompts import PromptCanaryOut
from server.services.registry import CHALLENGER, CHAMPION, alias_holders
from server.services.traffic import bucket_of

BUILTIN_LABEL = "builtin"

log = structlog.get_logger(__name__)


def label_of(version: int) -> str:
    """The name drafts, metrics and reports give a registered prompt version."""
    return f"v{version}"


def parse_spec(spec: dict[str, Any]) -> PromptSpec:
    """The spec as a `PromptSpec` describing exactly the assistant's tools; 422 if not."""
    try:
        parsed = PromptSpec.model_validate(spec)
    except ValidationError as exc:
        problems, errors = describe_validation_errors(exc.errors())
        raise UnprocessableError(
            f"The prompt spec is invalid: {problems}.", extra={"errors": errors}
        ) from exc
    described, known = set(parsed.tool_descriptions), set(TOOL_NAMES)
    if described != known:
        raise UnprocessableError(
            "The prompt spec must describe exactly the tools "
            f"{', '.join(sorted(known))}; missing: {', '.join(sorted(known - described)) or '-'}"
            f", unknown: {', '.join(sorted(described - known)) or '-'}."
        )
    return parsed


def spec_of(row: PromptVersion) -> PromptSpec:
    """A stored version's spec (validated when it was registered)."""
    return PromptSpec.model_validate(row.spec)


async def register_version(
    session: AsyncSession, spec: dict[str, Any], *, description: str, actor: str
) -> tuple[PromptVersion, bool]:
    """Register `spec` as the next version: (the version, whether it is new). The same
    content registered again answers the existing version."""
    parsed = parse_spec(spec)
    digest = parsed.digest()
    existing = await repo.get_by_digest(session, digest)
    if existing is not None:
        return existing, False
    row = PromptVersion(
        version=await repo.next_version_number(session),
        digest=digest,
        spec=parsed.model_dump(mode="json"),
        description=description,
        created_by=actor,
    )
    repo.add(session, row)
    try:
        await session.commit()
    except IntegrityError as exc:  # a concurrent registration took the number or the digest
        await session.rollback()
        existing = await repo.get_by_digest(session, digest)
        if existing is None:
            raise ConflictError("Another prompt version was registered at once; retry.") from exc
        return existing, False
    return row, True


async def require_version(session: AsyncSession, version: int) -> PromptVersion:
    found = await repo.get_version(session, version)
    if found is None:
        raise NotFoundError(f"There is no prompt version {version}.")
    return found


async def describe_versions(
    session: AsyncSession,
) -> tuple[Sequence[PromptVersion], dict[str, int]]:
    return await repo.list_versions(session), await repo.list_aliases(session)


async def describe_version(
    session: AsyncSession, version: int
) -> tuple[PromptVersion, dict[str, int]]:
    return await require_version(session, version), await repo.list_aliases(session)


async def champion_version(session: AsyncSession) -> PromptVersion | None:
    """The version drafts run under, or None while the builtin prompt does."""
    return (await repo.aliased_versions(session)).get(CHAMPION)


async def move_alias(
    session: AsyncSession,
    alias: str,
    target: PromptVersion,
    *,
    action: AliasAction,
    actor: str,
    reason: str,
) -> int | None:
    """Point `alias` at `target` and audit the move; the version it held before, if any."""
    pointer = await repo.get_alias_for_update(session, alias)
    previous = None
    if pointer is None:
        repo.add(session, PromptAlias(alias=alias, version_id=target.id))
    else:
        previous = (await repo.load_version_by_id(session, pointer.version_id)).version
        pointer.version_id = target.id
    repo.add(
        session,
        PromptAliasEvent(
            alias=alias,
            action=action,
            from_version=previous,
            to_version=target.version,
            actor=actor,
            reason=reason,
        ),
    )
    await session.commit()
    log.info(
        "prompts.alias_moved",
        alias=alias,
        action=action.value,
        from_version=previous,
        to_version=target.version,
        actor=actor,
    )
    return previous


async def set_challenger(
    session: AsyncSession, version: int, *, actor: str, reason: str
) -> int | None:
    """Point `challenger` at `version` (no gate: the canary is its live test)."""
    target = await require_version(session, version)
    current = (await repo.list_aliases(session)).get(CHALLENGER)
    if current == version:
        return current  # idempotent: no move, no audit entry
    return await move_alias(
        session, CHALLENGER, target, action=AliasAction.set, actor=actor, reason=reason
    )


async def rollback_alias(
    session: AsyncSession, alias: str, *, actor: str, reason: str
) -> tuple[int, int]:
    """Move `alias` back to the version it held before its last move: (from, to)."""
    stack = alias_holders(await repo.alias_history(session, alias))
    if len(stack) < 2:
        raise ConflictError(f"The prompt '{alias}' has no previous version to go back to.")
    current, previous = stack[-1], stack[-2]
    target = await require_version(session, previous)
    await move_alias(
        session, alias, target, action=AliasAction.rollback, actor=actor, reason=reason
    )
    return current, previous


async def audit_log(session: AsyncSession) -> Sequence[PromptAliasEvent]:
    return await repo.audit_log(session)


async def get_canary(session: AsyncSession) -> PromptTraffic:
    """The stored split, or the default (every draft under the champion)."""
    traffic = await repo.get_traffic(session)
    return traffic or PromptTraffic(id=1, challenger_weight=0, updated_by="default")


async def set_canary(session: AsyncSession, challenger_weight: int, *, actor: str) -> PromptTraffic:
    """Send `challenger_weight` percent of routing keys to the challenger."""
    if challenger_weight and CHALLENGER not in await repo.list_aliases(session):
        raise UnprocessableError(
            "There is no challenger prompt; point the alias at a version first."
        )
    traffic = await repo.get_traffic(session)
    if traffic is None:
        traffic = PromptTraffic(id=1, updated_by=actor)
        repo.add_traffic(session, traffic)
    traffic.challenger_weight, traffic.updated_by = challenger_weight, actor
    await session.commit()
    return traffic


async def describe_canary(session: AsyncSession) -> PromptCanaryOut:
    """The split with the versions it routes between."""
    traffic = await get_canary(session)
    aliases = await repo.list_aliases(session)
    return PromptCanaryOut(
        champion=aliases.get(CHAMPION),
        challenger=aliases.get(CHALLENGER),
        challenger_weight=traffic.challenger_weight,
        updated_by=traffic.updated_by,
    )


class PromptRegistry:
    """The prompt each draft runs under (`PromptSource` of the drafting service).

    Read per draft, not cached like the classifier's serving plan: a draft is seconds of
    model calls, one indexed read beside them is nothing, and a promotion or rollback then
    applies to the next draft of every process without a broadcast.
    """

    async def pick(self, session: AsyncSession, routing_key: str) -> tuple[str, PromptSpec]:
        """(label, spec): the challenger for the routing key's canary share, else the
        champion; the builtin prompt while no version is champion. Sticky per key: the
        same key meets the same version while the split stands."""
        aliased = await repo.aliased_versions(session)
        challenger = aliased.get(CHALLENGER)
        if challenger is not None:
            weight = (await get_canary(session)).challenger_weight
            if bucket_of(routing_key) < weight:
                return label_of(challenger.version), spec_of(challenger)
        champion = aliased.get(CHAMPION)
        if champion is None:
            return BUILTIN_LABEL, BUILTIN_PROMPT
        return label_of(champion.version), spec_of(champion)
