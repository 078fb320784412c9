"""uvicorn's httptools protocol with a bound on the request head: 431 past it.

httptools reads headers of any size (an 8 MiB header was answered 200, 32 MiB took 5 s),
and an ASGI middleware sees them only once they are all in memory. This protocol counts
the bytes of the head as they arrive and the header lines as they are parsed, and past
either limit answers 431 with a problem document and closes the connection, so no more
than the limit (plus one read) is ever buffered.

Built by `uvicorn_http_protocol(settings)`, a picklable `functools.partial`, because
uvicorn hands the protocol to worker processes it spawns.
"""

import functools
import json
import uuid
from typing import Any

import structlog
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.core.errors import PROBLEM_CONTENT_TYPE, problem_body
from server.core.request_id import REQUEST_ID_HEADER

log = structlog.get_logger("server.http")

HEADERS_TOO_LARGE = 431
# Per header line: ": " and CRLF around the name and value httptools hands over.
_LINE_OVERHEAD = 4
# How long a refused connection stays open to drain the rest of the client's request.
_LINGER_S = 2.0


def headers_too_large_detail(max_bytes: int, max_headers: int) -> str:
    return (
        f"The request headers exceed the limits of {max_bytes} bytes or {max_headers} header lines."
    )


class HeaderLimitedProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` that refuses request heads over `max_header_bytes` bytes or
    `max_headers` lines with 431, then closes the connection."""

    def __init__(self, *args: Any, max_header_bytes: int, max_headers: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_header_bytes = max_header_bytes
        self.max_headers = max_headers
        self._reading_head = True  # until a head is complete: bytes received count
        self._raw_head_bytes = 0
        self._parsed_head_bytes = 0
        self._header_count = 0
        self._refused = False
        self._too_large = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._reading_head:
            self._raw_head_bytes += len(data)
        super().data_received(data)
        if self._refused or self.transport.is_closing():
            return
        if self._too_large or (self._reading_head and self._raw_head_bytes > self.max_header_bytes):
            self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._parsed_head_bytes = 0
        self._header_count = 0

    def on_url(self, url: bytes) -> None:
        self._parsed_head_bytes += len(url)
        if self._parsed_head_bytes > self.max_header_bytes:
            self._too_large = True
            return
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._parsed_head_bytes += len(name) + len(value) + _LINE_OVERHEAD
        if self._header_count > self.max_headers or (
            self._parsed_head_bytes > self.max_header_bytes
        ):
            self._too_large = True  # stop keeping headers; refused once this read is parsed
        if self._too_large:
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._too_large:
            return  # no request is started for a head that is refused
        self._reading_head = False
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._too_large:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._too_large:
            return
        super().on_message_complete()
        # The next bytes begin the next request's head.
        self._reading_head = True
        self._raw_head_bytes = 0

    def _refuse(self) -> None:
        self._refused = True
        request_id = uuid.uuid4().hex
        log.warning(
            "http.headers_too_large",
            request_id=request_id,
            client=self.client[0] if self.client else None,
            max_header_bytes=self.max_header_bytes,
            max_headers=self.max_headers,
        )
        if self.cycle is not None and not self.cycle.response_complete:
            # Earlier pipelined requests are still being answered: no room for a 431 after
            # them, so the connection closes once the last of them is answered.
            self.cycle.keep_alive = False
            return
        body = json.dumps(
            problem_body(
                HEADERS_TOO_LARGE,
                headers_too_large_detail(self.max_header_bytes, self.max_headers),
                instance="",
                request_id=request_id,
            )
        ).encode()
        head = [
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
            *(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers),
            b"content-type: " + PROBLEM_CONTENT_TYPE.encode() + b"\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            REQUEST_ID_HEADER.lower().encode() + b": " + request_id.encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        if self.transport.can_write_eof():
            # A lingering close: end our side, discard what the client still sends for a
            # moment, so it reads the 431 instead of a reset.
            self.transport.write_eof()
            self.loop.call_later(_LINGER_S, self.transport.close)
        else:
            self.transport.close()


def uvicorn_http_protocol(
    max_header_bytes: int, max_headers: int
) -> "functools.partial[HeaderLimitedProtocol]":
    """The `http=` argument of `uvicorn.run`: our protocol with these limits."""
    return functools.partial(
        HeaderLimitedProtocol, max_header_bytes=max_header_bytes, max_headers=max_headers
    )
