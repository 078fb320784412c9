"""Settings: defaults, parsing, secrets files and every production refusal."""

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from server.config import DEFAULT_JWT_SECRET, SECTIONS, Environment, Settings

STRONG_SECRET = "3f9c1a7e5b2d8046" * 3  # 16 distinct characters: 192 bits by its frequencies
SAFE_PRODUCTION: dict[str, Any] = {
    "env": "production",
    "jwt_secret": STRONG_SECRET,
    "cors_origins": ["https://triage.example.com"],
    "trusted_hosts": ["triage.example.com"],
    "debug": False,
    "database_url": "postgresql+asyncpg://app@db/app",
    "redis_url": "redis://redis:6379/0",
}


def make(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_defaults_serve_a_laptop() -> None:
    settings = make()
    assert settings.env is Environment.development
    assert settings.is_sqlite
    assert settings.json_logs is False
    assert settings.max_body_bytes == 1024 * 1024


def test_environment_variables_use_the_app_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_PORT", "9001")
    monkeypatch.setenv("APP_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = make()
    assert settings.port == 9001
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_cors_origins_accept_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_CORS_ORIGINS", '["https://a.example"]')
    assert make().cors_origins == ["https://a.example"]


def test_secrets_are_read_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "jwt_secret").write_text(STRONG_SECRET)
    monkeypatch.setenv("APP_SECRETS_DIR", str(tmp_path))
    assert make().jwt_secret.get_secret_value() == STRONG_SECRET


def test_environment_wins_over_secret_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "jwt_secret").write_text("from-file" * 8)
    monkeypatch.setenv("APP_SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("APP_JWT_SECRET", "from-env" * 8)
    assert make().jwt_secret.get_secret_value() == "from-env" * 8


def test_json_logs_default_to_production_only() -> None:
    assert make(**SAFE_PRODUCTION).json_logs is True
    assert make(log_json=True).json_logs is True


def test_safe_production_settings_start() -> None:
    assert make(**SAFE_PRODUCTION).env is Environment.production


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"jwt_secret": DEFAULT_JWT_SECRET}, "APP_JWT_SECRET is the default"),
        ({"jwt_secret": "changethis"}, "APP_JWT_SECRET is the default"),
        ({"jwt_secret": "s" * 31}, "APP_JWT_SECRET is shorter than 32 bytes"),
        ({"cors_origins": ["*"]}, "APP_CORS_ORIGINS contains '*'"),
        ({"debug": True}, "APP_DEBUG is on"),
        ({"database_url": "sqlite+aiosqlite:///app.db"}, "APP_DATABASE_URL is SQLite"),
        ({"redis_url": None}, "APP_REDIS_URL is unset"),
    ],
)
def test_production_refuses_unsafe_settings(override: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        make(**(SAFE_PRODUCTION | override))


def test_production_names_every_unsafe_setting_at_once() -> None:
    with pytest.raises(ValidationError) as error:
        make(env="production")
    message = str(error.value)
    for setting in ("APP_JWT_SECRET", "APP_DATABASE_URL"):
        assert setting in message


def test_unsafe_values_are_allowed_outside_production() -> None:
    settings = make(env="test", debug=True, cors_origins=["*"])
    assert settings.debug is True


def test_every_setting_belongs_to_exactly_one_section() -> None:
    names = [name for section in SECTIONS for name in section.model_fields]
    assert len(names) == len(set(names))
    assert set(names) == set(Settings.model_fields)
