"""Model registry use cases: register versions, move aliases, roll back, archive.

Aliases are movable pointers (MLflow-style): `champion` serves traffic, `challenger` gets
the canary or shadow share. A version is `active` while an alias points at it, a
`candidate` otherwise, and `archived` once retired (it can no longer be aliased). Every
alias move is appended to the audit log with who, when, from, to and why; rollback replays
that log to find the version the alias held before its last move.
"""

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.errors import ConflictError, NotFoundError
from server.database import registry_repository as repo
from server.database.registry_models import (
    AliasAction,
    AliasEvent,
    MLModel,
    ModelAlias,
    ModelVersion,
    VersionStatus,
)

CHAMPION = "champion"
CHALLENGER = "challenger"


async def require_model(session: AsyncSession, name: str) -> MLModel:
    model = await repo.get_model(session, name)
    if model is None:
        raise NotFoundError(f"There is no model named '{name}'.")
    return model


async def require_version(session: AsyncSession, model: MLModel, version: int) -> ModelVersion:
    found = await repo.get_version(session, model, version)
    if found is None:
        raise NotFoundError(f"Model '{model.name}' has no version {version}.")
    return found


async def reserve_version_number(session: AsyncSession, model_name: str) -> int:
    """The number the next registered version of `model_name` will get."""
    model = await repo.get_or_create_model(session, model_name)
    number = await repo.next_version_number(session, model)
    await session.commit()
    return number


async def register_version(
    session: AsyncSession,
    *,
    model_name: str,
    version: int,
    artifact_uri: str,
    sha256: str,
    metrics: dict[str, Any],
    manifest: dict[str, Any],
    created_by: str,
) -> ModelVersion:
    """Record a packaged, gate-passing version as a candidate."""
    model = await repo.get_or_create_model(session, model_name)
    row = ModelVersion(
        model_id=model.id,
        version=version,
        status=VersionStatus.candidate,
        artifact_uri=artifact_uri,
        sha256=sha256,
        metrics=metrics,
        manifest=manifest,
        created_by=created_by,
    )
    repo.add_version(session, row)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise ConflictError(f"Model '{model_name}' already has a version {version}.") from exc
    return row


async def _sync_statuses(session: AsyncSession, model: MLModel) -> None:
    aliased = set((await repo.list_aliases(session, model)).values())
    for row in await repo.list_versions(session, model):
        if row.status is VersionStatus.archived:
            continue
        row.status = VersionStatus.active if row.version in aliased else VersionStatus.candidate


async def _move_alias(
    session: AsyncSession,
    model: MLModel,
    alias: str,
    target: ModelVersion,
    *,
    action: AliasAction,
    actor: str,
    reason: str,
) -> int | None:
    if target.status is VersionStatus.archived:
        raise ConflictError(
            f"Version {target.version} of '{model.name}' is archived and cannot be '{alias}'."
        )
    pointer = await repo.get_alias_for_update(session, model, alias)
    previous = None
    if pointer is None:
        repo.add_alias(session, ModelAlias(model_id=model.id, alias=alias, version_id=target.id))
    else:
        previous = (await repo.load_version_by_id(session, pointer.version_id)).version
        pointer.version_id = target.id
    repo.add_alias_event(
        session,
        AliasEvent(
            model_id=model.id,
            alias=alias,
            action=action,
            from_version=previous,
            to_version=target.version,
            actor=actor,
            reason=reason,
        ),
    )
    await session.flush()
    await _sync_statuses(session, model)
    await session.commit()
    return previous


async def set_alias(
    session: AsyncSession, model_name: str, alias: str, version: int, *, actor: str, reason: str
) -> int | None:
    """Point `alias` at `version`; returns the version it pointed at before, if any."""
    model = await require_model(session, model_name)
    target = await require_version(session, model, version)
    current = (await repo.list_aliases(session, model)).get(alias)
    if current == version:
        return current  # idempotent: no move, no audit entry
    return await _move_alias(
        session, model, alias, target, action=AliasAction.set, actor=actor, reason=reason
    )


class AliasMoveRecord(Protocol):
    """One audited move of an alias (of a model's or a prompt's)."""

    @property
    def action(self) -> AliasAction: ...

    @property
    def to_version(self) -> int | None: ...


def alias_holders(history: Sequence[AliasMoveRecord]) -> list[int]:
    """The stack of versions an alias has held: a set pushes, a rollback pops. The version
    a rollback goes back to is the one under the top."""
    stack: list[int] = []
    for event in history:
        if event.action is AliasAction.set and event.to_version is not None:
            stack.append(event.to_version)
        elif event.action is AliasAction.rollback and stack:
            stack.pop()
    return stack


async def rollback_alias(
    session: AsyncSession, model_name: str, *, actor: str, reason: str, alias: str = CHAMPION
) -> tuple[int, int]:
    """Move `alias` back to the version it held before its last move: (from, to)."""
    model = await require_model(session, model_name)
    stack = alias_holders(await repo.alias_history(session, model, alias))
    if len(stack) < 2:
        raise ConflictError(f"'{alias}' of '{model_name}' has no previous version to go back to.")
    current, previous = stack[-1], stack[-2]
    target = await require_version(session, model, previous)
    await _move_alias(
        session, model, alias, target, action=AliasAction.rollback, actor=actor, reason=reason
    )
    return current, previous


async def archive_version(session: AsyncSession, model_name: str, version: int) -> ModelVersion:
    model = await require_model(session, model_name)
    target = await require_version(session, model, version)
    holders = [a for a, v in (await repo.list_aliases(session, model)).items() if v == version]
    if holders:
        raise ConflictError(
            f"Version {version} is '{', '.join(sorted(holders))}'; move the alias first."
        )
    target.status = VersionStatus.archived
    await session.commit()
    return target


async def describe_models(
    session: AsyncSession,
) -> list[tuple[MLModel, dict[str, int], int | None]]:
    """Every model with its aliases and latest version number."""
    described = []
    for model in await repo.list_models(session):
        latest = await repo.next_version_number(session, model) - 1
        described.append((model, await repo.list_aliases(session, model), latest or None))
    return described


async def describe_versions(
    session: AsyncSession, model_name: str
) -> tuple[Sequence[ModelVersion], dict[str, int]]:
    model = await require_model(session, model_name)
    return await repo.list_versions(session, model), await repo.list_aliases(session, model)


async def describe_version(
    session: AsyncSession, model_name: str, version: int
) -> tuple[ModelVersion, dict[str, int]]:
    model = await require_model(session, model_name)
    return await require_version(session, model, version), await repo.list_aliases(session, model)


async def alias_audit_log(session: AsyncSession, model_name: str) -> Sequence[AliasEvent]:
    return await repo.audit_log(session, await require_model(session, model_name))


async def served_versions(session: AsyncSession, model_name: str) -> dict[str, tuple[int, str]]:
    """Alias -> (version, manifest sha256) for every alias of `model_name` (none if unknown)."""
    model = await repo.get_model(session, model_name)
    if model is None:
        return {}
    served = {}
    for alias, number in (await repo.list_aliases(session, model)).items():
        row = await repo.get_version(session, model, number)
        if row is not None:
            served[alias] = (row.version, row.sha256)
    return served


async def champion_version(session: AsyncSession, model_name: str) -> ModelVersion | None:
    """The version serving traffic, or None before the first promotion."""
    model = await repo.get_model(session, model_name)
    if model is None:
        return None
    number = (await repo.list_aliases(session, model)).get(CHAMPION)
    return None if number is None else await repo.get_version(session, model, number)
