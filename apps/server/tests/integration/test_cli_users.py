"""`python -m server create-user`, as `make superuser` and `make dev` run it."""

from pathlib import Path

import pytest

from server.cli.main import main
from server.tests.support.databases import provision_database


@pytest.fixture
def database_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with provision_database("sqlite", tmp_path, with_admin=False) as database:
        monkeypatch.setenv("APP_DATABASE_URL", database.settings.database_url)
    monkeypatch.setenv("APP_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("APP_ARGON2_TIME_COST", "1")


@pytest.mark.usefixtures("database_env")
def test_a_superuser_with_a_password_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_NEW_USER_PASSWORD", "Correct-Horse-Battery-9")
    assert main(["create-user", "--email", "Root@Example.com", "--superuser"]) == 0
    assert "created root@example.com (superuser)" in capsys.readouterr().out
    assert main(["create-user", "--email", "root@example.com", "--superuser"]) == 1
    assert "already exists" in capsys.readouterr().err


@pytest.mark.usefixtures("database_env")
def test_make_dev_generates_an_admin_only_once(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "create-user",
        "--email",
        "admin@example.com",
        "--superuser",
        "--if-no-users",
        "--generate-password",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "password (shown once): " in out
    assert main(args) == 0
    assert "users exist; nothing to do" in capsys.readouterr().out


@pytest.mark.usefixtures("database_env")
def test_a_weak_password_is_refused_with_the_policy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_NEW_USER_PASSWORD", "weak")
    assert main(["create-user", "--email", "u@example.com", "--scopes", "predict"]) == 1
    assert "at least 12 characters" in capsys.readouterr().err
