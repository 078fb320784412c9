"""Property-based contract test: every operation, schemathesis' default checks, a real stack.

Cases are generated from the committed contract (`openapi.json`, which another test keeps
equal to the app's schema) and sent to a real API process backed by a real worker with a
trained champion: no server error and no response that breaks the schema, for generated
valid and invalid inputs alike. The deployment limits are set to the contract's ceilings
so that every schema-valid request is one the server must accept.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, positive_data_acceptance
from schemathesis.core import NOT_SET

from server.config import SERVER_DIR
from server.schemas.predictions import MAX_TEXT_CHARS_CEILING, MAX_TEXTS_CEILING
from server.tests.support.live_server import live_server
from server.tests.support.models import ModelCache
from server.tests.support.processes import answers, wait_for
from server.tests.support.serving import install_version, serving_stack, worker_env
from server.tests.support.users import PASSWORD

schema = schemathesis.openapi.from_path(SERVER_DIR / "openapi.json")
FEEDBACK = "POST /api/v1/predictions/{prediction_id}/feedback"
# An article's category is one of the served model's labels, like a feedback label.
ARTICLE_WRITES = {"POST /api/v1/articles", "PATCH /api/v1/articles/{article_id}"}
JOBS = "POST /api/v1/jobs"
# Schema-valid bodies these operations refuse by design: a password outside the policy in
# Settings, an API key expiring in the past.
POLICY_BOUND = {"POST /api/v1/users", "PATCH /api/v1/users/{user_id}", "POST /api/v1/api-keys"}
# The body is optional since a browser may send its refresh token as a cookie instead, which
# the contract cannot express; with neither body nor cookie the request names no token and
# is refused with 422, as it was when the body was required.
REFRESH = "POST /api/v1/auth/refresh"
# This stack configures no LLM provider: a draft's documented answer is then the 503
# `assistant-not-configured` problem, by design (its own tests run with a fake provider).
DRAFTS = "POST /api/v1/drafts"


@dataclass(frozen=True)
class Target:
    base_url: str
    headers: dict[str, str]
    """A signed-in superuser's bearer token: every scope, so every operation is reachable."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, model_cache: ModelCache) -> Iterator[Target]:
    tmp: Path = tmp_path_factory.mktemp("schemathesis")
    # The worker serves inference only: generated training runs stay queued, unrun.
    with serving_stack("embedded", tmp, queues="inference,shadow") as stack:
        asyncio.run(install_version(stack, model_cache, alias="champion"))
        env = worker_env(stack) | {
            "APP_PREDICT_MAX_TEXTS": str(MAX_TEXTS_CEILING),
            "APP_MAX_TEXT_CHARS": str(MAX_TEXT_CHARS_CEILING),
            # the largest schema-valid body (1024 texts of 20k characters) must get through
            "APP_MAX_BODY_BYTES": str(64 * 1024 * 1024),
            # hundreds of generated requests from one caller are not an attack
            "APP_RATE_LIMIT_ENABLED": "false",
            # a real administrator, created at start like a deployment's first superuser
            "APP_FIRST_SUPERUSER_EMAIL": "root@example.com",
            "APP_FIRST_SUPERUSER_PASSWORD": PASSWORD,
        }
        env.pop("APP_WORKER_METRICS_PORT")
        with live_server(env, tmp) as running:
            # Ready: the worker loaded the champion, so predictions answer, not 503.
            wait_for(answers(f"{running.base_url}/readiness"), running.process, "readiness")
            token = httpx.post(
                f"{running.base_url}/api/v1/auth/token",
                data={"username": "root@example.com", "password": PASSWORD},
            ).json()["access_token"]
            yield Target(running.base_url, {"Authorization": f"Bearer {token}"})


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    # the same examples on every run: CI cannot fail on a case no other run tried
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_honours_its_contract(case: schemathesis.Case[Any], server: Target) -> None:
    excluded = []
    if case.operation.label == FEEDBACK or case.operation.label in ARTICLE_WRITES:
        # Labels belong to the served model (Settings), so the contract types them as plain
        # strings; a string outside the model's label set is refused with 422 by design.
        excluded.append(positive_data_acceptance)
    if case.operation.label in POLICY_BOUND:
        excluded.append(positive_data_acceptance)
    if case.operation.label == REFRESH and case.body in (None, NOT_SET):
        excluded.append(positive_data_acceptance)
    if case.operation.label == JOBS and case.media_type == "multipart/form-data":
        # An upload is "any file" to JSON Schema; only CSV and JSONL with a `text` column
        # are jobs (415 or 422 otherwise, by design).
        excluded.append(positive_data_acceptance)
    if case.operation.label == DRAFTS:
        excluded.append(not_a_server_error)
    case.call_and_validate(
        base_url=server.base_url, headers=server.headers, excluded_checks=excluded
    )
