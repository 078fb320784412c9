"""Metrics a worker's endpoint samples at scrape time: queue depths, GPUs, serving state.

Queue depths and GPU figures are read when Prometheus scrapes (one Redis pipeline, one NVML
pass), so they are never stale and no process has to write them. NVML (`pynvml`) is not a
dependency: it is imported only when a scrape asks, and without it, or without a GPU, the
GPU families are simply absent.
"""

from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import Any

import structlog
from prometheus_client import Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from server.core.ml_metrics import (
    GPU_MEMORY_TOTAL,
    GPU_MEMORY_USED,
    GPU_UTILIZATION,
    MODEL_REFUSED,
    MODEL_SERVING,
    QUEUE_MESSAGES,
)
from server.taskqueue.names import ALL_QUEUES

log = structlog.get_logger(__name__)


def _family(gauge: Gauge, labels: list[str]) -> GaugeMetricFamily:
    """An empty family with the name and help of a gauge declared in `ml_metrics`."""
    described = next(iter(gauge.describe()))
    return GaugeMetricFamily(described.name, described.documentation, labels=labels)


class QueueDepthCollector(Collector):
    """`queue_messages`: LLEN of each broker queue in Redis, read at scrape time."""

    def __init__(self, client: Any, queues: Iterable[str] = ALL_QUEUES) -> None:
        self.client, self.queues = client, tuple(queues)

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return [_family(QUEUE_MESSAGES, ["queue"])]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = _family(QUEUE_MESSAGES, ["queue"])
        try:
            pipeline = self.client.pipeline(transaction=False)
            for queue in self.queues:
                pipeline.llen(queue)
            depths = pipeline.execute()
        except Exception as exc:  # a scrape must answer even when Redis does not
            log.warning("worker.queue_depth_failed", error=type(exc).__name__)
            return
        for queue, depth in zip(self.queues, depths, strict=True):
            family.add_metric([queue], float(depth))
        yield family


def load_nvml() -> ModuleType | None:
    """`pynvml`, initialized, when it is installed and finds a driver; else None."""
    try:
        import pynvml  # type: ignore[import-not-found]  # noqa: PLC0415 - optional, lazy

        pynvml.nvmlInit()
    except Exception:  # not installed, no driver, no GPU: no GPU metrics
        return None
    module: ModuleType = pynvml
    return module


class GpuCollector(Collector):
    """`gpu_utilization_ratio` and GPU memory of each device NVML sees."""

    def __init__(self, nvml_loader: Callable[[], ModuleType | None] = load_nvml) -> None:
        self._loader = nvml_loader
        self._nvml: ModuleType | None = None
        self._tried = False

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []  # absent without a GPU; nothing to reserve at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if not self._tried:
            self._nvml, self._tried = self._loader(), True
        nvml = self._nvml
        if nvml is None:
            return
        utilization = _family(GPU_UTILIZATION, ["gpu"])
        used = _family(GPU_MEMORY_USED, ["gpu"])
        total = _family(GPU_MEMORY_TOTAL, ["gpu"])
        try:
            for index in range(nvml.nvmlDeviceGetCount()):
                handle = nvml.nvmlDeviceGetHandleByIndex(index)
                rates = nvml.nvmlDeviceGetUtilizationRates(handle)
                memory = nvml.nvmlDeviceGetMemoryInfo(handle)
                utilization.add_metric([str(index)], rates.gpu / 100.0)
                used.add_metric([str(index)], float(memory.used))
                total.add_metric([str(index)], float(memory.total))
        except Exception as exc:
            log.warning("worker.gpu_metrics_failed", error=type(exc).__name__)
            return
        if utilization.samples:
            yield from (utilization, used, total)


class ServingGauges:
    """`model_serving_info` of one pool process: 1 for each (version, role) it serves now,
    0 for what it served before (a multiprocess gauge keeps its last value otherwise); and
    `model_artifact_refused`, 1 for each version it refuses, likewise."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._shown: set[tuple[str, str]] = set()
        self._refused: set[tuple[str, str]] = set()

    def update_refused(self, refused: list[tuple[str, int]]) -> None:
        """`refused`: (model, version) of every version this process refuses now."""
        current = {(model, str(version)) for model, version in refused}
        for model, version in self._refused - current:
            MODEL_REFUSED.labels(model, version).set(0)
        for model, version in current:
            MODEL_REFUSED.labels(model, version).set(1)
        self._refused = current

    def update(self, loaded: dict[str, int]) -> None:
        """`loaded`: role (champion, challenger) -> version loaded in this process."""
        current = {(str(version), role) for role, version in loaded.items()}
        for version, role in self._shown - current:
            MODEL_SERVING.labels(self.model, version, role).set(0)
        for version, role in current:
            MODEL_SERVING.labels(self.model, version, role).set(1)
        self._shown = current
