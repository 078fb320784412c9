"""The micro-batch in traces: each request's wait in the batcher, and the batch's own span.

A batch carries the texts of many requests, so it cannot be the child of any one of them:
its span starts a trace of its own, *linked* to every request span it carries (and each
request's wait span links back to it), and the task it publishes continues that trace on
the worker. The batch is recorded whenever one request it carries is (`LinkedOrRatio`).
Everything here is skipped when tracing is off.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanContext

from server.core.tracing import enabled, tracer

WAIT_SPAN = "predictions.batcher_wait"
BATCH_SPAN = "predictions.batch"


@dataclass(slots=True, eq=False)
class BatcherWait:
    """A request's wait in the batcher: open from its submit until its batch leaves."""

    request: SpanContext
    """The span of the request (the batch links to it)."""
    span: Span

    def end(self) -> None:
        """End the wait (idempotent: a request split over two batches ends it once)."""
        if self.span.is_recording():
            self.span.end()


def start_wait(texts: int) -> BatcherWait | None:
    """The wait span of the current request, a child of its current span; None when off."""
    if not enabled():
        return None
    request = trace.get_current_span().get_span_context()
    span = tracer(__name__).start_span(WAIT_SPAN, attributes={"batcher.texts": texts})
    return BatcherWait(request, span)


@contextmanager
def batch_span(
    waits: Sequence[BatcherWait | None], *, model: str, version: int, texts: int
) -> Iterator[None]:
    """The span of one batch's dispatch (a root linked to its requests), ending their waits."""
    if not enabled():
        yield
        return
    carried = list({id(wait): wait for wait in waits if wait is not None}.values())
    links = [Link(wait.request) for wait in carried if wait.request.is_valid]
    with tracer(__name__).start_as_current_span(
        BATCH_SPAN,
        context=Context(),  # a root: the batch is no single request's child
        links=links,
        attributes={
            "batch.size": texts,
            "batch.requests": len(carried),
            "model.name": model,
            "model.version": version,
        },
    ) as span:
        batch = span.get_span_context()
        for wait in carried:
            wait.span.set_attribute("batch.size", texts)
            if batch.is_valid:
                wait.span.add_link(batch)
            wait.end()
        yield
