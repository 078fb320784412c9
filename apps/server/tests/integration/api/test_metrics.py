"""`/metrics` is valid Prometheus exposition with bounded, templated labels."""

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


def samples(text: str, name: str) -> list[Sample]:
    return [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def count_for(text: str, **labels: str) -> float:
    found = samples(text, "http_requests_total")
    return sum(s.value for s in found if s.labels.items() >= labels.items())


async def test_requests_are_counted_by_route_template(plain_client: httpx.AsyncClient) -> None:
    before = (await plain_client.get("/metrics")).text
    for _ in range(3):
        await plain_client.get("/api/v1/meta")
    await plain_client.get("/api/v1/no-such-thing/123")
    after = (await plain_client.get("/metrics")).text

    labels = {"method": "GET", "route": "/api/v1/meta", "status": "200"}
    assert count_for(after, **labels) - count_for(before, **labels) == 3
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert count_for(after, **unmatched) - count_for(before, **unmatched) == 1
    routes = {s.labels["route"] for s in samples(after, "http_requests_total")}
    assert not any("no-such-thing" in route for route in routes)


async def test_latency_histogram_and_process_metrics_are_exported(
    plain_client: httpx.AsyncClient,
) -> None:
    await plain_client.get("/health")
    text = (await plain_client.get("/metrics")).text
    buckets = samples(text, "http_request_duration_seconds_bucket")
    assert any(s.labels["route"] == "/health" for s in buckets)
    assert samples(text, "http_requests_in_progress")
    assert samples(text, "process_resident_memory_bytes")


async def test_an_unknown_method_is_labelled_other(plain_client: httpx.AsyncClient) -> None:
    await plain_client.request("BREW", "/health")
    text = (await plain_client.get("/metrics")).text
    methods = {s.labels["method"] for s in samples(text, "http_requests_total")}
    assert "BREW" not in methods
    assert "other" in methods
