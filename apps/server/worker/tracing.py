"""Tracing in worker and beat processes: each sets up its own provider after it starts.

A prefork pool process initialises its provider in `worker_process_init`, after the fork:
the exporter's thread and connections of a provider built in the parent would not survive
it. The solo pool (GPU workers) runs tasks in the main process (`worker_init`); beat
publishes from its own process (`beat_init`). Celery's instrumentation then gives every
task a CONSUMER span, the child of the PRODUCER span whose context the task's headers carry.
"""

from typing import Any

from celery import signals

from server.config import Settings
from server.core.tracing import SERVICE_BEAT, SERVICE_WORKER, setup_tracing, shutdown_tracing


def start_process_tracing(settings: Settings, service: str) -> None:
    """This process's provider and instrumentations (nothing when tracing is off)."""
    provider = setup_tracing(settings, service)
    if provider is None:
        return
    # Imported only when tracing is on: the instrumentations take 0.4 s to import.
    from opentelemetry.instrumentation.celery import CeleryInstrumentor  # noqa: PLC0415

    from server.core.tracing_instruments import instrument_clients  # noqa: PLC0415

    instrument_clients(provider)
    instrumentor = CeleryInstrumentor()  # type: ignore[no-untyped-call]
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)


def connect(settings: Settings) -> None:
    """Set up tracing in each process Celery starts, and flush it when one leaves."""

    def pool_process(**_: Any) -> None:
        start_process_tracing(settings, SERVICE_WORKER)

    def main_process(sender: Any = None, **_: Any) -> None:
        if "solo" in str(getattr(sender, "pool_cls", "")).lower():
            start_process_tracing(settings, SERVICE_WORKER)

    def beat(**_: Any) -> None:
        start_process_tracing(settings, SERVICE_BEAT)

    def leaving(**_: Any) -> None:
        # A pool process may leave with os._exit, past the provider's atexit hook.
        shutdown_tracing()

    signals.worker_process_init.connect(pool_process, weak=False)
    signals.worker_init.connect(main_process, weak=False)
    signals.beat_init.connect(beat, weak=False)
    signals.worker_process_shutdown.connect(leaving, weak=False)
    signals.worker_shutdown.connect(leaving, weak=False)
