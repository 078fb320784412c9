"""Several uvicorn workers: `/metrics` aggregates every process (multiprocess mode)."""

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from server.tests.support.databases import provision_database
from server.tests.support.live_server import live_server

REQUESTS = 60


def meta_requests_counted(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "http_requests_total" and sample.labels.get("route") == "/api/v1/meta"
    )


def test_metrics_count_requests_served_by_every_worker(tmp_path: Path) -> None:
    with (
        provision_database("sqlite", tmp_path) as database,
        live_server(
            {
                "APP_WORKERS": "2",
                "APP_DATABASE_URL": database.settings.database_url,
                "APP_METRICS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            },
            tmp_path,
        ) as server,
    ):
        for _ in range(REQUESTS):
            # A new connection each time, so the kernel spreads them over both workers.
            with httpx.Client(base_url=server.base_url) as client:
                response = client.get("/api/v1/meta")
                assert response.status_code == 200
        for _ in range(20):
            with httpx.Client(base_url=server.base_url) as client:
                text = client.get("/metrics").text
            # Whichever worker answers the scrape, it reports the total of both.
            assert meta_requests_counted(text) == REQUESTS
        workers = [
            s.value
            for f in text_string_to_metric_families(text)
            for s in f.samples
            if s.name == "process_workers"
        ]
        assert workers == [2.0]
