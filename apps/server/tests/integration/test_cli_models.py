"""`python -m server models export|import`: a trained version moves to another environment
(another database and artifact store) without retraining, lineage intact."""

import json
from pathlib import Path

import pytest

from server.cli.main import main
from server.tests.support.databases import provision_database
from server.tests.support.live_server import free_port


def _use(monkeypatch: pytest.MonkeyPatch, database_url: str, artifacts: Path) -> None:
    monkeypatch.setenv("APP_DATABASE_URL", database_url)
    monkeypatch.setenv("APP_ARTIFACT_ROOT", str(artifacts))
    monkeypatch.setenv("APP_TRAIN_DEFAULT_ROWS", "3000")
    monkeypatch.setenv("APP_LOG_LEVEL", "WARNING")


def test_export_then_import_into_another_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "bundle.tar"
    with provision_database("sqlite", tmp_path / "staging") as staging:
        _use(monkeypatch, staging.settings.database_url, tmp_path / "staging-artifacts")
        assert main(["train", "--promote"]) == 0
        assert main(["models", "export", "ticket-triage", "1", "--out", str(bundle)]) == 0
        assert f"wrote {bundle}" in capsys.readouterr().out
        assert main(["models", "export", "ticket-triage", "9", "--out", str(bundle)]) == 1
        assert "has no version 9" in capsys.readouterr().err
    trained = json.loads(
        (tmp_path / "staging-artifacts" / "ticket-triage" / "1" / "manifest.json").read_text()
    )

    with provision_database("sqlite", tmp_path / "production") as production:
        _use(monkeypatch, production.settings.database_url, tmp_path / "prod-artifacts")
        assert main(["models", "import", str(bundle), "--promote"]) == 0
        assert "registered version 1 and promoted to champion" in capsys.readouterr().out
        assert main(["models", "import", str(bundle)]) == 1
        assert "already has a version 1" in capsys.readouterr().err
    imported = json.loads(
        (tmp_path / "prod-artifacts" / "ticket-triage" / "1" / "manifest.json").read_text()
    )
    assert imported == trained
    assert imported["lineage"]["code"]["commit"] is not None


def test_verify_reports_every_registered_version_and_fails_on_a_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with provision_database("sqlite", tmp_path) as database:
        _use(monkeypatch, database.settings.database_url, tmp_path / "artifacts")
        assert main(["train", "--promote"]) == 0
        capsys.readouterr()
        assert main(["models", "verify"]) == 0
        assert "ok    ticket-triage v1" in capsys.readouterr().out
        (tmp_path / "artifacts" / "ticket-triage" / "1" / "idf.npy").unlink()
        assert main(["models", "verify"]) == 1
        out = capsys.readouterr()
        assert "FAIL  ticket-triage v1" in out.out
        assert "idf.npy is missing" in out.out
        assert "1 registered versions failed verification" in out.err


def test_an_unreachable_store_is_reported_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with provision_database("sqlite", tmp_path) as database:
        _use(monkeypatch, database.settings.database_url, tmp_path / "artifacts")
        assert main(["train", "--promote"]) == 0
        monkeypatch.setenv("APP_ARTIFACT_STORE_URL", "s3://artifacts/models")
        monkeypatch.setenv("APP_ARTIFACT_S3_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
        monkeypatch.setenv("APP_ARTIFACT_S3_ACCESS_KEY_ID", "key")
        monkeypatch.setenv("APP_ARTIFACT_S3_SECRET_ACCESS_KEY", "secret")
        monkeypatch.setenv("APP_ARTIFACT_S3_MAX_RETRIES", "0")
        monkeypatch.setenv("APP_ARTIFACT_CACHE_DIR", str(tmp_path / "cache"))
        capsys.readouterr()
        bundle = tmp_path / "bundle.tar"
        assert main(["models", "export", "ticket-triage", "1", "--out", str(bundle)]) == 1
        err = capsys.readouterr().err
        assert "failed: the artifact store s3://artifacts/models could not" in err
        assert "Traceback" not in err
        assert not bundle.exists()
