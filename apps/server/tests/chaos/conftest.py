"""Fixtures of the chaos suite: one PostgreSQL database and one Redis server for the run,
three registered model versions, the load's user, and the report.

The suite is marked `chaos` and left out of the default run (`-m "not chaos"` in the pytest
options); `make chaos` runs it alone (`pytest tests/chaos -m chaos -p no:xdist`).
"""

import asyncio
from collections.abc import Iterator

import pytest
import redis

from server.tests.chaos.report import REPORT_PATH, ChaosReport, ScenarioFactory
from server.tests.chaos.stack import ChaosStack
from server.tests.support.databases import postgres_admin_url, provision_database
from server.tests.support.models import ModelCache
from server.tests.support.redis_server import REDIS_SERVER, redis_server
from server.tests.support.serving import install_version
from server.tests.support.settings import settings_for_url

VERSIONS = 3
"""1: the champion every scenario starts from; 2: the one a promotion moves to; 3: the one
the tampering scenario promotes, then modifies on disk."""

REPORT_KEY = pytest.StashKey[ChaosReport]()


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, model_cache: ModelCache
) -> Iterator[ChaosStack]:
    if postgres_admin_url() is None:
        pytest.fail("the chaos suite runs on PostgreSQL: set APP_TEST_DATABASE_URL")
    if REDIS_SERVER is None:
        pytest.fail("the chaos suite runs a Redis of its own: install redis-server")
    root = tmp_path_factory.mktemp("chaos")
    with (
        redis_server(root / "redis") as redis,
        provision_database("postgres", root, with_admin=False) as database,
    ):
        stack = ChaosStack(root=root, database_url=database.settings.database_url, redis=redis)
        settings = settings_for_url(stack.database_url, artifact_root=stack.artifact_root)
        for version in range(1, VERSIONS + 1):
            alias = "champion" if version == 1 else None
            asyncio.run(install_version(settings, model_cache, alias=alias))
        stack.create_user()
        yield stack


@pytest.fixture(scope="session")
def chaos_report(request: pytest.FixtureRequest) -> ChaosReport:
    report = ChaosReport()
    request.config.stash[REPORT_KEY] = report
    return report


@pytest.fixture
def scenario(chaos_report: ChaosReport, stack: ChaosStack) -> ScenarioFactory:
    """Each scenario starts on a running, empty Redis: nothing queued by the one before (a
    scenario that broke with Redis down leaves it down), no heartbeats of its workers."""
    if not stack.redis.running:
        stack.redis.start()
    redis.Redis.from_url(stack.redis.url()).flushall()
    return ScenarioFactory(chaos_report)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    report = config.stash.get(REPORT_KEY, None)
    if report is None or not report.results:
        return
    terminalreporter.section("chaos")
    terminalreporter.write_line(report.table())
    terminalreporter.write_line(f"\nwritten to {REPORT_PATH}")
