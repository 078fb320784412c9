"""Restore drill: back up a populated service, restore it into a fresh database, and prove
the restored service works (`make restore-drill`, and CI's `restore-drill` job).

1. A new PostgreSQL database is migrated and populated: two trained versions, the first
   promoted to champion, their artifacts in the store (`APP_ARTIFACT_STORE_URL` when set,
   else a local directory).
2. It is dumped with `pg_dump --format=custom`, as the backup CronJob does, and restored with
   `pg_restore` into another new database.
3. `python -m server models verify` checks, against the restored registry, that every
   registered version's artifact is present and matches its recorded digest.
4. The API is started on the restored database, a user signs in, and the registry it serves
   must be the one that was backed up (same versions, same champion, same digests).

Both databases and every process are removed at the end, also on failure.

    python scripts/restore_drill.py --admin-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
from sqlalchemy import URL, make_url

from server.config import SERVER_DIR

MODEL = "ticket-triage"
READY_BUDGET_S = 180.0


def _libpq(url: URL) -> str:
    """The URL as pg_dump, pg_restore and psql take it (no SQLAlchemy driver)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(args: Sequence[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - our interpreter or the PostgreSQL client tools
        list(args), env=env, capture_output=True, text=True, check=False, cwd=SERVER_DIR
    )
    if done.returncode != 0:
        raise SystemExit(
            f"restore drill failed: {' '.join(args[:4])} exited {done.returncode}\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return done.stdout


def _server(args: Sequence[str], env: dict[str, str]) -> str:
    return _run([sys.executable, "-m", "server", *args], env)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"restore drill needs {name} (the PostgreSQL client tools) on PATH")
    return path


@contextmanager
def _database(admin: URL, name: str) -> Iterator[URL]:
    psql = _tool("psql")
    _run([psql, _libpq(admin), "-v", "ON_ERROR_STOP=1", "-c", f'CREATE DATABASE "{name}"'])
    try:
        yield admin.set(database=name)
    finally:
        _run([psql, _libpq(admin), "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _api(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "api"],
        env={**env, "APP_HOST": "127.0.0.1", "APP_PORT": str(port), "APP_WORKERS": "1"},
        cwd=SERVER_DIR,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_BUDGET_S
        while True:
            if process.poll() is not None:
                raise SystemExit(f"restore drill failed: the API exited ({process.returncode})")
            with suppress(httpx.TransportError):
                if httpx.get(f"{base}/readiness", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("restore drill failed: the API never became ready")
            time.sleep(0.2)
        yield base
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _registry_snapshot(base: str, email: str, password: str) -> dict[str, object]:
    token = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": email, "password": password}, timeout=10
    )
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    models = httpx.get(f"{base}/api/v1/models", headers=headers, timeout=10).json()
    details = [
        httpx.get(f"{base}/api/v1/models/{MODEL}/versions/{v}", headers=headers, timeout=10).json()
        for v in (1, 2)
    ]
    return {
        "aliases": models[0]["aliases"],
        "versions": {d["version"]: d["sha256"] for d in details},
    }


def drill(admin_url: str, rows: int) -> None:
    admin = make_url(admin_url)
    suffix = uuid.uuid4().hex[:8]
    pg_dump, pg_restore = _tool("pg_dump"), _tool("pg_restore")
    with (
        tempfile.TemporaryDirectory(prefix="restore-drill-") as work,
        _database(admin, f"drill_source_{suffix}") as source,
        _database(admin, f"drill_restored_{suffix}") as restored,
    ):
        env = {
            **os.environ,
            "PYTHONPATH": str(SERVER_DIR.parent),
            "APP_ENV": "test",
            "APP_LOG_LEVEL": "WARNING",
            "APP_ARTIFACT_ROOT": str(Path(work) / "artifacts"),
            "APP_ARTIFACT_CACHE_DIR": str(Path(work) / "cache"),
            "APP_TRAIN_DEFAULT_ROWS": str(rows),
            "APP_EMBEDDED_BROKER_DIR": str(Path(work) / "broker"),
        }
        email, password = "drill@example.com", secrets.token_urlsafe(24)
        populated = {**env, "APP_DATABASE_URL": source.render_as_string(hide_password=False)}
        print("1/4 populating a database: two versions, the first promoted")  # noqa: T201
        _server(["migrate"], populated)
        _server(["train", "--promote"], populated)
        _server(["train", "--seed", "7"], populated)
        _server(
            ["create-user", "--email", email, "--superuser"],
            {**populated, "APP_NEW_USER_PASSWORD": password},
        )

        print("2/4 pg_dump, then pg_restore into a fresh database")  # noqa: T201
        dump = Path(work) / "backup.dump"
        _run([pg_dump, "--format=custom", "--no-owner", f"--file={dump}", _libpq(source)])
        _run(
            [pg_restore, "--no-owner", "--exit-on-error", f"--dbname={_libpq(restored)}", str(dump)]
        )

        restored_env = {**env, "APP_DATABASE_URL": restored.render_as_string(hide_password=False)}
        print("3/4 every registered version's artifact is present and verifies")  # noqa: T201
        print(_server(["models", "verify"], restored_env).strip())  # noqa: T201

        print("4/4 the API serves the restored registry")  # noqa: T201
        with _api(populated) as base:
            before = _registry_snapshot(base, email, password)
        with _api(restored_env) as base:
            after = _registry_snapshot(base, email, password)
        if after != before or before["aliases"] != {"champion": 1}:
            raise SystemExit(
                "restore drill failed: the restored registry differs\n"
                f"backed up: {json.dumps(before)}\nrestored:  {json.dumps(after)}"
            )
        print(f"restore drill passed: {json.dumps(after)}")  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", required=True, help="PostgreSQL admin URL")
    parser.add_argument("--rows", type=int, default=3000, help="generated training tickets")
    args = parser.parse_args()
    drill(args.admin_url, args.rows)


if __name__ == "__main__":
    main()
