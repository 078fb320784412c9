"""What the API makes of the workers' heartbeats: who serves predictions, and when a
version cannot be answered (no worker at all, or every worker refuses it)."""

import asyncio
import time
from pathlib import Path

from server.taskqueue.heartbeat import FileHeartbeats, Heartbeat, Refusal
from server.taskqueue.presence import WorkerPresence, WorkerView

MODEL = "ticket-triage"


def beat(
    pid: int,
    loaded: list[int] | None = None,
    refused: dict[int, str] | None = None,
    queues: list[str] | None = None,
    age_s: float = 0.0,
) -> Heartbeat:
    return Heartbeat(
        hostname="host",
        pid=pid,
        models={MODEL: loaded or []},
        refused=[Refusal(model=MODEL, version=v, reason=r) for v, r in (refused or {}).items()],
        queues=queues if queues is not None else ["inference", "shadow"],
        at=time.time() - age_s,
    )


def test_no_worker_serving_predictions_is_a_reason() -> None:
    assert WorkerView(()).unavailable(MODEL, 1) == "no worker serving predictions is running"
    training_only = WorkerView((beat(1, loaded=[1], queues=["training"]),))
    assert training_only.unavailable(MODEL, 1) == "no worker serving predictions is running"


def test_a_live_worker_may_answer_a_version_it_has_not_loaded_yet() -> None:
    view = WorkerView((beat(1, loaded=[1]),))
    assert view.unavailable(MODEL, 1) is None
    assert view.unavailable(MODEL, 2) is None  # just promoted: loaded when the task arrives


def test_a_version_every_worker_refuses_is_unavailable_with_the_reasons() -> None:
    view = WorkerView((beat(1, refused={2: "weights.npy differs"}), beat(2, refused={2: "x"})))
    assert view.unavailable(MODEL, 2) == (
        f"version 2 of '{MODEL}' is refused: weights.npy differs; x"
    )
    assert view.refusals(MODEL, 2) == ["weights.npy differs", "x"]
    one_accepts = WorkerView((beat(1, refused={2: "differs"}), beat(2, loaded=[2])))
    assert one_accepts.unavailable(MODEL, 2) is None
    assert one_accepts.loaded_by(MODEL, 2) == 1


def test_a_version_routed_to_a_queue_nobody_consumes_is_unavailable() -> None:
    cpu_only = WorkerView((beat(1, loaded=[1], queues=["inference", "shadow", "batch"]),))
    assert cpu_only.unavailable(MODEL, 1, "inference-gpu") == (
        "no worker consumes the inference-gpu queue"
    )
    assert cpu_only.unavailable(MODEL, 1, "inference") is None
    gpu = WorkerView((beat(1, queues=["inference"]), beat(2, queues=["inference-gpu"])))
    assert gpu.unavailable(MODEL, 1, "inference-gpu") is None
    older = beat(1, loaded=[1]).model_copy(update={"queues": None})  # queues not reported
    assert WorkerView((older,)).unavailable(MODEL, 1, "inference-gpu") is None


async def test_presence_reads_fresh_beats_forgets_goodbyes_and_remembers_failures(
    tmp_path: Path,
) -> None:
    store = FileHeartbeats(tmp_path / "beats")
    store.write(beat(1, loaded=[1]))
    store.write(beat(2, loaded=[1], age_s=60))  # a crashed worker's last beat
    presence = WorkerPresence(store, max_age_s=3, ttl_s=0, timeout_s=1)
    view = await presence.view()
    assert view is not None
    assert [b.pid for b in view.beats] == [1]

    store.remove("host", 1)  # a clean exit says goodbye
    view = await presence.view()
    assert view is not None
    assert view.beats == ()

    class Broken:
        def write(self, beat: Heartbeat) -> None: ...
        def remove(self, hostname: str, pid: int) -> None: ...
        async def read_fresh(self, max_age_s: float) -> list[Heartbeat]:
            raise ConnectionError

    cached = WorkerPresence(Broken(), max_age_s=3, ttl_s=60, timeout_s=1)
    assert await cached.view() is None
    assert cached.error == "the heartbeats could not be read (ConnectionError)"


async def test_a_view_used_near_its_expiry_is_reloaded_while_callers_keep_it(
    tmp_path: Path,
) -> None:
    """No request waits for the beats at each expiry: a view asked for in the last quarter
    of its life is read again in the background, and callers meanwhile get the cached one."""
    store = FileHeartbeats(tmp_path / "beats")
    store.write(beat(1, loaded=[1]))
    reads: list[asyncio.Event] = []
    read_fresh = store.read_fresh

    async def gated_read(max_age_s: float) -> list[Heartbeat]:
        gate = asyncio.Event()
        reads.append(gate)
        if len(reads) > 1:
            await gate.wait()
        return await read_fresh(max_age_s)

    store.read_fresh = gated_read  # type: ignore[method-assign]
    now = [0.0]
    presence = WorkerPresence(store, max_age_s=1e6, ttl_s=4, timeout_s=60, clock=lambda: now[0])
    first = await presence.view()
    assert first is not None
    store.write(beat(2, loaded=[1]))

    now[0] = 3.5  # in the last quarter: served from the cache, read again behind it
    assert await presence.view() is first
    for _ in range(100):  # let the background read reach the store
        if len(reads) == 2:
            break
        await asyncio.sleep(0)
    assert len(reads) == 2
    reads[1].set()
    await presence.aclose()

    now[0] = 5.0  # past the first read's expiry, within the second's: no caller waits
    fresh = await presence.view()
    assert fresh is not None
    assert sorted(b.pid for b in fresh.beats) == [1, 2]
    assert len(reads) == 2
