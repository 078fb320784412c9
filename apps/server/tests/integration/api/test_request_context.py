"""Request ids travel from the client to the response and every log line of the request."""

import json

import httpx
import pytest

from server.core.request_id import REQUEST_ID_HEADER


def access_events(err: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "http.request"]


async def test_a_valid_request_id_is_echoed_and_logged(
    plain_client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = await plain_client.get("/api/v1/meta", headers={REQUEST_ID_HEADER: "client-id_42"})
    assert response.headers[REQUEST_ID_HEADER] == "client-id_42"
    (event,) = access_events(capsys.readouterr().err)
    assert event["request_id"] == "client-id_42"
    assert event["method"] == "GET"
    assert event["route"] == "/api/v1/meta"
    assert event["status"] == 200
    assert isinstance(event["duration_ms"], float)


async def test_an_invalid_request_id_is_replaced_and_never_logged(
    plain_client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = "x" * 10 + "<script>" + "y" * 70
    response = await plain_client.get("/api/v1/meta", headers={REQUEST_ID_HEADER: hostile})
    returned = response.headers[REQUEST_ID_HEADER]
    assert returned != hostile
    assert len(returned) == 32
    err = capsys.readouterr().err
    assert "<script>" not in err
    (event,) = access_events(err)
    assert event["request_id"] == returned


async def test_without_a_request_id_one_is_generated(plain_client: httpx.AsyncClient) -> None:
    first = await plain_client.get("/health")
    second = await plain_client.get("/health")
    assert first.headers[REQUEST_ID_HEADER] != second.headers[REQUEST_ID_HEADER]


async def test_cors_preflight_allows_configured_origins_only(
    plain_client: httpx.AsyncClient,
) -> None:
    allowed = await plain_client.options(
        "/api/v1/meta",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"},
    )
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
    refused = await plain_client.options(
        "/api/v1/meta",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in refused.headers
