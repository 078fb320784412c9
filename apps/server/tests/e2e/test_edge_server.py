"""The edge of a real `python -m server api` process: whose X-Forwarded-For it believes, and
how much request head it reads before answering 431. Both are uvicorn options built from
the settings, so only a real server shows them."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.config import SERVER_DIR
from server.tests.support.live_server import free_port, wait_until_up

SPOOFED = "203.0.113.66"
REAL_CLIENT = "198.51.100.7"


@contextmanager
def api_process(env: dict[str, str], state_dir: Path) -> Iterator[tuple[str, Path]]:
    """The API with `env`; yields its base URL and the file its log lines go to."""
    port = free_port()
    log_path = state_dir / f"api-{port}.log"
    environment = {
        **os.environ,
        "PYTHONPATH": str(SERVER_DIR.parent),
        "APP_ENV": "test",
        "APP_HOST": "127.0.0.1",
        "APP_PORT": str(port),
        "APP_LOG_JSON": "true",
        "APP_LOG_LEVEL": "INFO",
        "APP_DATABASE_URL": f"sqlite+aiosqlite:///{state_dir / 'app.db'}",
        "APP_EMBEDDED_BROKER_DIR": str(state_dir / "broker"),
        "APP_ARTIFACT_ROOT": str(state_dir / "artifacts"),
        **env,
    }
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "server", "api"],
            env=environment,
            cwd=SERVER_DIR,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_up(base_url, process, timeout_s=60)
            yield base_url, log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def clients_seen(log_path: Path, marker: str, timeout_s: float = 30) -> list[Any]:
    """The client address of each logged request that carried `marker` as its request id.

    The server logs a request just after answering it, so the line may trail the answer:
    the log is read until it shows the request (or `timeout_s` passes)."""
    deadline = time.monotonic() + timeout_s
    while True:
        events = [
            json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")
        ]
        seen = [
            event["client"]
            for event in events
            if event.get("event") == "http.request" and event.get("request_id") == marker
        ]
        if seen or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


# Linux answers on all of 127.0.0.0/8: connecting from 127.0.0.2 makes the test a proxy.
PROXY = "127.0.0.2"


def meta(base_url: str, marker: str, forwarded_for: str | None, source: str) -> None:
    headers = {"X-Request-ID": marker}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=base_url, transport=transport) as client:
        assert client.get("/api/v1/meta", headers=headers).status_code == 200


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One trusted proxy (127.0.0.2), default header limits. One process for the module:
    starting the API is the slow part."""
    env = {"APP_FORWARDED_ALLOW_IPS": PROXY}
    with api_process(env, tmp_path_factory.mktemp("edge")) as running:
        yield running


def test_from_an_untrusted_peer_a_forged_forwarded_for_changes_nothing(
    server: tuple[str, Path],
) -> None:
    base_url, log_path = server
    meta(base_url, "spoof-untrusted", SPOOFED, source="127.0.0.1")
    meta(base_url, "spoof-untrusted-chain", f"{SPOOFED}, {PROXY}", source="127.0.0.1")
    assert clients_seen(log_path, "spoof-untrusted") == ["127.0.0.1"]
    assert clients_seen(log_path, "spoof-untrusted-chain") == ["127.0.0.1"]


def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(
    server: tuple[str, Path],
) -> None:
    base_url, log_path = server
    meta(base_url, "appended", REAL_CLIENT, source=PROXY)
    # The client forged the left entry; the proxy appended the address it saw.
    meta(base_url, "forged-then-appended", f"{SPOOFED}, {REAL_CLIENT}", source=PROXY)
    meta(base_url, "no-header", None, source=PROXY)
    assert clients_seen(log_path, "appended") == [REAL_CLIENT]
    assert clients_seen(log_path, "forged-then-appended") == [REAL_CLIENT]
    assert clients_seen(log_path, "no-header") == [PROXY]


def assert_headers_too_large(response: httpx.Response) -> None:
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 431
    assert problem["request_id"] == response.headers["x-request-id"]
    assert "16384 bytes" in problem["detail"]


def test_an_8_mib_header_is_refused_with_431_before_it_is_read(
    server: tuple[str, Path],
) -> None:
    base_url, log_path = server
    response = httpx.get(f"{base_url}/api/v1/meta", headers={"X-Big": "a" * (8 * 1024 * 1024)})
    assert_headers_too_large(response)
    assert "http.headers_too_large" in log_path.read_text()
    # The server is still there for everyone else.
    assert httpx.get(f"{base_url}/api/v1/meta").status_code == 200


def test_too_many_header_lines_are_refused_with_431(server: tuple[str, Path]) -> None:
    base_url, _ = server
    many = {f"X-Header-{index}": "1" for index in range(150)}
    assert_headers_too_large(httpx.get(f"{base_url}/api/v1/meta", headers=many))


def test_headers_within_the_limits_are_served(server: tuple[str, Path]) -> None:
    base_url, _ = server
    headers = {"X-Large": "a" * 12_000, **{f"X-Header-{index}": "1" for index in range(60)}}
    with httpx.Client(base_url=base_url) as client:  # one connection, several requests
        for _ in range(3):
            assert client.get("/api/v1/meta", headers=headers).status_code == 200


def exchange(base_url: str, *pieces: bytes) -> bytes:
    """Send `pieces` on one raw connection (one write each); everything read until it closes."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        for piece in pieces:
            connection.sendall(piece)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def test_a_header_that_never_ends_is_refused_once_past_the_limit(
    server: tuple[str, Path],
) -> None:
    base_url, _ = server
    start = b"GET /api/v1/meta HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
    # 20 writes of 1 KiB, no end of line: refused from what arrived, not what was parsed.
    answer = exchange(base_url, start, *([b"a" * 1024] * 20))
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_pipelined_requests_before_an_oversized_one_are_answered(
    server: tuple[str, Path],
) -> None:
    base_url, _ = server
    small = b"GET /api/v1/meta HTTP/1.1\r\nHost: localhost\r\n\r\n"
    big = b"GET /api/v1/meta HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"
    answer = exchange(base_url, small + big)
    # The first is answered, then the connection closes: no room for a 431 after it.
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.count(b"HTTP/1.1 ") == 1
