"""Settings: defaults, parsing, secrets files and every production refusal."""

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from server.agents.pipeline.run import RunConfig
from server.cli.settings_table import render_settings_table
from server.config import (
    DEFAULT_JWT_SECRET,
    SECTIONS,
    DriftConfig,
    Environment,
    GateConfig,
    QualityConfig,
    Settings,
    TrainingConfig,
)
from server.config.renamed import RENAMED

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


def test_the_agents_configs_are_set_by_nested_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_TRAINING__SEED", "7")
    monkeypatch.setenv("APP_TRAINING__NGRAM_MAX", "1")
    monkeypatch.setenv("APP_GATES__MIN_MACRO_F1", "0.85")
    monkeypatch.setenv("APP_DRIFT__MIN_WINDOW", "300")
    monkeypatch.setenv("APP_QUALITY__SEGMENT_LENGTH_EDGES", "[50, 150]")
    settings = make()
    assert settings.training == TrainingConfig(seed=7, ngram_max=1)
    assert settings.gates == GateConfig(min_macro_f1=0.85)
    assert settings.drift == DriftConfig(min_window=300)
    assert settings.quality == QualityConfig(segment_length_edges=(50, 150))


def test_a_whole_group_is_accepted_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_GATES", '{"min_macro_f1": 0.85, "champion_margin": 0.02}')
    assert make().gates == GateConfig(min_macro_f1=0.85, champion_margin=0.02)


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("APP_GATES__MIN_MACRO_F1", "1.5", "gates.min_macro_f1"),
        ("APP_TRAINING__HOLDOUT_FRACTION", "0.5", "training.holdout_fraction"),
        ("APP_DRIFT__P_VALUE", "0", "drift.p_value"),
        ("APP_QUALITY__CONFIDENCE_LEVEL", "0.4", "quality.confidence_level"),
        ("APP_TRAINING__EPOCHS", "3", "training.epochs"),
    ],
)
def test_nested_values_out_of_bounds_or_unknown_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=named.replace(".", r"\.")):
        make()


def test_the_agents_get_the_settings_groups_themselves() -> None:
    settings = make(training=TrainingConfig(seed=3), gates=GateConfig(min_macro_f1=0.5))
    config = RunConfig.from_settings(settings)
    assert config.training is settings.training
    assert config.gates is settings.gates


def test_a_renamed_variable_is_refused_with_its_new_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_GATE_MIN_MACRO_F1", "0.85")
    with pytest.raises(SettingsError, match="APP_GATE_MIN_MACRO_F1 is now APP_GATES__MIN_MACRO_F1"):
        make()


def test_a_renamed_variable_in_the_env_file_is_refused(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("APP_TRAIN_SEED=3\n")
    with pytest.raises(SettingsError, match="APP_TRAIN_SEED is now APP_TRAINING__SEED"):
        Settings(_env_file=env_file)


def test_every_renamed_variable_names_a_current_setting() -> None:
    table = render_settings_table()
    for old, new in RENAMED.items():
        assert f"| `{new}` |" in table
        assert f"| `{old}` |" not in table


def test_every_nested_setting_is_documented() -> None:
    for group in (TrainingConfig, GateConfig, DriftConfig, QualityConfig):
        assert [name for name, f in group.model_fields.items() if not f.description] == []
