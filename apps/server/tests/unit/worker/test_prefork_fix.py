"""The prefork pool survives re-registering a process that exited during a broker outage
(issue 13, item 10: `Unrecoverable error: ValueError('file descriptor is None')`)."""

import os
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from celery.concurrency.asynpool import AsynPool
from kombu.asynchronous import Hub

from server.worker import prefork_fix


@pytest.fixture
def hub() -> Iterator[Hub]:
    loop = Hub()
    yield loop
    loop.close()


def bare_pool() -> AsynPool:
    return AsynPool.__new__(AsynPool)  # the method under test reads nothing of the pool


def test_celery_and_kombu_as_locked_fail_on_an_untracked_process(hub: Hub) -> None:
    """The fault itself: when this stops failing, an upgrade fixed it; drop the patch."""
    exited = SimpleNamespace(_sentinel_poll=None)
    with pytest.raises(ValueError, match="file descriptor is None"):
        prefork_fix._track_child_process(bare_pool(), exited, hub)


def test_registering_again_skips_an_exited_process_and_watches_a_live_one(hub: Hub) -> None:
    prefork_fix.install()
    read_end, write_end = os.pipe()
    try:
        exited = SimpleNamespace(_sentinel_poll=None)
        alive = SimpleNamespace(_sentinel_poll=read_end)
        pool = bare_pool()
        pool._track_child_process(exited, hub)  # type: ignore[attr-defined]
        pool._track_child_process(alive, hub)  # type: ignore[attr-defined]
        assert read_end in hub.readers
    finally:
        hub.remove(read_end)
        os.close(read_end)
        os.close(write_end)
