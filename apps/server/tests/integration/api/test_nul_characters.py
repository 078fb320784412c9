"""A NUL character (U+0000) in any text is refused with a 422 naming the field.

PostgreSQL cannot store a NUL in `text` or `jsonb`: before these checks, such a request
reached the database and failed with a 500. Both backends answer the same.
"""

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from server.database.models import BatchJob

NUL = "\x00"
FEEDBACK = f"/api/v1/predictions/{uuid.uuid4()}/feedback"
ALIAS = "/api/v1/models/ticket-triage/aliases/champion"

# (method, path, request keywords, the location the problem names)
CASES: dict[str, tuple[str, str, dict[str, Any], list[Any]]] = {
    "job text": (
        "POST",
        "/api/v1/jobs",
        {"json": {"items": [{"text": "ok"}, {"text": f"refund{NUL}me"}]}},
        ["items", 1, "text"],
    ),
    "job id": (
        "POST",
        "/api/v1/jobs",
        {"json": {"items": [{"text": "refund me", "id": f"{NUL}a"}]}},
        ["items", 0, "id"],
    ),
    "csv upload text": (
        "POST",
        "/api/v1/jobs",
        {"files": {"file": ("t.csv", f"id,text\n1,ok\n2,bad{NUL}\n".encode(), "text/csv")}},
        ["file", 3, "text"],
    ),
    "csv upload id": (
        "POST",
        "/api/v1/jobs",
        {"files": {"file": ("t.csv", f"id,text\n{NUL},ok\n".encode(), "text/csv")}},
        ["file", 2, "id"],
    ),
    "jsonl upload text": (
        "POST",
        "/api/v1/jobs",
        {"files": {"file": ("t.jsonl", b'{"text": "a\\u0000b"}\n', "application/jsonl")}},
        ["file", 1, "text"],
    ),
    "sign-in user name": (
        "POST",
        "/api/v1/auth/token",
        {"data": {"username": f"ann{NUL}@example.com", "password": "whatever-it-is"}},
        ["body", "username"],
    ),
    "prediction text": (
        "POST",
        "/api/v1/predictions",
        {"json": {"texts": ["fine", f"{NUL}"]}},
        ["body", "texts", 1],
    ),
    "user e-mail": (
        "POST",
        "/api/v1/users",
        {"json": {"email": f"x{NUL}@example.com", "password": "a-long-password-1"}},
        ["body", "email"],
    ),
    "feedback label": ("POST", FEEDBACK, {"json": {"label": f"refund{NUL}"}}, ["body", "label"]),
    "alias reason": (
        "PUT",
        ALIAS,
        {"json": {"version": 1, "reason": f"because{NUL}"}},
        ["body", "reason"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_nul_character_is_a_422_that_names_the_field(
    case: str, client: httpx.AsyncClient, app: FastAPI
) -> None:
    method, path, request, loc = CASES[case]
    response = await client.request(method, path, **request)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert "Traceback" not in response.text
    assert [error["loc"] for error in problem["errors"]] == [loc]
    assert "NUL" in problem["errors"][0]["msg"]
    assert "NUL" in problem["detail"]
    async with app.state.services.database.session() as session:
        assert await session.scalar(select(func.count()).select_from(BatchJob)) == 0


async def test_a_csv_field_over_the_readers_limit_is_a_422(client: httpx.AsyncClient) -> None:
    content = b"text\n" + b"x" * 200_000 + b"\n"
    response = await client.post("/api/v1/jobs", files={"file": ("t.csv", content, "text/csv")})
    assert response.status_code == 422, response.text
    assert "not valid CSV" in response.json()["detail"]
