"""Scrape-time worker metrics: queue depths, GPUs through NVML, the serving gauge."""

from types import SimpleNamespace
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

from server.worker.metrics_collectors import (
    GpuCollector,
    QueueDepthCollector,
    ServingGauges,
    load_nvml,
)


class FakePipeline:
    def __init__(self, depths: dict[str, int], fail: bool) -> None:
        self.depths, self.fail = depths, fail
        self.asked: list[str] = []

    def llen(self, queue: str) -> None:
        self.asked.append(queue)

    def execute(self) -> list[int]:
        if self.fail:
            raise ConnectionError("redis down")
        return [self.depths.get(q, 0) for q in self.asked]


class FakeRedis:
    def __init__(self, depths: dict[str, int], fail: bool = False) -> None:
        self.depths, self.fail = depths, fail

    def pipeline(self, transaction: bool) -> FakePipeline:
        return FakePipeline(self.depths, self.fail)


def _scrape(collector: Any) -> str:
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


def test_queue_depths_are_read_at_scrape_time() -> None:
    text = _scrape(QueueDepthCollector(FakeRedis({"inference": 7}), ["inference", "batch"]))
    assert 'queue_messages{queue="inference"} 7.0' in text
    assert 'queue_messages{queue="batch"} 0.0' in text


def test_an_unreachable_redis_leaves_the_depths_out() -> None:
    assert "queue_messages{" not in _scrape(QueueDepthCollector(FakeRedis({}, fail=True)))


def _nvml(count: int) -> SimpleNamespace:
    return SimpleNamespace(
        nvmlDeviceGetCount=lambda: count,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetUtilizationRates=lambda h: SimpleNamespace(gpu=40),
        nvmlDeviceGetMemoryInfo=lambda h: SimpleNamespace(used=2**30, total=2**34),
    )


def test_gpu_metrics_come_from_nvml() -> None:
    text = _scrape(GpuCollector(lambda: _nvml(2)))  # type: ignore[arg-type,return-value]
    assert 'gpu_utilization_ratio{gpu="1"} 0.4' in text
    assert 'gpu_memory_total_bytes{gpu="0"} 1.7179869184e+10' in text


def test_no_nvml_or_no_gpu_means_no_gpu_metrics() -> None:
    assert "gpu_" not in _scrape(GpuCollector(lambda: None))
    assert "gpu_" not in _scrape(GpuCollector(lambda: _nvml(0)))  # type: ignore[arg-type,return-value]
    broken = _nvml(1)
    broken.nvmlDeviceGetHandleByIndex = lambda i: (_ for _ in ()).throw(RuntimeError("gone"))
    assert "gpu_" not in _scrape(GpuCollector(lambda: broken))  # type: ignore[arg-type,return-value]


def test_load_nvml_is_none_without_the_library_or_a_driver() -> None:
    module = load_nvml()
    assert module is None or hasattr(module, "nvmlDeviceGetCount")


def test_the_serving_gauge_follows_alias_moves() -> None:
    gauges = ServingGauges("gauge-test")

    def value(version: str, role: str) -> float | None:
        labels = {"model": "gauge-test", "version": version, "role": role}
        return REGISTRY.get_sample_value("model_serving_info", labels)

    gauges.update({"champion": 1})
    assert value("1", "champion") == 1.0
    gauges.update({"champion": 2, "challenger": 1})
    assert (value("1", "champion"), value("2", "champion"), value("1", "challenger")) == (
        0.0,
        1.0,
        1.0,
    )
