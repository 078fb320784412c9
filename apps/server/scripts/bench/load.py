"""Closed-loop HTTP load from a separate process: `wrk` when installed, else our own
asyncio client (`bench/httpload.py`), both reporting the same JSON figures.

wrk is C with one event loop per thread: on a 2-core machine it leaves the server far more
CPU than any Python client could, so its figures describe the server, not the client.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = "BENCH_JSON "

# `done` runs once in wrk's main thread after the run, with every thread's samples merged.
_WRK_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"mean_us":%.1f,"p50_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"max_us":%d}\\n',
    "MARKER", summary.requests, summary.duration, summary.bytes, e.connect, e.read,
    e.write, e.status, e.timeout, latency.mean, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max))
end
""".replace("MARKER", MARKER)


@dataclass(frozen=True)
class Target:
    """One endpoint under load: the same request, or a rotation of bodies."""

    name: str
    method: str
    path: str
    bodies: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()


def _lua_long_string(value: str) -> str:
    level = 1
    while f"]{'=' * level}]" in value:
        level += 1
    return f"[{'=' * level}[{value}]{'=' * level}]"


def wrk_script(target: Target) -> str:
    """A wrk Lua script sending `target`'s requests, bodies in rotation, and `done`."""
    if not target.bodies:
        return f'wrk.method = "{target.method}"\n{_WRK_DONE}'
    bodies = ",\n  ".join(_lua_long_string(body) for body in target.bodies)
    extra = "".join(
        # spaces keep `[ [[name]] ]` from reading as the opening of a long string
        f", [ {_lua_long_string(name)} ] = {_lua_long_string(value)}"
        for name, value in target.headers
    )
    return f"""
local bodies = {{
  {bodies}
}}
local prepared = {{}}
local next_index = 0
function init(args)
  local headers = {{["Content-Type"] = "application/json"{extra}}}
  for k, body in ipairs(bodies) do
    prepared[k] = wrk.format("{target.method}", "{target.path}", headers, body)
  end
end
function request()
  next_index = next_index % #prepared + 1
  return prepared[next_index]
end
{_WRK_DONE}"""


def _from_wrk(raw: dict[str, Any]) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6
    errors = {k: raw[k] for k in ("connect", "read", "write", "timeout")}
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "requests_per_s": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "latency_ms": {
            "mean": round(raw["mean_us"] / 1000, 2),
            "p50": round(raw["p50_us"] / 1000, 2),
            "p95": round(raw["p95_us"] / 1000, 2),
            "p99": round(raw["p99_us"] / 1000, 2),
            "max": round(raw["max_us"] / 1000, 2),
        },
        # wrk counts responses with status >= 400; the API sends no 1xx or 3xx here.
        "non_2xx": raw["status"],
        "socket_errors": errors,
        "errors": sum(errors.values()),
    }


def client_name(prefer_python: bool) -> str:
    return "python" if prefer_python or shutil.which("wrk") is None else "wrk"


def _cpu_children_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_load(
    client: str,
    base_url: str,
    target: Target,
    *,
    connections: int,
    seconds: float,
    threads: int,
    work_dir: Path,
    timeout_s: float = 10,
) -> dict[str, Any]:
    """Drive `target` for `seconds` with `connections` open connections; the figures.

    The result also holds `client_cpu_s`, the CPU time the load process itself used.
    """
    cpu_before = _cpu_children_s()
    if client == "wrk":
        script = work_dir / f"{target.name}.lua"
        script.write_text(wrk_script(target), "utf-8")
        args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
        args += [f"--timeout={timeout_s:g}s", "-s", str(script), base_url + target.path]
    else:
        spec = work_dir / f"{target.name}.json"
        spec.write_text(
            json.dumps(
                {"method": target.method, "bodies": target.bodies, "headers": target.headers}
            ),
            "utf-8",
        )
        args = [
            sys.executable,
            str(Path(__file__).with_name("httpload.py")),
            base_url + target.path,
        ]
        args += ["--spec", str(spec), "--connections", str(connections)]
        args += ["--seconds", str(seconds), "--timeout", str(timeout_s)]
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - wrk or our interpreter, arguments we built
        args, capture_output=True, text=True, timeout=seconds + timeout_s + 60, check=False
    )
    wall = time.monotonic() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{client} failed ({done.returncode}): {done.stderr[-2000:]}")
    raw = json.loads(lines[-1][len(MARKER) :])
    figures = _from_wrk(raw) if client == "wrk" else raw
    figures["client_cpu_s"] = round(_cpu_children_s() - cpu_before, 2)
    figures["client_wall_s"] = round(wall, 2)
    return figures
