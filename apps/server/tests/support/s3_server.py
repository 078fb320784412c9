"""A real S3-protocol server of the test's own (moto in server mode) on a free port.

The artifact store tests talk to it over HTTP exactly as to a bucket in the cloud: signed
requests, conditional puts, listings. It keeps everything in memory and is killed, with
whatever it holds, when the context ends.
"""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from server.tests.support.live_server import free_port
from server.tests.support.processes import end_group, wait_for

START_BUDGET_S = 60.0
ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def create_bucket(self, bucket: str) -> None:
        """Create `bucket` (moto accepts unsigned requests)."""
        httpx.put(f"{self.endpoint_url}/{bucket}", timeout=10).raise_for_status()

    def settings_update(self, url: str) -> dict[str, object]:
        """The settings that point the artifact store at `url` on this server."""
        return {
            "artifact_store_url": url,
            "artifact_s3_endpoint_url": self.endpoint_url,
            "artifact_s3_region": REGION,
            "artifact_s3_access_key_id": ACCESS_KEY,
            "artifact_s3_secret_access_key": SecretStr(SECRET_KEY),
        }


def _answers(endpoint_url: str) -> bool:
    try:
        return httpx.get(endpoint_url, timeout=2).status_code < 500
    except httpx.TransportError:
        return False


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """Start the server, wait until it answers, and stop it (and its children) at the end."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our interpreter, moto's server module
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(endpoint), process, "the S3 server", START_BUDGET_S)
        yield S3Server(endpoint)
    finally:
        end_group(process)
