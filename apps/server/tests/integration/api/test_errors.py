"""Every error is RFC 9457 problem details with a request id; no traceback leaves the server."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel, Field

from server.main import create_app
from server.tests.support.apps import client_for
from server.tests.support.settings import SettingsFactory

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id"}


class Ticket(BaseModel):
    text: str = Field(min_length=1)
    priority: int = Field(ge=1, le=5)


# A router that exists only in these tests, to exercise body parsing and a crash.
probe = APIRouter(prefix="/test-only")


@probe.post("/tickets")
async def create_ticket(ticket: Ticket) -> Ticket:
    return ticket


@probe.get("/crash")
async def crash() -> None:
    raise RuntimeError("secret internals: db password is hunter2")


@pytest.fixture
async def client(make_settings: SettingsFactory) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(max_body_bytes=2048))
    app.include_router(probe)
    async with client_for(app) as http:
        yield http


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/nothing-here"), 404)
    assert body["instance"] == "/api/v1/nothing-here"
    assert body["title"] == "Not Found"


async def test_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health")
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


async def test_malformed_json_is_a_422_naming_the_place(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/test-only/tickets",
        content=b'{"text": "printer on fire", ',
        headers={"content-type": "application/json"},
    )
    body = assert_problem(response, 422)
    assert body["type"] == "urn:problem-type:validation-error"
    assert "JSON decode error" in str(body["detail"])


async def test_invalid_fields_are_a_422_naming_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/test-only/tickets", json={"text": "", "priority": 9})
    body = assert_problem(response, 422)
    errors = body["errors"]
    assert isinstance(errors, list)
    assert {tuple(e["loc"]) for e in errors} == {("body", "text"), ("body", "priority")}
    assert "body.text" in str(body["detail"])
    assert "body.priority" in str(body["detail"])


async def test_a_valid_body_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/test-only/tickets", json={"text": "refund", "priority": 2})
    assert response.status_code == 200


async def test_a_declared_oversized_body_is_refused_before_reading(
    client: httpx.AsyncClient,
) -> None:
    payload = json.dumps({"text": "x" * 4096, "priority": 1})
    body = assert_problem(
        await client.post(
            "/test-only/tickets", content=payload, headers={"content-type": "application/json"}
        ),
        413,
    )
    assert "2048 bytes" in str(body["detail"])


async def test_a_streamed_oversized_body_is_refused_while_reading(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(10):
            yield b"x" * 512
        yield b'", "priority": 1}'

    response = await client.post(
        "/test-only/tickets", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


async def test_a_non_numeric_content_length_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/test-only/tickets",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": "lots"},
    )
    assert_problem(response, 400)


async def test_a_crash_is_a_500_problem_without_internals(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = await client.get("/test-only/crash")
    body = assert_problem(response, 500)
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"] == "An unexpected error occurred."
    logged = capsys.readouterr().err
    assert "Traceback" in logged
    assert "http.unhandled_error" in logged
