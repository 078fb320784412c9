"""A worker's consumer survives the two faults that killed it around a Redis restart (issue
13, item 10): re-registering a pool process that exited (`ValueError('file descriptor is
None')`) and closing a channel of a collected connection (`AttributeError` on `hostname`).
The second needs a Redis (a message must be delivered, unacknowledged)."""

import os
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from celery.concurrency.asynpool import AsynPool
from kombu import Connection
from kombu.asynchronous import Hub
from kombu.transport import redis as redis_transport

from server.tests.support.worker import redis_test_url
from server.worker import reconnect_fixes


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
        reconnect_fixes._track_child_process(bare_pool(), exited, hub)


def test_registering_again_skips_an_exited_process_and_watches_a_live_one(hub: Hub) -> None:
    reconnect_fixes.install()
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


@pytest.fixture
def redis_url() -> str:
    url = redis_test_url()
    if url is None:
        pytest.skip("APP_TEST_REDIS_URL unset")
    return url


def channel_holding_an_unacked_message(url: str, queue: str) -> tuple[Connection, Any]:
    connection = Connection(url)
    channel: Any = connection.default_channel
    simple = connection.SimpleQueue(queue)
    simple.put({"task": "t"})
    simple.get(timeout=5)  # delivered, not acknowledged
    channel.connection.client = None  # what collecting the connection does to the transport
    return connection, channel


def test_closing_a_channel_of_a_collected_connection_no_longer_fails(redis_url: str) -> None:
    reconnect_fixes.install()
    connection, channel = channel_holding_an_unacked_message(redis_url, "h4-collected")
    channel.close()
    assert channel.closed
    connection.release()


def test_kombu_as_locked_fails_closing_a_channel_of_a_collected_connection(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fault itself: when this stops failing, an upgrade fixed it; drop the patch."""
    monkeypatch.setattr(redis_transport.QoS, "restore_unacked", reconnect_fixes._restore_unacked)
    connection, channel = channel_holding_an_unacked_message(redis_url, "h4-collected-raw")
    with pytest.raises(AttributeError, match="hostname"):
        channel.close()
    connection.release()
