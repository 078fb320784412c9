"""The embedded broker never hands a consumer half a message (a crash seen under load)."""

import threading
from pathlib import Path

from kombu import Connection

from server.taskqueue import embedded_transport

MESSAGES = 300


def connection(folder: Path, scheme: str) -> Connection:
    return Connection(
        f"{scheme}://",
        transport_options={
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": 0.001,
        },
    )


def test_a_consumer_racing_a_publisher_reads_only_whole_messages(tmp_path: Path) -> None:
    # kombu's own `filesystem://` fails this test: its consumer reads files mid-write.
    scheme = embedded_transport.SCHEME
    (tmp_path / "control").mkdir()
    payload = {"texts": ["x" * 2000] * 50}  # large enough for a visible write window
    received: list[dict[str, object]] = []

    def publish() -> None:
        with connection(tmp_path, scheme) as conn, conn.SimpleQueue("race") as queue:
            for _ in range(MESSAGES):
                queue.put(payload)

    publisher = threading.Thread(target=publish)
    with connection(tmp_path, scheme) as conn, conn.SimpleQueue("race") as queue:
        publisher.start()
        while len(received) < MESSAGES:
            message = queue.get(block=True, timeout=10)
            received.append(message.payload)
            message.ack()
    publisher.join()
    assert all(body == payload for body in received)
    assert not list(tmp_path.glob("*.part"))
