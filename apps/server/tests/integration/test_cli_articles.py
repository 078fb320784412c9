"""`python -m server seed-articles`, as `make dev` runs it."""

from pathlib import Path

import pytest

from server.agents.data.articles import generate_articles
from server.cli.main import main
from server.tests.support.databases import provision_database


def test_make_dev_seeds_the_articles_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with provision_database("sqlite", tmp_path, with_admin=False) as database:
        monkeypatch.setenv("APP_DATABASE_URL", database.settings.database_url)
        assert main(["seed-articles"]) == 0
        assert f"{len(generate_articles())} generated articles added" in capsys.readouterr().out
        assert main(["seed-articles"]) == 0
        assert "0 generated articles added" in capsys.readouterr().out
