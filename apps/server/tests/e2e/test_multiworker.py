"""Several uvicorn workers: `/metrics` aggregates every process (multiprocess mode)."""

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from server.tests.support.databases import provision_database
from server.tests.support.live_server import live_server

REQUESTS = 60
MAX_REQUESTS = 20 * REQUESTS


def scrape(base_url: str) -> str:
    with httpx.Client(base_url=base_url) as client:
        return client.get("/metrics").text


def process_workers(text: str) -> float:
    values = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "process_workers"
    ]
    return values[0] if values else 0.0


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
        # A new connection each time, so the kernel spreads them over both workers; on a
        # busy machine one worker may take many in a row, so go on until both have served
        # (a worker appears in the metrics once it has served).
        sent, workers = 0, 0.0
        while workers < 2:
            assert sent < MAX_REQUESTS, f"one worker served all {sent} requests"
            for _ in range(REQUESTS):
                with httpx.Client(base_url=server.base_url) as client:
                    assert client.get("/api/v1/meta").status_code == 200
            sent += REQUESTS
            workers = process_workers(scrape(server.base_url))
        assert workers == 2.0
        for _ in range(20):
            # Whichever worker answers the scrape, it reports the total of both.
            assert meta_requests_counted(scrape(server.base_url)) == sent
