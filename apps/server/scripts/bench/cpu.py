"""Where the CPU went during a measurement, from Linux's /proc (empty elsewhere).

On a 2-core machine the API, the worker, Redis, PostgreSQL and the load client share the
same cores; CPU seconds per component over a window say which one is the bottleneck.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Processes that are not ours but serve the stack, told by their command name.
SHARED_SERVICES = {"redis": ("redis-server",), "postgres": ("postgres", "postmaster")}
# Everything else: on a shared machine, other work that competes for the same cores.
OTHER = "other_programs"


@dataclass(frozen=True)
class CpuSample:
    at_ticks: dict[int, tuple[str, int]]  # pid -> (component, user+system ticks so far)
    busy_ticks: int  # whole machine, from /proc/stat
    total_ticks: int
    cpus: int = 1


def _stat_fields(pid_dir: Path) -> tuple[str, list[str]] | None:
    try:
        raw = (pid_dir / "stat").read_text()
    except OSError:
        return None
    # comm is in parentheses and may hold spaces; the fields after it are positional.
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    return name, raw[raw.rindex(")") + 2 :].split()


def sample(sessions: Mapping[str, int]) -> CpuSample:
    """CPU ticks so far of each of our `sessions` (name -> session id) and shared service."""
    ticks: dict[int, tuple[str, int]] = {}
    by_session = {sid: name for name, sid in sessions.items()}
    own_pid = os.getpid()
    if not PROC.is_dir():
        return CpuSample(ticks, 0, 0)
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        parsed = _stat_fields(entry)
        if parsed is None:
            continue
        name, fields = parsed
        # fields[3] is the session id, fields[11] and fields[12] utime and stime.
        used = int(fields[11]) + int(fields[12])
        owner = "bench_script" if int(entry.name) == own_pid else by_session.get(int(fields[3]))
        if owner is None:
            owner = next((k for k, names in SHARED_SERVICES.items() if name in names), None)
        ticks[int(entry.name)] = (owner or OTHER, used)
    lines = (PROC / "stat").read_text().splitlines()
    values = [int(v) for v in lines[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])
    cpus = sum(1 for line in lines[1:] if line.startswith("cpu"))
    return CpuSample(ticks, total - idle, total, max(1, cpus))


def cores_used(before: CpuSample, after: CpuSample, seconds: float) -> dict[str, float]:
    """Average cores each component used between two samples, and the machine's total."""
    if seconds <= 0 or not after.total_ticks:
        return {}
    # Per process, so that one that ended in between (its ticks gone) counts nothing.
    delta = dict.fromkeys([name for name, _ in before.at_ticks.values()], 0)
    for pid, (name, ticks) in after.at_ticks.items():
        delta[name] = delta.get(name, 0) + ticks - before.at_ticks.get(pid, (name, 0))[1]
    used = {name: round(ticks / TICKS / seconds, 2) for name, ticks in delta.items()}
    share = (after.busy_ticks - before.busy_ticks) / max(1, after.total_ticks - before.total_ticks)
    used["machine_total"] = round(share * after.cpus, 2)
    return used
