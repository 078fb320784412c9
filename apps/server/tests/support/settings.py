"""Settings for tests: local, cheap to hash with, overridable per test."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.config import Settings

SettingsFactory = Callable[..., Settings]
"""What the `make_settings` fixture is: keyword overrides in, `Settings` out."""

CHEAP_HASHING: dict[str, Any] = {"argon2_time_cost": 1, "argon2_memory_kib": 1024}
"""Tests check the password policy, not argon2's cost."""


def settings_for_url(database_url: str, **overrides: Any) -> Settings:
    """Test settings (`env=test`, JSON logs, cheap hashing) on `database_url`."""
    values: dict[str, Any] = {
        "env": "test",
        "database_url": database_url,
        "log_json": True,
        **CHEAP_HASHING,
    }
    return Settings(_env_file=None, **{**values, **overrides})


def settings_factory(root: Path) -> SettingsFactory:
    """Settings with every file (SQLite database, broker, artifacts) under `root`."""

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": f"sqlite+aiosqlite:///{root / 'default.db'}",
            "embedded_broker_dir": root / "broker",
            "artifact_root": root / "artifacts",
            **overrides,
        }
        return settings_for_url(**values)

    return factory
