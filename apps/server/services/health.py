"""Readiness: is every dependency this process needs reachable right now?"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy import text

from server.database.session import Database
from server.schemas.health import CheckResult, Readiness

Check = Callable[[], Awaitable[None]]


def database_check(database: Database) -> Check:
    async def check() -> None:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return check


async def _run_check(check: Check, timeout_s: float) -> CheckResult:
    start = time.perf_counter()
    try:
        await asyncio.wait_for(check(), timeout=timeout_s)
    except TimeoutError:
        error: str | None = f"no answer within {timeout_s} s"
    except Exception as exc:  # a probe reports any failure, it never raises
        error = type(exc).__name__
    else:
        error = None
    latency_ms = round((time.perf_counter() - start) * 1000, 2)
    return CheckResult(status="fail" if error else "ok", latency_ms=latency_ms, error=error)


async def check_readiness(checks: Mapping[str, Check], timeout_s: float) -> Readiness:
    """Run every check concurrently, each bounded by `timeout_s`."""
    names = list(checks)
    results = await asyncio.gather(*(_run_check(checks[name], timeout_s) for name in names))
    by_name = dict(zip(names, results, strict=True))
    ok = all(result.status == "ok" for result in results)
    return Readiness(status="ok" if ok else "fail", checks=by_name)
