"""A tiny OTLP/HTTP trace receiver: what a collector is to the processes under test.

It accepts `POST /v1/traces` (protobuf, optionally gzip), decodes each span into a
`ReceivedSpan` and keeps it for the test to read, or discards it (`keep=False`: a sink for
the bench's traced runs). Run in a thread of the test (`otlp_receiver()`) or as a process:
`python -m server.tests.support.otlp_receiver --port N --discard`.
"""

import argparse
import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from server.core.tracing import TRACES_PATH


@dataclass(frozen=True)
class ReceivedSpan:
    """One exported span, ids in hex as logs and exemplars write them."""

    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    kind: int
    attributes: dict[str, Any]
    links: list[tuple[str, str]] = field(default_factory=list)
    """(trace id, span id) of each linked span."""


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def decode(body: bytes) -> list[ReceivedSpan]:
    """The spans of one `ExportTraceServiceRequest`."""
    request = ExportTraceServiceRequest.FromString(body)
    spans: list[ReceivedSpan] = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            spans += [
                ReceivedSpan(
                    service=str(resource.get("service.name")),
                    name=span.name,
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex() or None,
                    kind=span.kind,
                    attributes={a.key: _value(a.value) for a in span.attributes},
                    links=[(link.trace_id.hex(), link.span_id.hex()) for link in span.links],
                )
                for span in scope_spans.spans
            ]
    return spans


class OtlpReceiver:
    """The spans received so far, and a way to wait for the ones a test expects."""

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self._spans: list[ReceivedSpan] = []
        self._changed = threading.Condition()
        self.server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        """The base URL to configure as `APP_TRACING_OTLP_ENDPOINT`."""
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, spans: list[ReceivedSpan]) -> None:
        if not self.keep:
            return
        with self._changed:
            self._spans += spans
            self._changed.notify_all()

    def spans(self) -> list[ReceivedSpan]:
        with self._changed:
            return list(self._spans)

    def wait_for(
        self, found: Callable[[list[ReceivedSpan]], bool], timeout_s: float
    ) -> list[ReceivedSpan]:
        """Every span received once `found(spans)` holds (woken by each export);
        `TimeoutError` after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not found(self._spans):
                left = deadline - time.monotonic()
                if left <= 0:
                    names = sorted({span.name for span in self._spans})
                    raise TimeoutError(f"spans received so far: {names}")
                self._changed.wait(left)
            return list(self._spans)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != TRACES_PATH:
                    self.send_error(404)
                    return
                receiver.add(decode(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                """One line per export is noise in a test's output."""

        return Handler


@contextmanager
def otlp_receiver(keep: bool = True, port: int = 0) -> Iterator[OtlpReceiver]:
    """A receiver serving on 127.0.0.1 (a free port by default) until the block ends."""
    receiver = OtlpReceiver(keep)
    receiver.server = ThreadingHTTPServer(("127.0.0.1", port), receiver.handler())
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        thread.join()


def main() -> None:
    """Serve until killed (the bench's sink: `--discard` keeps nothing)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--discard", action="store_true")
    args = parser.parse_args()
    receiver = OtlpReceiver(keep=not args.discard)
    receiver.server = ThreadingHTTPServer(("127.0.0.1", args.port), receiver.handler())
    receiver.server.serve_forever()


if __name__ == "__main__":
    main()
