"""Exemplars in multiprocess mode: each process's latest per bucket, on the aggregate."""

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.exposition import choose_encoder

from server.core import exemplars
from server.core.metrics import WithExemplars, read_exemplars
from server.core.tracing import tracer
from server.tests.support.tracing import recorded_spans

BUCKETS = (0.01, 0.05, 0.1)


def _histogram(registry: CollectorRegistry) -> Histogram:
    return Histogram("demo_seconds", "A demo.", ["route"], buckets=BUCKETS, registry=registry)


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A multiprocess directory, and this process's exemplars starting empty."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setattr(exemplars, "_process", exemplars._ProcessExemplars())
    return tmp_path


def test_a_sampled_observation_lands_on_its_bucket_of_the_aggregate(directory: Path) -> None:
    observed = _histogram(CollectorRegistry())
    with recorded_spans(), tracer("t").start_as_current_span("request") as span:
        exemplars.observe(observed, ("/api/v1/predictions",), 0.03)
    trace_id = format(span.get_span_context().trace_id, "032x")

    # What the aggregate of the processes' files looks like: counts, and no exemplar.
    aggregate = CollectorRegistry()
    _histogram(aggregate).labels("/api/v1/predictions").observe(0.03)
    scraped = CollectorRegistry()
    scraped.register(WithExemplars(aggregate, directory))
    encode, _ = choose_encoder("application/openmetrics-text")
    text = encode(scraped).decode()

    (bucket,) = [line for line in text.splitlines() if 'le="0.05"' in line]
    assert f'# {{trace_id="{trace_id}"}} 0.03' in bucket
    assert "trace_id" not in "".join(line for line in text.splitlines() if 'le="0.01"' in line)


def test_the_latest_exemplar_of_any_process_wins(directory: Path) -> None:
    (directory / "exemplars_1.json").write_text(
        '[["demo_seconds_bucket", {"route": "/r", "le": "0.05"}, "aa", 0.02, 100.0]]'
    )
    (directory / "exemplars_2.json").write_text(
        '[["demo_seconds_bucket", {"route": "/r", "le": "0.05"}, "bb", 0.04, 200.0]]'
    )
    (directory / "exemplars_3.json").write_text("{half a fi")  # replaced while read
    found = read_exemplars(directory)
    (exemplar,) = found.values()
    assert exemplar.labels == {"trace_id": "bb"}
    assert exemplar.value == 0.04


def test_outside_a_sampled_span_nothing_is_written(directory: Path) -> None:
    exemplars.observe(_histogram(CollectorRegistry()), ("/r",), 0.03)
    assert list(directory.iterdir()) == []
