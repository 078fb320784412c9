"""`python -m server train`: from an empty registry to a champion, then nothing to do."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.cli.main import main
from server.tests.support.databases import provision_database


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with provision_database("sqlite", tmp_path) as database:
        settings = database.settings
        monkeypatch.setenv("APP_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("APP_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
        monkeypatch.setenv("APP_TRAIN_DEFAULT_ROWS", "3000")
        monkeypatch.setenv("APP_LOG_LEVEL", "WARNING")
        yield


@pytest.mark.usefixtures("environment")
def test_train_promotes_version_one_then_has_nothing_to_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["train", "--promote", "--if-no-champion"]) == 0
    out = capsys.readouterr()
    assert "registered version 1 and promoted to champion" in out.out
    assert "pass  parity" in out.out
    assert "100.0%" in out.err  # the progress bar reached the end

    assert main(["train", "--promote", "--if-no-champion"]) == 0
    assert "champion is version 1; nothing to do" in capsys.readouterr().out


@pytest.mark.usefixtures("environment")
def test_train_on_worse_data_fails_with_exit_code_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["train", "--promote"]) == 0
    assert main(["train", "--promote", "--label-noise", "0.5"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  champion" in out
    assert "failed:" in out
