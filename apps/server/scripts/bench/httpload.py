"""A small closed-loop HTTP/1.1 load generator, for machines without `wrk`.

    python httpload.py http://127.0.0.1:8000/health --spec spec.json --connections 64

Raw asyncio streams with keep-alive (no HTTP library: the client must cost the shared
CPU as little as it can); writes one `BENCH_JSON {...}` line with the same figures as
`load.py` derives from wrk. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MARKER = "BENCH_JSON "


@dataclass(frozen=True)
class Plan:
    host: str
    port: int
    requests: list[bytes]
    stop_at: float  # time.monotonic() deadline
    read_timeout_s: float


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.non_2xx = 0
        self.errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}


def _requests(
    method: str, host: str, path: str, bodies: list[str], headers: list[list[str]]
) -> list[bytes]:
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers)
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}"
    if not bodies:
        return [(head + "\r\n").encode()]
    prepared = []
    for body in bodies:
        data = body.encode()
        framing = f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        prepared.append((head + framing).encode() + data)
    return prepared


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _connection(plan: Plan, offset: int, tally: Tally) -> None:
    index = offset
    requests, stop_at = plan.requests, plan.stop_at
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.open_connection(plan.host, plan.port)
        except OSError:
            tally.errors["connect"] += 1
            await asyncio.sleep(0.05)
            continue
        try:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    writer.write(requests[index % len(requests)])
                    await writer.drain()
                except OSError:
                    tally.errors["write"] += 1
                    break
                index += 1
                try:
                    status = await asyncio.wait_for(_read_response(reader), plan.read_timeout_s)
                except TimeoutError:
                    tally.errors["timeout"] += 1
                    break
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    tally.errors["read"] += 1
                    break
                tally.latencies.append(time.perf_counter() - started)
                if not 200 <= status < 300:
                    tally.non_2xx += 1
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def _percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(
    url: str, spec: dict[str, Any], connections: int, seconds: float, read_timeout_s: float
) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit("httpload drives loopback addresses only")
    requests = _requests(
        spec["method"], f"{host}:{port}", parts.path or "/", spec["bodies"], spec.get("headers", [])
    )
    tally = Tally()
    started = time.monotonic()
    plan = Plan(host, port, requests, started + seconds, read_timeout_s)
    await asyncio.gather(*(_connection(plan, i, tally) for i in range(connections)))
    elapsed = time.monotonic() - started
    ordered = sorted(tally.latencies)
    ms = 1000.0
    return {
        "requests": len(ordered),
        "seconds": round(elapsed, 3),
        "requests_per_s": round(len(ordered) / elapsed, 1),
        "latency_ms": {
            "mean": round(sum(ordered) / len(ordered) * ms, 2) if ordered else 0.0,
            "p50": round(_percentile(ordered, 0.50) * ms, 2),
            "p95": round(_percentile(ordered, 0.95) * ms, 2),
            "p99": round(_percentile(ordered, 0.99) * ms, 2),
            "max": round(ordered[-1] * ms, 2) if ordered else 0.0,
        },
        "non_2xx": tally.non_2xx,
        "socket_errors": tally.errors,
        "errors": sum(tally.errors.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--spec", type=Path, required=True, help='{"method":..,"bodies":[..]}')
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args()
    spec = json.loads(args.spec.read_text("utf-8"))
    loop_factory = None
    with contextlib.suppress(ImportError):
        import uvloop  # noqa: PLC0415 - optional, faster when installed

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        figures = runner.run(run(args.url, spec, args.connections, args.seconds, args.timeout))
    sys.stdout.write(MARKER + json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
