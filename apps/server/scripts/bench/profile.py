"""Optional sampling profiles of the API and the worker during a measured window (py-spy).

py-spy is not a dependency of the project: install it anywhere (`pip install py-spy`) and
pass `--profile`. It writes collapsed stacks (`*.folded`, for flame graph tools and
speedscope) and a short list of the hottest frames per process kind.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

RATE_HZ = 100  # samples per second and thread


def py_spy() -> str | None:
    return shutil.which("py-spy")


@contextlib.contextmanager
def recording(
    pids: Mapping[str, int], seconds: float, out_dir: Path, tag: str
) -> Iterator[dict[str, Path]]:
    """Sample each pid (and its children) for `seconds`; yields the files being written."""
    binary = py_spy()
    if binary is None:
        yield {}
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {name: out_dir / f"profile-{tag}-{name}.folded" for name in pids}
    options = ["--subprocesses", "--threads", "--rate", str(RATE_HZ), "--format", "raw"]
    options += ["--duration", str(max(1, round(seconds)))]
    recorders = [
        subprocess.Popen(  # noqa: S603 - py-spy on our own processes
            [binary, "record", *options, "--pid", str(pid), "--output", str(files[name])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]
    try:
        yield files
    finally:
        for recorder in recorders:
            try:
                recorder.wait(timeout=seconds + 30)
            except subprocess.TimeoutExpired:
                recorder.kill()
                recorder.wait()


# Leaf frames of threads that wait: py-spy does not always tell idle threads apart.
IDLE_FRAMES = (
    "Condition.wait (",
    "Event.wait (",
    "_worker (concurrent/futures/thread.py",
    "select (selectors.py",
    "_epoll.poll (",
    "sleep (",
)


def hottest(folded: Path, top: int = 15) -> list[tuple[str, float]]:
    """The frames where busy samples were taken (self time), as (frame, share of busy)."""
    if not folded.is_file():
        return []
    leaves: Counter[str] = Counter()
    for line in folded.read_text("utf-8", "replace").splitlines():
        stack, _, count = line.rpartition(" ")
        leaf = stack.rsplit(";", 1)[-1]
        if count.isdigit() and not leaf.startswith(IDLE_FRAMES):
            leaves[leaf] += int(count)
    total = sum(leaves.values()) or 1
    return [(frame, round(n / total, 3)) for frame, n in leaves.most_common(top)]
