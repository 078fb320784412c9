"""The prompt registry on PostgreSQL and SQLite: versions by digest, aliases, the canary
pick (sticky per routing key), rollback and the audit log."""

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from server.agents.llm.drafting import BUILTIN_PROMPT
from server.core.errors import ConflictError, UnprocessableError
from server.database.registry_models import AliasAction
from server.services.assistant import prompts
from server.services.assistant.prompts import PromptRegistry
from server.services.traffic import bucket_of

KEYS = [f"user-{number}" for number in range(400)]


def spec(system_prompt: str) -> dict[str, Any]:
    return {**BUILTIN_PROMPT.model_dump(mode="json"), "system_prompt": system_prompt}


async def register(session: AsyncSession, system_prompt: str) -> int:
    row, _ = await prompts.register_version(
        session, spec(system_prompt), description="", actor="pytest"
    )
    return row.version


async def point(session: AsyncSession, alias: str, version: int) -> None:
    """Move an alias without the promotion gate (tested through the API)."""
    target = await prompts.require_version(session, version)
    await prompts.move_alias(
        session, alias, target, action=AliasAction.set, actor="pytest", reason=f"to v{version}"
    )


async def test_versions_count_up_and_the_same_content_answers_its_version(
    db_session: AsyncSession,
) -> None:
    first, created = await prompts.register_version(
        db_session, spec("one"), description="first", actor="pytest"
    )
    second, _ = await prompts.register_version(
        db_session, spec("two"), description="", actor="pytest"
    )
    again, created_again = await prompts.register_version(
        db_session, spec("one"), description="the same content", actor="someone else"
    )
    assert (first.version, second.version) == (1, 2)
    assert created
    assert not created_again
    assert again.version == 1
    assert again.description == "first"
    assert first.digest == BUILTIN_PROMPT.model_copy(update={"system_prompt": "one"}).digest()
    rows, _ = await prompts.describe_versions(db_session)
    assert [row.version for row in rows] == [1, 2]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"system_prompt": ""}, "system_prompt"),
        ({"temperature": 5}, "temperature"),
        ({"surprise": True}, "surprise"),
        ({"tool_descriptions": {"classify_ticket": "only one"}}, "missing: earlier_tickets"),
        ({"tool_descriptions": {**BUILTIN_PROMPT.tool_descriptions, "rm": "x"}}, "unknown: rm"),
    ],
)
async def test_an_invalid_spec_is_refused_with_its_reason(
    db_session: AsyncSession, change: dict[str, Any], expected: str
) -> None:
    with pytest.raises(UnprocessableError, match=expected):
        await prompts.register_version(
            db_session, {**spec("x"), **change}, description="", actor="pytest"
        )


async def test_without_a_champion_drafts_run_under_the_builtin_prompt(
    db_session: AsyncSession,
) -> None:
    await register(db_session, "registered, not promoted")
    assert await PromptRegistry().pick(db_session, "anyone") == ("builtin", BUILTIN_PROMPT)


async def test_the_canary_share_of_keys_meets_the_challenger_and_each_key_sticks(
    db_session: AsyncSession,
) -> None:
    champion, challenger = await register(db_session, "champ"), await register(db_session, "new")
    await point(db_session, "champion", champion)
    await point(db_session, "challenger", challenger)
    registry = PromptRegistry()

    async def labels() -> dict[str, str]:
        return {key: (await registry.pick(db_session, key))[0] for key in KEYS}

    assert set((await labels()).values()) == {"v1"}  # no canary share yet
    await prompts.set_canary(db_session, 30, actor="pytest")
    picked = await labels()
    to_challenger = {key for key, label in picked.items() if label == "v2"}
    assert to_challenger == {key for key in KEYS if bucket_of(key) < 30}
    assert 0.2 < len(to_challenger) / len(KEYS) < 0.4
    assert await labels() == picked  # sticky: the same key meets the same version
    label, served = await registry.pick(db_session, next(iter(to_challenger)))
    assert (label, served.system_prompt) == ("v2", "new")
    await prompts.set_canary(db_session, 60, actor="pytest")
    widened = {key for key, label in (await labels()).items() if label == "v2"}
    assert to_challenger < widened  # raising the weight only moves more keys
    await prompts.set_canary(db_session, 100, actor="pytest")
    assert set((await labels()).values()) == {"v2"}
    canary = await prompts.describe_canary(db_session)
    assert (canary.champion, canary.challenger, canary.challenger_weight) == (1, 2, 100)


async def test_a_canary_share_needs_a_challenger(db_session: AsyncSession) -> None:
    await point(db_session, "champion", await register(db_session, "champ"))
    with pytest.raises(UnprocessableError, match="no challenger"):
        await prompts.set_canary(db_session, 10, actor="pytest")
    assert (await prompts.set_canary(db_session, 0, actor="pytest")).challenger_weight == 0


async def test_rollback_goes_back_a_version_at_a_time_and_every_move_is_audited(
    db_session: AsyncSession,
) -> None:
    for text in ("one", "two", "three"):
        await point(db_session, "champion", await register(db_session, text))
    assert await prompts.rollback_alias(
        db_session, "champion", actor="ops", reason="replies got long"
    ) == (3, 2)
    assert (await PromptRegistry().pick(db_session, "k"))[0] == "v2"
    assert await prompts.rollback_alias(db_session, "champion", actor="ops", reason="again") == (
        2,
        1,
    )
    with pytest.raises(ConflictError, match="no previous version"):
        await prompts.rollback_alias(db_session, "champion", actor="ops", reason="once more")
    with pytest.raises(ConflictError, match="no previous version"):
        await prompts.rollback_alias(db_session, "challenger", actor="ops", reason="none")
    log = [
        (event.action, event.from_version, event.to_version, event.actor)
        for event in await prompts.audit_log(db_session)
    ]
    assert log == [
        (AliasAction.set, None, 1, "pytest"),
        (AliasAction.set, 1, 2, "pytest"),
        (AliasAction.set, 2, 3, "pytest"),
        (AliasAction.rollback, 3, 2, "ops"),
        (AliasAction.rollback, 2, 1, "ops"),
    ]


async def test_setting_the_challenger_again_is_no_move(db_session: AsyncSession) -> None:
    version = await register(db_session, "c")
    assert await prompts.set_challenger(db_session, version, actor="a", reason="r") is None
    assert await prompts.set_challenger(db_session, version, actor="a", reason="r") == version
    assert len(await prompts.audit_log(db_session)) == 1
